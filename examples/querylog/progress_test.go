package main

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/testutil"

	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
	"github.com/milestone-go/milestone/internal/testkit/pty"
)

// TestQueryProgressIsAccurate runs real queries over tables of different
// sizes with filters of different selectivity, and replays them: the work
// estimate (bytes scanned, weighed by the other queries) is held to
// runs.CheckAccuracy's bar, beside the task count (operators ended over
// operators started).
func TestQueryProgressIsAccurate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several queries")
	}
	testutil.Exclusive(t)       // timed: no fleet on the cores meanwhile
	bin := exampletest.Build(t) // scored on the timings of the program as it ships
	exampletest.ProgressAccuracy(t, "query", func(events string) {
		for i, q := range []struct {
			rows      int
			threshold float64
		}{{900000, 50}, {1500000, 90}, {1200000, 10}, {1800000, 50}, {1050000, 70}} {
			args := []string{"-data", filepath.Join(t.TempDir(), fmt.Sprint(i)), "-events", events, "-rows", fmt.Sprint(q.rows), "-threshold", fmt.Sprint(q.threshold)}
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("query %d: %v\n%s", i, err, out)
			}
		}
	})
}

// TestTheProgressLineOnATerminal runs a query of a few seconds with
// -progress on a pseudo-terminal: the line appears, is redrawn in place
// with its percentage and ETA, and ends at 100%.
func TestTheProgressLineOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a query of a few seconds")
	}
	testutil.Exclusive(t)       // timed: no fleet on the cores meanwhile
	bin := exampletest.Build(t) // scored on the timings of the program as it ships
	data := t.TempDir()
	// The table first, so that the query alone lasts long enough to draw.
	if _, err := EnsureTable(data, 6000000); err != nil {
		t.Fatal(err)
	}
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	cmd := exec.Command(bin, "-progress", "-data", data, "-rows", "6000000")
	cmd.Stderr = tty
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child holds it
	var screen bytes.Buffer
	read := make(chan struct{})
	go func() { _, _ = io.Copy(&screen, master); close(read) }() // ends with an EIO when the child exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the query: %v\n%s", err, screen.String())
	}
	<-read
	var draws []string
	for _, part := range strings.Split(screen.String(), "\r") {
		if strings.HasPrefix(part, "[") && strings.Contains(part, "%") {
			draws = append(draws, part)
		}
	}
	if len(draws) < 3 {
		t.Fatalf("%d redraws of the progress line, want several:\n%q", len(draws), screen.String())
	}
	eta := false
	for _, d := range draws {
		eta = eta || strings.Contains(d, "ETA")
	}
	last := draws[len(draws)-1]
	if !eta || !strings.Contains(last, "100.0%") {
		t.Errorf("the line showed no ETA, or did not end at 100%%: %q ... %q", draws[0], last)
	}
	t.Logf("%d redraws, the first %q, the last %q", len(draws), draws[0], last)
}
