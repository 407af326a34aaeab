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
	testutil.Exclusive(t)       // timed: no fleet on the cores meanwhile
	bin := exampletest.Build(t) // scored on the timings of the program as it ships
	exampletest.ProgressAccuracy(t, "task", func(events string) {
		for i, in := range []struct{ inputs, size int }{{8, 240000}, {12, 180000}, {6, 320000}, {10, 200000}, {16, 120000}} {
			args := []string{"-data", filepath.Join(t.TempDir(), fmt.Sprint(i)), "-events", events, "-inputs", fmt.Sprint(in.inputs), "-size", fmt.Sprint(in.size)}
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("task %d: %v\n%s", i, err, out)
			}
		}
	})
}
