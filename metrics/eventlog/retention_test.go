package eventlog_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// writeRuns writes n complete runs r0 … r{n-1} into dir with a real
// collector, pad events each, and dates them 10 minutes apart, r0 the
// oldest and the newest 20 minutes ago (older than OpenGrace).
func writeRuns(t *testing.T, dir string, n, pad int) {
	t.Helper()
	c, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ctx := runctx.With(context.Background(), "r"+strconv.Itoa(i))
		for j := range pad {
			metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: j, BatchSize: 1})
		}
		metrics.Emit(ctx, c, shardyfusion.WriteCompleted{Rows: 1})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		at := time.Now().Add(-time.Duration(n-i+1) * 10 * time.Minute)
		if err := os.Chtimes(filepath.Join(dir, "r"+strconv.Itoa(i), "events.jsonl"), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

func runsIn(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestRetentionByCountAgeAndSize(t *testing.T) {
	quiet := eventlog.WithLogger(slog.New(slog.DiscardHandler))
	size := func(t *testing.T, dir string) int64 {
		fi, err := os.Stat(filepath.Join(dir, "r4", "events.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	cases := []struct {
		name string
		r    func(one int64) eventlog.Retention
		want []string
	}{
		{"count", func(int64) eventlog.Retention { return eventlog.Retention{MaxRuns: 2} }, []string{"r3", "r4"}},
		// r0 was written 60 minutes ago, r4 20 minutes ago.
		{"age", func(int64) eventlog.Retention { return eventlog.Retention{MaxAge: 35 * time.Minute} }, []string{"r3", "r4"}},
		{"size", func(one int64) eventlog.Retention { return eventlog.Retention{MaxBytes: 3*one + one/2} }, []string{"r2", "r3", "r4"}},
		{"all three", func(one int64) eventlog.Retention {
			return eventlog.Retention{MaxRuns: 4, MaxAge: 45 * time.Minute, MaxBytes: 10 * one}
		}, []string{"r2", "r3", "r4"}},
		{"none", func(int64) eventlog.Retention { return eventlog.Retention{} }, []string{"r0", "r1", "r2", "r3", "r4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRuns(t, dir, 5, 20)
			c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithRetention(tc.r(size(t, dir))), quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := runsIn(t, dir); !slices.Equal(got, tc.want) {
				t.Errorf("after New: runs %v, want %v", got, tc.want)
			}
			if got := c.Stats().RunsRemoved; got != uint64(5-len(tc.want)) {
				t.Errorf("RunsRemoved = %d, want %d", got, 5-len(tc.want))
			}
		})
	}
	if _, err := eventlog.New(eventlog.WithDir(t.TempDir()), eventlog.WithRetention(eventlog.Retention{MaxRuns: -1})); err == nil {
		t.Error("a negative limit was accepted")
	}
}

// TestRetentionNeverRemovesAnOpenRun: a run this collector has open, and a
// run another process wrote to a moment ago, stay, whatever their rank.
func TestRetentionNeverRemovesAnOpenRun(t *testing.T) {
	dir := t.TempDir()
	writeRuns(t, dir, 3, 5)
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	open := runctx.With(context.Background(), "open-run")
	metrics.Emit(open, c, shardyfusion.WriteStarted{})
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-24 * time.Hour)
	if err := os.Chtimes(c.Path("open-run"), old, old); err != nil {
		t.Fatal(err)
	}
	// Another process's run, written just now.
	if err := os.MkdirAll(filepath.Join(dir, "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "elsewhere", "events.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()

	c2, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.DiscardHandler)),
		eventlog.WithRetention(eventlog.Retention{MaxRuns: 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	metrics.Emit(open, c2, shardyfusion.BatchWritten{}) // open-run is open again, in c2
	if err := c2.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Chtimes again: the write above made it new.
	if err := os.Chtimes(c2.Path("open-run"), old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Prune(); err != nil {
		t.Fatal(err)
	}
	got := runsIn(t, dir)
	if !slices.Contains(got, "open-run") || !slices.Contains(got, "elsewhere") || slices.Contains(got, "r0") {
		t.Errorf("runs after pruning to 1: %v; want open-run and elsewhere kept, the closed ones removed", got)
	}
}

// TestRunsWhilePruning lists the directory (milestone runs' code) again and
// again while retention removes runs: no listing fails or shows a run as
// unreadable.
func TestRunsWhilePruning(t *testing.T) {
	dir := t.TempDir()
	writeRuns(t, dir, 60, 30)
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan string, 100)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			list, err := runs.ListRuns(dir)
			if err != nil {
				errs <- err.Error()
				return
			}
			for _, r := range list {
				if r.Status == runs.StatusUnreadable {
					errs <- r.Dir + ": " + r.Err
					return
				}
			}
		}
	}()
	pruner, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.DiscardHandler)),
		eventlog.WithRetention(eventlog.Retention{MaxRuns: 5}))
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("listing while pruning: %s", e)
	}
	if got := pruner.Stats().RunsRemoved; got != 55 {
		t.Errorf("RunsRemoved = %d, want 55", got)
	}
	_ = pruner.Close()
	list, err := runs.ListRuns(dir)
	if err != nil || len(list) != 5 {
		t.Errorf("after pruning: %d runs, %v", len(list), err)
	}
}

// TestCloseAppliesTheRetention ends more runs than MaxRuns within one
// prune period: the periodic prune lets the extra runs wait, and Close,
// once every file is closed, leaves exactly MaxRuns.
func TestCloseAppliesTheRetention(t *testing.T) {
	dir := t.TempDir()
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.DiscardHandler)),
		eventlog.WithRetention(eventlog.Retention{MaxRuns: 2}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		ctx := runctx.With(context.Background(), "run-"+strconv.Itoa(i))
		metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
		metrics.Emit(ctx, c, shardyfusion.WriteCompleted{})
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := runsIn(t, dir); len(got) <= 2 {
		t.Fatalf("runs before Close %v: the periodic prune ran more than once in 5 s", got)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := runsIn(t, dir); len(got) != 2 || c.Stats().RunsRemoved != 4 {
		t.Errorf("runs after Close %v (%d removed), want 2 kept and 4 removed", got, c.Stats().RunsRemoved)
	}
}
