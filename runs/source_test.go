package runs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/internal/testkit/filetable"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// TestClickHouseGivesWhatTheFilesGive writes real runs (completed with
// retries, failed, cancelled) into an event-log directory and a real
// ClickHouse table at once: the two Sources list the same runs with the
// same figures, and give the same summaries and the same decoded events.
func TestClickHouseGivesWhatTheFilesGive(t *testing.T) {
	s := chserver.Start(t)
	c, dir := filetable.New(t, clickhouse.WithURL(s.URL), clickhouse.WithCreateTable())
	quiet := slog.New(slog.DiscardHandler)
	data := t.TempDir()
	for i, faults := range []*shardkv.Faults{nil, shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 1), shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00000", 9)} {
		_, _ = shardkv.Write(context.Background(), data, shardkv.SampleRows(2000), shardkv.WriteOptions{
			NumShards: 3, Collector: c, Logger: quiet, RunID: fmt.Sprintf("api-run-%d", i), Faults: faults,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
		})
	}
	// Another catalog's run, ended by its EndsRun event.
	samples := runctx.With(context.Background(), "api-run-samples")
	for _, st := range []string{"ok", "error", "ok"} {
		collectortest.SampleEvent.Emit(samples, c, collectortest.Sample{Status: st, Duration: time.Millisecond})
	}
	collectortest.EmptyEvent.Emit(samples, c, collectortest.Empty{})
	if err := metrics.Close(c); err != nil {
		t.Fatal(err)
	}
	// Rows a retry delivered twice are read once.
	s.MustQuery(t, "INSERT INTO default.milestone_events SELECT * FROM default.milestone_events WHERE run_id IN ('api-run-1', 'api-run-2')")

	ctx := context.Background()
	files, tables := runs.Dir(dir), runs.ClickHouse(clickhouse.WithURL(s.URL))
	for _, list := range []func(runs.Source) ([]runs.RunInfo, error){
		func(src runs.Source) ([]runs.RunInfo, error) { return src.List(ctx) },
		func(src runs.Source) ([]runs.RunInfo, error) { return runs.ListGlances(ctx, src) },
	} {
		fromFiles, err := list(files)
		if err != nil {
			t.Fatal(err)
		}
		fromTable, err := list(tables)
		if err != nil {
			t.Fatal(err)
		}
		if len(fromFiles) != 4 || len(fromTable) != 4 {
			t.Fatalf("%d runs in the files, %d in the table, want 4", len(fromFiles), len(fromTable))
		}
		statuses := map[string]bool{}
		for i := range fromFiles {
			f, tb := fromFiles[i], fromTable[i]
			if f.ID != tb.ID || f.TraceID != tb.TraceID || f.Status != tb.Status || !f.Start.Equal(tb.Start) ||
				f.DurationMS != tb.DurationMS || f.Events != tb.Events || f.Errors != tb.Errors {
				t.Errorf("run %d:\nfiles %+v\ntable %+v", i, f, tb)
			}
			statuses[f.Status] = true
		}
		if !statuses[runs.StatusCompleted] || !statuses[runs.StatusFailed] {
			t.Errorf("statuses %v: want a completed and a failed run", statuses)
		}
	}
	fromFiles, err := files.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fromFiles {
		sf, err := runs.Summarize(ctx, files, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		st, err := runs.Summarize(ctx, tables, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		// What only a file has: where it is and its header line.
		sf.Path, sf.Lines, sf.Version, sf.Host, sf.PID = "", 0, "", "", 0
		st.Path, st.Lines, st.Version, st.Host, st.PID = "", 0, "", "", 0
		if !reflect.DeepEqual(sf, st) {
			t.Errorf("run %s: the summaries differ\nfiles %+v\ntable %+v", f.ID, sf, st)
		}
		df := decode(t, files, f.ID)
		dt := decode(t, tables, f.ID)
		if (len(df) == 0) != (f.ID == "api-run-samples") || !reflect.DeepEqual(df, dt) {
			t.Errorf("run %s: decoded shard writes differ\nfiles %+v\ntable %+v", f.ID, df, dt)
		}
	}
	for _, src := range []runs.Source{files, tables} {
		if _, err := src.Open(ctx, "no-such-run"); !errors.Is(err, runs.ErrNotFound) {
			t.Errorf("%s: Open of a missing run: %v", src, err)
		}
	}
}

// decode returns the run's shard starts by shard: the shards start
// concurrently, and two sinks fed by one Multi may see two of them in
// either order.
func decode(t *testing.T, src runs.Source, id string) []shardyfusion.ShardWriteStarted {
	t.Helper()
	rc, err := src.Open(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out, err := runs.Decode[shardyfusion.ShardWriteStarted](rc)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(out, func(a, b shardyfusion.ShardWriteStarted) int { return a.DBID - b.DBID })
	return out
}

// TestDirRefusesPathsOutOfIt: ids that are not a single name, and a link
// out of the directory, are refused, and the link is not listed.
func TestDirRefusesPathsOutOfIt(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "events")
	outside := filepath.Join(root, "secret")
	for _, d := range []string{filepath.Join(dir, "ok"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, runs.FileName), []byte(`{"event":"x","ts":"2026-01-01T00:00:00Z","run_id":"r"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	// A run directory of its own whose log is a link out.
	if err := os.MkdirAll(filepath.Join(dir, "filelink"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, runs.FileName), filepath.Join(dir, "filelink", runs.FileName)); err != nil {
		t.Fatal(err)
	}
	src := runs.Dir(dir)
	ctx := context.Background()
	if rc, err := src.Open(ctx, "ok"); err != nil {
		t.Errorf("Open(ok): %v", err)
	} else {
		rc.Close()
	}
	for _, id := range []string{"", ".", "..", "../secret", "ok/../../secret", "%2e%2e", "a\x00b", "/etc/passwd"} {
		if _, err := src.Open(ctx, id); !errors.Is(err, runs.ErrBadID) {
			t.Errorf("Open(%q): %v, want ErrBadID", id, err)
		}
	}
	for _, id := range []string{"link", "filelink"} {
		if _, err := src.Open(ctx, id); !errors.Is(err, runs.ErrNotFound) {
			t.Errorf("Open(%s), a link out of the directory: %v, want ErrNotFound", id, err)
		}
	}
	list, err := runs.ListGlances(ctx, src)
	if err != nil || len(list) != 1 || list[0].Name() != "ok" {
		t.Errorf("ListGlances lists %+v (%v), want run ok only: not the link out of the directory", list, err)
	}
}

// TestAnOldTableListsWithoutTraceIDs: a table from before the trace
// columns and ends_run lists its runs from a glance, with no trace id, as
// from a full read.
func TestAnOldTableListsWithoutTraceIDs(t *testing.T) {
	s := chserver.Start(t)
	old := strings.NewReplacer("    trace_id String,\n", "", "    span_id String,\n", "", "    parent_span_id String,\n", "", "    ends_run UInt8,\n", "").
		Replace(clickhouse.DDL("default", clickhouse.DefaultTable))
	s.MustQuery(t, old)
	c, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "old-table")
	for i := range 5 {
		metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: i, BatchSize: 1})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	src := runs.ClickHouse(clickhouse.WithURL(s.URL))
	full, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	quick, err := runs.ListGlances(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 1 || len(quick) != 1 || quick[0].ID != "old-table" || quick[0].TraceID != "" || quick[0].Events != 5 ||
		quick[0].Status != full[0].Status || !quick[0].Start.Equal(full[0].Start) {
		t.Errorf("List %+v\nListGlances %+v", full, quick)
	}
}
