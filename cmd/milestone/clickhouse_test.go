package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/internal/testkit/filetable"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
)

// body drops the report's header (run, file, lines, written by: what a file
// has and a table has not) and keeps everything from the total on.
func body(report string) string {
	_, rest, _ := strings.Cut(report, "\ntotal")
	return rest
}

// TestSummarizeFromClickHouseEqualsTheFile writes real runs (a shardkv
// write with retries, and a failed one) into the event log and ClickHouse
// at once: summarize and runs report the same from both.
func TestSummarizeFromClickHouseEqualsTheFile(t *testing.T) {
	s := chserver.Start(t)
	c, dir := filetable.New(t, clickhouse.WithURL(s.URL), clickhouse.WithCreateTable())
	quiet := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	data := t.TempDir()
	faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 1)
	if _, err := shardkv.Write(ctx, data, shardkv.SampleRows(5000), shardkv.WriteOptions{
		NumShards: 4, Collector: c, Logger: quiet, RunID: "good-run", Faults: faults,
		StorageRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
	}); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := shardkv.Write(cancelled, data, shardkv.SampleRows(100), shardkv.WriteOptions{NumShards: 2, Collector: c, Logger: quiet, RunID: "cancelled-run"}); err == nil {
		t.Fatal("a cancelled write succeeded")
	}
	if err := metrics.Close(c); err != nil {
		t.Fatal(err)
	}

	for _, format := range [][]string{nil, {"--json"}} {
		var file, table, errb bytes.Buffer
		if code := run(append(append([]string{"summarize"}, format...), filepath.Join(dir, "good-run")), &file, &errb); code != 0 {
			t.Fatalf("summarize the file: %d %s", code, errb.String())
		}
		if code := run(append(append([]string{"summarize"}, format...), "--clickhouse", s.URL, "good-run"), &table, &errb); code != 0 {
			t.Fatalf("summarize --clickhouse: %d %s", code, errb.String())
		}
		if format == nil {
			if body(file.String()) == "" || body(file.String()) != body(table.String()) {
				t.Errorf("the reports differ\nfile:\n%s\nclickhouse:\n%s", file.String(), table.String())
			}
			if !strings.Contains(file.String(), "s3.retry") {
				t.Errorf("the run has no storage retry:\n%s", file.String())
			}
			continue
		}
		// JSON: every figure but where it was read from.
		strip := func(s string) string {
			var keep []string
			for _, l := range strings.Split(s, "\n") {
				if !strings.Contains(l, `"path"`) && !strings.Contains(l, `"lines"`) && !strings.Contains(l, `"version"`) &&
					!strings.Contains(l, `"host"`) && !strings.Contains(l, `"pid"`) && !strings.Contains(l, `"bytes"`) {
					keep = append(keep, l)
				}
			}
			return strings.Join(keep, "\n")
		}
		if strip(file.String()) != strip(table.String()) {
			t.Errorf("the JSON summaries differ\nfile:\n%s\nclickhouse:\n%s", file.String(), table.String())
		}
	}

	var out, errb bytes.Buffer
	if code := run([]string{"runs", "--clickhouse", s.URL}, &out, &errb); code != 0 {
		t.Fatalf("runs --clickhouse: %d %s", code, errb.String())
	}
	text := out.String()
	if !strings.Contains(text, "good-run") || !strings.Contains(text, "completed") ||
		!strings.Contains(text, "cancelled-run") || !strings.Contains(text, "failed") {
		t.Errorf("runs --clickhouse:\n%s", text)
	}
	if code := run([]string{"summarize", "--clickhouse", s.URL, "no-such-run"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no rows") {
		t.Errorf("an unknown run: exit %d, %s", code, errb.String())
	}
}

func TestClickHouseDDL(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"clickhouse", "ddl", "--database", "obs", "--table", "events"}, &out, &errb); code != 0 ||
		!strings.HasPrefix(out.String(), "CREATE TABLE IF NOT EXISTS obs.events (") {
		t.Errorf("ddl: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if code := run([]string{"clickhouse", "ddl", "--table", "bad name"}, &out, &errb); code != 2 {
		t.Errorf("ddl with a bad name: exit %d", code)
	}
	errb.Reset()
	if code := run([]string{"clickhouse", "ddl", "--create", "http://u:hunter2@127.0.0.1:1"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "asking http://127.0.0.1:1 for its version") || strings.Contains(errb.String(), "hunter2") {
		t.Errorf("ddl --create on no server: exit %d, %s", code, errb.String())
	}
}
