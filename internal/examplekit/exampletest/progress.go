package exampletest

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/runs"
)

// ProgressAttempts is how many times ProgressAccuracy measures before it
// fails: the measure is of wall time, and these 2-core machines run other
// packages' tests at the same time, which slows a run down in its middle
// (so that no estimate can follow t/T). Every attempt's table is logged.
const ProgressAttempts = 3

// ProgressAccuracy runs produce, which writes finished runs of app under
// the event-log directory it is given, replays them (runs.Accuracy) and
// passes when the work estimate meets runs.CheckAccuracy's bar; it tries
// again with fresh runs up to ProgressAttempts times.
func ProgressAccuracy(t *testing.T, app string, produce func(events string)) {
	t.Helper()
	var problems []string
	for attempt := 1; attempt <= ProgressAttempts; attempt++ {
		events := t.TempDir()
		produce(events)
		if t.Failed() {
			return
		}
		logs := map[string][]byte{}
		dirs, err := os.ReadDir(events)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			b, err := os.ReadFile(filepath.Join(events, d.Name(), runs.FileName))
			if err != nil {
				t.Fatal(err)
			}
			logs[d.Name()] = b
		}
		rows, err := runs.Accuracy(app, logs)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := runs.WriteAccuracy(&b, rows); err != nil {
			t.Fatal(err)
		}
		problems = runs.CheckAccuracy(rows)
		t.Logf("attempt %d: progress estimates against t/T:\n%s%s", attempt, b.String(), strings.Join(problems, "\n"))
		if len(problems) == 0 {
			return
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// Build builds the package the test runs in (an example program) without
// the race detector, whatever the test is built with, and returns the
// binary: a test that times the program runs it as it ships. (go test puts
// its own toolchain's bin directory first on PATH.)
func Build(t *testing.T) string {
	t.Helper()
	return BuildPackage(t, ".")
}

// BuildPackage builds the program pkg (an import path, or "." for the
// test's own) as Build does and returns the binary.
func BuildPackage(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), path.Base(strings.TrimSuffix(pkg, "/."))+".bin")
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}
