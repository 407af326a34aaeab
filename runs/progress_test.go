package runs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/runs"
)

// TestWriteProgressIsAccurate replays real writes of uneven sizes and
// shards, with retried shards among them: the work estimate (rows, stages
// weighed by the other writes) stays within 0.05 of t/T (time-weighted
// RMS), its ETA within 15% after a fifth is done (median), and it never
// goes back; the task-count estimate on the same runs is printed beside it.
func TestWriteProgressIsAccurate(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a dozen snapshots")
	}
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	data := t.TempDir()
	type write struct {
		rows, shards int
		faults       *shardkv.Faults
	}
	writes := []write{
		{60000, 4, nil}, {120000, 8, nil}, {90000, 6, shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00002", 1)},
		{150000, 3, nil}, {80000, 8, shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00005", 2)}, {100000, 5, nil},
	}
	// Writes of a few hundred milliseconds, as a storage's throughput
	// makes them (the limiter), so that the log's millisecond timestamps
	// measure them well.
	lim, err := shardkv.NewLimiter(400000, 2000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range writes {
		if _, err := shardkv.Write(context.Background(), data, keys(w.rows), shardkv.WriteOptions{
			NumShards: w.shards, Concurrency: 2, Collector: ev, Logger: quiet, RunID: fmt.Sprintf("write-%d", i), RateLimit: lim,
			ExpectedRows: int64(w.rows), Faults: w.faults,
			ShardRetry:   shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: 30 * time.Millisecond},
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	logs := map[string][]byte{}
	for i := range writes {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("write-%d", i), runs.FileName))
		if err != nil {
			t.Fatal(err)
		}
		logs[fmt.Sprintf("write-%d", i)] = b
	}
	rows, err := runs.Accuracy("write", logs)
	if err != nil {
		t.Fatal(err)
	}
	checkAccuracy(t, rows)
}

// checkAccuracy prints the table and checks the work estimate: never
// backwards, closer to t/T than the task count on every run, and over the
// runs a median time-weighted RMS error of 0.05 at most and a median ETA
// error after 20% of 15% at most. (A run with a failed attempt is further
// off: the redone work is not progress, so the estimate holds while it is
// redone.)
func checkAccuracy(t *testing.T, rows []runs.AccuracyRow) {
	t.Helper()
	var b strings.Builder
	if err := runs.WriteAccuracy(&b, rows); err != nil {
		t.Fatal(err)
	}
	t.Logf("progress estimates against t/T:\n%s", b.String())
	var rms, eta []float64
	for _, r := range rows {
		if !r.Work.Monotone {
			t.Errorf("%s: the work estimate went back", r.Run)
		}
		if r.Work.RMS >= r.Tasks.RMS {
			t.Errorf("%s: the work estimate's RMS error %.3f is no better than the task count's %.3f", r.Run, r.Work.RMS, r.Tasks.RMS)
		}
		rms = append(rms, r.Work.RMS)
		if r.Work.MedianETAError >= 0 {
			eta = append(eta, r.Work.MedianETAError)
		}
	}
	slices.Sort(rms)
	slices.Sort(eta)
	if m := rms[(len(rms)-1)/2]; m > 0.05 {
		t.Errorf("median time-weighted RMS error %.3f, want 0.05 at most", m)
	}
	if len(eta) == 0 {
		t.Fatal("no ETA after 20%")
	}
	if m := eta[(len(eta)-1)/2]; m > 0.15 {
		t.Errorf("median ETA error after 20%% %.1f%%, want 15%% at most", 100*m)
	}
}
