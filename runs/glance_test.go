package runs_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/runs"
)

// TestGlanceGivesWhatReadGivesForAList: on completed, failed and other
// catalogs' runs, the figures of a list are the same from Glance and Read.
func TestGlanceGivesWhatReadGivesForAList(t *testing.T) {
	dir := writeListRuns(t)
	for _, id := range []string{"ok", "retried", "failed", "samples"} {
		b, err := os.ReadFile(filepath.Join(dir, id, runs.FileName))
		if err != nil {
			t.Fatal(err)
		}
		full, err := runs.Read(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		quick, err := runs.Glance(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		a, g := runs.InfoFrom(id, full, nil), runs.InfoFrom(id, quick, nil)
		if !sameListing(a, g) || full.Dropped != quick.Dropped || full.Lines != quick.Lines {
			t.Errorf("run %s:\nRead   %+v\nGlance %+v", id, a, g)
		}
		if id == "failed" && (g.Status != runs.StatusFailed || g.Errors == 0) {
			t.Errorf("failed: status %s, %d errors", g.Status, g.Errors)
		}
	}
}

// sameListing reports whether two RunInfos show the same in a list.
func sameListing(a, g runs.RunInfo) bool {
	return a.ID == g.ID && a.Dir == g.Dir && a.TraceID == g.TraceID && a.Status == g.Status && a.Start.Equal(g.Start) &&
		a.DurationMS == g.DurationMS && a.Events == g.Events && a.Errors == g.Errors
}

// writeListRuns writes an event-log directory of four runs: completed,
// retried, failed and another catalog's ("samples").
func writeListRuns(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	data := t.TempDir()
	for id, faults := range map[string]*shardkv.Faults{"ok": nil, "retried": shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 1),
		"failed": shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00000", 9)} {
		_, _ = shardkv.Write(context.Background(), data, shardkv.SampleRows(1000), shardkv.WriteOptions{NumShards: 3, Collector: ev, Logger: quiet, RunID: id, Faults: faults,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	}
	ctx := runctx.With(context.Background(), "samples")
	for _, st := range []string{"ok", "error", "error", "cancelled"} {
		collectortest.SampleEvent.Emit(ctx, ev, collectortest.Sample{Status: st, Duration: time.Millisecond})
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestListGlancesListsWhatListLists: a directory's glanced list shows what
// its full list shows; a second listing sees a line appended to a run and
// a run removed, and does not read a file whose size and time are
// unchanged.
func TestListGlancesListsWhatListLists(t *testing.T) {
	dir := writeListRuns(t)
	src := runs.Dir(dir)
	ctx := context.Background()
	full, err := src.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	quick, err := runs.ListGlances(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 4 || len(quick) != len(full) {
		t.Fatalf("List gives %d runs, ListGlances %d; want 4", len(full), len(quick))
	}
	for i := range full {
		if !sameListing(full[i], quick[i]) {
			t.Errorf("run %d:\nList        %+v\nListGlances %+v", i, full[i], quick[i])
		}
	}

	// An appended line is seen; a removed run is gone.
	samples := filepath.Join(dir, "samples", runs.FileName)
	f, err := os.OpenFile(samples, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"ts":"2030-01-01T00:00:00Z","event":"sample.appended","run_id":"samples"}` + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.RemoveAll(filepath.Join(dir, "ok")); err != nil {
		t.Fatal(err)
	}
	again, err := runs.ListGlances(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]runs.RunInfo{}
	for _, ri := range again {
		byID[ri.ID] = ri
	}
	if _, ok := byID["ok"]; ok || len(again) != 3 {
		t.Errorf("after removing run ok: %d runs listed, ok among them: %v", len(again), ok)
	}
	was := map[string]runs.RunInfo{}
	for _, ri := range quick {
		was[ri.ID] = ri
	}
	if got, want := byID["samples"].Events, was["samples"].Events+1; got != want {
		t.Errorf("after appending a line, samples lists %d events, want %d", got, want)
	}

	// A file whose size and time are unchanged is not read again: blank
	// out the failed run's bytes behind the source's back.
	failed := filepath.Join(dir, "failed", runs.FileName)
	st, err := os.Stat(failed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(failed, bytes.Repeat([]byte(" "), int(st.Size())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(failed, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	cached, err := runs.ListGlances(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, ri := range cached {
		if ri.ID == "failed" && !sameListing(ri, was["failed"]) {
			t.Errorf("an unchanged file was read again: %+v", ri)
		}
	}
	// A fresh source reads it, and finds no events.
	fresh, err := runs.ListGlances(ctx, runs.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, ri := range fresh {
		if filepath.Base(ri.Dir) == "failed" && ri.Events != 0 {
			t.Errorf("a fresh source lists the blanked run with %d events", ri.Events)
		}
	}
}
