package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/testutil"

	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
)

// TestTaskProgressIsAccurate runs real task executions over inputs of
// different counts and sizes, and replays them: the work estimate (input
// bytes downloaded, then decoded, weighed by the other executions) is held
// to runs.CheckAccuracy's bar, beside the task count (steps ended over
// steps started).
func TestTaskProgressIsAccurate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several tasks")
	}
	testutil.Exclusive(t) // timed: no fleet on the cores meanwhile
	// The program as it ships, built without the race detector whatever
	// this test is built with: the estimate is scored on real timings.
	// (go test puts its own toolchain's bin directory first on PATH.)
	bin := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exampletest.ProgressAccuracy(t, "task", func(events string) {
		for i, in := range []struct{ inputs, size int }{{8, 240000}, {12, 180000}, {6, 320000}, {10, 200000}, {16, 120000}} {
			args := []string{"-data", filepath.Join(t.TempDir(), fmt.Sprint(i)), "-events", events, "-inputs", fmt.Sprint(in.inputs), "-size", fmt.Sprint(in.size)}
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("task %d: %v\n%s", i, err, out)
			}
		}
	})
}
