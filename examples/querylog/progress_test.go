package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
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
	// The program as it ships, built without the race detector whatever
	// this test is built with: the estimate is scored on real timings.
	// (go test puts its own toolchain's bin directory first on PATH.)
	bin := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
