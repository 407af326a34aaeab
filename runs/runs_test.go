package runs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// writeRunsDir writes, with the real collector, three runs whose names sort
// otherwise than their start times, a directory without an event log, a
// stray file, and a run whose file holds no event. It returns the directory.
func writeRunsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	now := t0
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	w := &clockedLog{c: c, now: &now, t0: t0}
	emitAt(w, "b-complete", 1*time.Second, shardyfusion.WriteStarted{})
	emitAt(w, "b-complete", 1*time.Second, shardyfusion.ShardWriteRetried{DBID: 1, Attempt: 1, Backoff: time.Millisecond})
	emitAt(w, "b-complete", 1*time.Second, shardyfusion.S3Retry{Attempt: 1, MaxRetries: 3, Delay: time.Millisecond})
	emitAt(w, "b-complete", 3*time.Second, shardyfusion.WriteCompleted{Elapsed: 2 * time.Second, Rows: 500})
	emitAt(w, "c-reader", 3*time.Second, shardyfusion.ReaderInitialized{})
	emitAt(w, "c-reader", 4*time.Second, shardyfusion.ReaderGet{Duration: time.Millisecond, Found: true})
	emitAt(w, "a-incomplete", 5*time.Second, shardyfusion.WriteStarted{})
	emitAt(w, "d-failed", 7*time.Second, shardyfusion.WriteStarted{})
	emitAt(w, "d-failed", 8*time.Second, shardyfusion.WriteFailed{Elapsed: time.Second, ErrorType: "cancelled"})
	emitAt(w, "a-incomplete", 6*time.Second, shardyfusion.ShardWriteCompleted{Elapsed: time.Second, DBID: 0, Rows: 70, Duration: time.Second})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string]string{
		"no-log/notes.txt":            "not an event log",
		"stray.txt":                   "x",
		"z-garbage/" + "events.jsonl": "not json\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestListRuns(t *testing.T) {
	dir := writeRunsDir(t)
	list, err := runs.ListRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids, statuses []string
	for _, r := range list {
		ids = append(ids, filepath.Base(r.Dir))
		statuses = append(statuses, r.Status)
	}
	wantIDs := []string{"b-complete", "c-reader", "a-incomplete", "d-failed", "z-garbage"}
	wantStatuses := []string{runs.StatusCompleted, runs.StatusNoWrite, runs.StatusIncomplete, runs.StatusFailed, runs.StatusUnreadable}
	if strings.Join(ids, " ") != strings.Join(wantIDs, " ") || strings.Join(statuses, ",") != strings.Join(wantStatuses, ",") {
		t.Fatalf("runs %v with statuses %v, want %v with %v", ids, statuses, wantIDs, wantStatuses)
	}
	b := list[0].Summary
	if list[0].RunID() != "b-complete" || b.TotalMS != 2000 || b.WritesStarted != 1 || b.WritesCompleted != 1 ||
		b.Rows.Written != 500 || b.Retries.ShardRetries != 1 || b.Retries.S3Retries != 1 || b.Dropped != 0 ||
		!b.First.Equal(time.Date(2026, 11, 30, 9, 0, 1, 0, time.UTC)) {
		t.Errorf("b-complete: %+v", b)
	}
	if a := list[2].Summary; a.WritesStarted != 1 || a.WritesCompleted != 0 || a.Rows.Written != 70 {
		t.Errorf("a-incomplete: %+v", a)
	}
	if d := list[3].Summary; d.WritesFailed["cancelled"] != 1 {
		t.Errorf("d-failed: writes failed %v, want cancelled ×1", d.WritesFailed)
	}
	if z := list[4]; z.Err == "" || z.Summary != nil || z.RunID() != "" {
		t.Errorf("z-garbage: %+v, want the read error and no summary", z)
	}

	var text bytes.Buffer
	if err := runs.WriteRunsText(&text, list); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != 6 || strings.Join(strings.Fields(lines[0]), " ") != "RUN STARTED TOTAL WRITES ROWS RETRIES DROPPED TRACE STATUS" {
		t.Fatalf("text:\n%s", text.String())
	}
	trace := func(run string) string { t, _ := runctx.Derive(run); return t.String() }
	if got := strings.Join(strings.Fields(lines[1]), " "); got != "b-complete 2026-11-30T09:00:01.000Z 2s 1/1 500 2 0 "+trace("b-complete")+" completed" {
		t.Errorf("b-complete line %q", got)
	}
	if got := strings.Join(strings.Fields(lines[3]), " "); !strings.HasPrefix(got, "a-incomplete 2026-11-30T09:00:05.000Z") || !strings.HasSuffix(got, "0/1 70 0 0 "+trace("a-incomplete")+" incomplete") {
		t.Errorf("a-incomplete line %q", got)
	}
	if got := strings.Join(strings.Fields(lines[4]), " "); !strings.HasSuffix(got, "0/1 0 0 0 "+trace("d-failed")+" failed") {
		t.Errorf("d-failed line %q", got)
	}
	if !strings.Contains(lines[5], "unreadable: ") {
		t.Errorf("z-garbage line %q", lines[5])
	}

	var js bytes.Buffer
	if err := runs.WriteRunsJSON(&js, list); err != nil {
		t.Fatal(err)
	}
	var decoded []runs.RunInfo
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil || len(decoded) != 5 {
		t.Fatalf("json (%v): %s", err, js.String())
	}
	if d := decoded[0]; d.RunID() != "b-complete" || d.Status != "completed" || d.Summary.Rows.Written != 500 || len(d.Summary.Phases) == 0 {
		t.Errorf("json first run %+v", d)
	}
	if d := decoded[4]; d.Status != runs.StatusUnreadable || d.Err == "" || d.Summary != nil {
		t.Errorf("json unreadable run %+v", d)
	}
}

func TestListRunsEmptyAndMissing(t *testing.T) {
	list, err := runs.ListRuns(t.TempDir())
	if err != nil || len(list) != 0 {
		t.Fatalf("empty dir: %v, %v", list, err)
	}
	var js bytes.Buffer
	if err := runs.WriteRunsJSON(&js, list); err != nil || strings.TrimSpace(js.String()) != "[]" {
		t.Errorf("empty JSON %q, %v", js.String(), err)
	}
	if _, err := runs.ListRuns(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(err) {
		t.Errorf("missing dir: %v, want not-exist", err)
	}
}

// clockedLog is an event log whose clock the test sets before each event.
type clockedLog struct {
	c   *eventlog.Collector
	now *time.Time
	t0  time.Time
}

// emitAt emits v in run at t0+at.
func emitAt[T any](w *clockedLog, run string, at time.Duration, v T) {
	*w.now = w.t0.Add(at)
	metrics.Emit(runctx.With(context.Background(), run), w.c, v)
}
