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
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	data := t.TempDir()
	for id, faults := range map[string]*shardkv.Faults{"ok": nil, "retried": shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 1),
		"failed": shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00000", 9)} {
		_, _ = shardkv.Write(context.Background(), data, keys(1000), shardkv.WriteOptions{NumShards: 3, Collector: ev, Logger: quiet, RunID: id, Faults: faults,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	}
	ctx := runctx.With(context.Background(), "samples")
	for _, st := range []string{"ok", "error", "error", "cancelled"} {
		collectortest.SampleEvent.Emit(ctx, ev, collectortest.Sample{Status: st, Duration: time.Millisecond})
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
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
		if a.ID != g.ID || a.TraceID != g.TraceID || a.Status != g.Status || !a.Start.Equal(g.Start) || a.DurationMS != g.DurationMS ||
			a.Events != g.Events || a.Errors != g.Errors || full.Dropped != quick.Dropped || full.Lines != quick.Lines {
			t.Errorf("run %s:\nRead   %+v\nGlance %+v", id, a, g)
		}
		if id == "failed" && (g.Status != runs.StatusFailed || g.Errors == 0) {
			t.Errorf("failed: status %s, %d errors", g.Status, g.Errors)
		}
	}
}
