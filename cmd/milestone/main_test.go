package main

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

// writeRun writes a small run with the real collector and returns its
// directory.
func writeRun(t *testing.T) string {
	t.Helper()
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "cli-run")
	ms := time.Millisecond
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	metrics.Emit(ctx, c, shardyfusion.ShardingCompleted{Elapsed: 40 * ms, Duration: 40 * ms})
	for i, d := range []time.Duration{30 * ms, 10 * ms, 20 * ms} {
		metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{Elapsed: 100 * ms, DBID: i, Rows: 1000, Duration: d})
	}
	metrics.Emit(ctx, c, shardyfusion.ShardWriteRetried{Elapsed: 60 * ms, DBID: 0, Attempt: 1, Backoff: 5 * ms})
	metrics.Emit(ctx, c, shardyfusion.RateLimiterThrottled{Wait: 7 * ms})
	metrics.Emit(ctx, c, shardyfusion.ShardWritesCompleted{Elapsed: 100 * ms, Duration: 60 * ms, Rows: 3000})
	metrics.Emit(ctx, c, shardyfusion.ManifestPublished{Elapsed: 130 * ms})
	metrics.Emit(ctx, c, shardyfusion.CurrentPublished{Elapsed: 135 * ms})
	metrics.Emit(ctx, c, shardyfusion.WriteCompleted{Elapsed: 140 * ms, Rows: 3000})
	for i := 1; i <= 100; i++ {
		metrics.Emit(ctx, c, shardyfusion.ReaderGet{Duration: time.Duration(i) * time.Microsecond, Found: true})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(c.Path("cli-run"))
}

func TestSummarizeText(t *testing.T) {
	dir := writeRun(t)
	var out, errb bytes.Buffer
	if code := run([]string{"summarize", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"run cli-run",
		"total 140ms",
		"sharding 40ms", "shard writes 60ms", "manifest 30ms", "current 5ms",
		"3 completed", "min 10ms, median 20ms, max 30ms",
		"rows written 3000",
		"shard writes 1 (backoff 5ms)",
		"throttled 1 time, 7ms waiting",
		"gets 100 (0 misses) p50 50µs p90 90µs p99 99µs max 100µs",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(text, "torn") {
		t.Errorf("a clean file reported torn:\n%s", out.String())
	}
}

func TestSummarizeJSONAndTornLine(t *testing.T) {
	dir := writeRun(t)
	path := filepath.Join(dir, "events.jsonl")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"event":"reader.get","ts":"2026-0`)
	f.Close()
	for _, args := range [][]string{{"summarize", "--json", path}, {"summarize", path, "--json"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		var s runs.Summary
		if err := json.Unmarshal(out.Bytes(), &s); err != nil {
			t.Fatalf("%v: not JSON: %v\n%s", args, err, out.String())
		}
		if s.TotalMS != 140 || s.Shards.MedianMS != 20 || s.Rows.Written != 3000 || s.Reader.Gets.P99MS != 0.099 ||
			s.Limiter.WaitMS != 7 || s.Retries.ShardBackoffMS != 5 {
			t.Errorf("%v: figures %+v", args, s)
		}
		if s.Torn == nil || s.Torn.Bytes != len(`{"event":"reader.get","ts":"2026-0`) {
			t.Errorf("%v: torn line not reported: %+v", args, s.Torn)
		}
	}
}

func TestUsageAndErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"summarize"}, 2, "want one PATH"},
		{[]string{"summarize", "a", "b"}, 2, "want one PATH"},
		{[]string{"summarize", "--yaml", "a"}, 2, "unknown flag --yaml"},
		{[]string{"summarize", filepath.Join(t.TempDir(), "missing")}, 1, "no such file"},
		{[]string{"summarize", t.TempDir()}, 1, "events.jsonl"},
		{[]string{"runs", "a", "b"}, 2, "want at most one DIR"},
		{[]string{"runs", "--yaml"}, 2, "unknown flag --yaml"},
		{[]string{"runs", filepath.Join(t.TempDir(), "missing")}, 1, "no such file"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", c.args, code, errb.String(), c.code, c.want)
		}
	}
	var out bytes.Buffer
	if code := run([]string{"help"}, &out, &out); code != 0 || !strings.Contains(out.String(), "summarize") {
		t.Errorf("help: %d %q", code, out.String())
	}
}

// TestRuns lists the runs of an event-log directory, by argument and by
// $MILESTONE_EVENT_LOG_DIR, as text and JSON; an unreadable run is listed,
// reported on stderr and makes the exit status 1.
func TestRuns(t *testing.T) {
	dir := filepath.Dir(writeRun(t))
	var out, errb bytes.Buffer
	if code := run([]string{"runs", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "RUN") {
		t.Fatalf("text:\n%s", out.String())
	}
	trace, _ := runctx.Derive("cli-run")
	if got := strings.Fields(lines[1]); len(got) != 9 || got[0] != "cli-run" || got[2] != "140ms" || got[3] != "1/1" || got[4] != "3000" || got[5] != "1" || got[7] != trace.String() || got[8] != "completed" {
		t.Errorf("run line %q", lines[1])
	}

	t.Setenv(eventlog.EnvDir, dir)
	out.Reset()
	if code := run([]string{"runs", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var list []runs.RunInfo
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 1 || list[0].RunID() != "cli-run" || list[0].Summary.Rows.Written != 3000 {
		t.Fatalf("json (%v): %s", err, out.String())
	}

	if err := os.MkdirAll(filepath.Join(dir, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken", runs.FileName), []byte("{oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"runs"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "broken") || !strings.Contains(out.String(), "cli-run") || !strings.Contains(out.String(), "unreadable") {
		t.Errorf("with a broken run: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

func TestDocsWritesTheBuiltinPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.md")
	var out, errb bytes.Buffer
	if code := run([]string{"docs", "-o", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	page, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(page), "`shardyfusion_writes_failed_total`") {
		t.Fatalf("page (%v):\n%s", err, page)
	}
	out.Reset()
	if code := run([]string{"docs"}, &out, &errb); code != 0 || out.String() != string(page) {
		t.Errorf("docs to stdout: exit %d, %d bytes, want the same page", code, out.Len())
	}
	if code := run([]string{"docs", "extra"}, &out, &errb); code != 2 {
		t.Errorf("docs extra: exit %d, want 2", code)
	}
}

// TestEverySubcommandAnswersHelp: -h (and --help) prints the command's
// usage, what it does and its flags on stdout and exits 0, for every
// subcommand, after other arguments too.
func TestEverySubcommandAnswersHelp(t *testing.T) {
	for _, args := range [][]string{
		{"summarize", "-h"}, {"summarize", "x", "--help"}, {"runs", "-h"}, {"docs", "-h"},
		{"mixin", "-h"}, {"clickhouse", "ddl", "-h"}, {"clickhouse", "-h"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		name := args[0]
		if name == "clickhouse" {
			name = "clickhouse ddl"
		}
		if code != 0 || !strings.HasPrefix(out.String(), "usage: milestone "+name) || errb.Len() != 0 {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 0 and the command's usage on stdout", args, code, out.String(), errb.String())
		}
		if name != "docs" && !strings.Contains(out.String(), "Flags:") {
			t.Errorf("run(%q) lists no flags:\n%s", args, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"clickhouse", "ddl", "--table"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--table needs a value") {
		t.Errorf("ddl --table: %d %q", code, errb.String())
	}
	// The usage text never breaks a sentence over a short line.
	for _, line := range strings.Split(mainUsage(), "\n") {
		if strings.HasSuffix(line, " statement.") || (len(line) > 0 && len(line) < 20 && !strings.HasPrefix(line, "usage")) {
			t.Errorf("usage line %q", line)
		}
	}
}
