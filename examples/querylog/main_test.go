package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/mixin"
	"github.com/milestone-go/milestone/runs"
)

// query runs one query of o through the program's own path (runQuery on
// the program's backends), read back by exampletest.Run.
func query(t *testing.T, ctx context.Context, o *options) *exampletest.Result {
	t.Helper()
	return exampletest.Run(t, Catalog, "query_id", o.events, func(c metrics.Collector) (string, error) {
		return runQuery(ctx, c, o)
	})
}

func testOptions(t *testing.T, rows int) *options {
	dir := t.TempDir()
	return &options{data: dir, events: filepath.Join(dir, "events"), rows: rows, threshold: 50}
}

// expected is what the query over the generated table must find: the
// rows the filter keeps and the groups the aggregate makes.
func expected(rows int, threshold float64) (kept int64, groups map[string]bool) {
	groups = map[string]bool{}
	for i := range int64(rows) {
		r := RowOf(i)
		if r.Value >= threshold {
			kept++
			groups[r.Category] = true
		}
	}
	return kept, groups
}

var operators = []string{"scan", "filter", "project", "aggregate", "sink"}

// TestQueryThroughEveryBackend runs one query end to end and checks every
// backend against figures computed from the table itself.
func TestQueryThroughEveryBackend(t *testing.T) {
	const rows = 100_000
	o := testOptions(t, rows)
	r := query(t, context.Background(), o)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	kept, groups := expected(rows, o.threshold)

	// Prometheus.
	reg := r.Backends.Registry
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"querylog_queries_total", []string{"", "ok"}, 1},
		{"querylog_operator_rows_in_total", []string{"scan"}, rows},
		{"querylog_operator_rows_out_total", []string{"scan"}, rows},
		{"querylog_operator_rows_in_total", []string{"filter"}, rows},
		{"querylog_operator_rows_out_total", []string{"filter"}, float64(kept)},
		{"querylog_operator_rows_out_total", []string{"aggregate"}, float64(len(groups))},
		{"querylog_result_rows_total", nil, float64(len(groups))},
	} {
		got, err := exampletest.Counter(reg, tc.name, tc.labels...)
		if err != nil || got != tc.want {
			t.Errorf("%s%v = %v (%v), want %v", tc.name, tc.labels, got, err, tc.want)
		}
	}
	for _, op := range operators {
		if got, err := exampletest.Counter(reg, "querylog_operators_started_total", op); err != nil || got != 1 {
			t.Errorf("operators_started_total{%s} = %v (%v), want 1", op, got, err)
		}
	}
	if n := promtestutil.CollectAndCount(reg, "querylog_operator_duration_seconds"); n != len(operators) {
		t.Errorf("operator_duration_seconds has %d series, want one per operator (%d)", n, len(operators))
	}

	// OpenTelemetry.
	for _, tc := range []struct {
		name, key, value string
		want             float64
	}{
		{"querylog.queries", "status", "ok", 1},
		{"querylog.operator_rows_in", "operator", "scan", rows},
		{"querylog.operator_rows_out", "operator", "filter", float64(kept)},
		{"querylog.operator_duration", "operator", "sink", 1},
		{"querylog.query_duration", "status", "ok", 1},
	} {
		if got, ok := exampletest.OTel(&r.OTel, tc.name, tc.key, tc.value); !ok || got != tc.want {
			t.Errorf("otel %s{%s=%s} = %v (found %v), want %v", tc.name, tc.key, tc.value, got, ok, tc.want)
		}
	}

	// The event log: the header, then the query's events in order.
	ev := r.EventLog
	if ev[0].Str("event") != "event_log_started" || ev[0].Str("run_key") != "query_id" {
		t.Fatalf("header %v", ev[0])
	}
	if ev[1].Str("event") != "session_started" || ev[2].Str("event") != "query_started" || ev[len(ev)-1].Str("event") != "query_ended" {
		t.Errorf("first events %s, %s and last %s, want session_started, query_started … query_ended",
			ev[1].Str("event"), ev[2].Str("event"), ev[len(ev)-1].Str("event"))
	}
	started, ended := map[float64]int{}, map[float64]int{}
	var scanned, statsLines float64
	for i, l := range ev[1:] {
		if l.Str("query_id") != r.ID {
			t.Fatalf("line %d has query_id %q, want %q", i+1, l.Str("query_id"), r.ID)
		}
		switch l.Str("event") {
		case "operator_started":
			started[l.Num("node_id")] = i
		case "operator_ended":
			ended[l.Num("node_id")] = i
		case "stats":
			if _, ok := started[l.Num("node_id")]; !ok {
				t.Errorf("stats of node %v before its operator_started", l.Num("node_id"))
			}
			if l.Str("operator") == "scan" {
				scanned += l.Num("rows_in")
			}
			statsLines++
		}
	}
	for node := 1.0; node <= 5; node++ {
		s, okS := started[node]
		e, okE := ended[node]
		if !okS || !okE || s >= e {
			t.Errorf("node %v: operator_started at %d (%v), operator_ended at %d (%v)", node, s, okS, e, okE)
		}
	}
	if scanned != rows {
		t.Errorf("scan's stats add up to %v rows, want %d", scanned, rows)
	}

	// The JSON log: one line per event (debug included), with the query id.
	counts := map[string]int{}
	for _, l := range r.JSONLog {
		if l.Str("catalog") == "querylog" {
			counts[l.Str("event_name")]++
			if l.Str("query_id") != r.ID {
				t.Errorf("log line %v lacks the query id", l)
			}
		}
	}
	if counts["operator_started"] != 5 || counts["operator_ended"] != 5 || counts["query_ended"] != 1 || float64(counts["stats"]) != statsLines {
		t.Errorf("JSON log lines per event %v, want 5 operator_started, 5 operator_ended, 1 query_ended, %v stats", counts, statsLines)
	}

	// The summary, from the event log, matches what was emitted.
	s, err := runs.ReadFile(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info := runs.InfoFrom(r.ID, s, nil); info.Status != runs.StatusCompleted || s.ShardedKV {
		t.Errorf("status %s (sharded KV %v), want completed", info.Status, s.ShardedKV)
	}
	checkOperatorRows(t, s, ev)
}

// checkOperatorRows checks the summary's operator_ended rows (time per
// operator) and the sums of the stats rows against the event log's lines.
func checkOperatorRows(t *testing.T, s *runs.Summary, ev []exampletest.Line) {
	t.Helper()
	rowsIn := map[string]float64{}
	durations := map[string]float64{}
	for _, l := range ev {
		switch l.Str("event") {
		case "stats":
			rowsIn[l.Str("operator")] += l.Num("rows_in")
		case "operator_ended":
			durations[l.Str("operator")] = l.Num("duration_ms")
		}
	}
	seen := 0
	for _, row := range s.EventTable {
		op := row.Labels["operator"]
		switch row.Event {
		case "operator_ended":
			seen++
			if row.Count != 1 || len(row.Durations) != 1 || row.Durations[0].TotalMS != durations[op] {
				t.Errorf("summary row %+v, want duration_ms %v", row, durations[op])
			}
		case "stats":
			if len(row.Sums) == 0 || row.Sums[0].Field != "rows_in" || float64(row.Sums[0].Sum) != rowsIn[op] {
				t.Errorf("summary row %+v, want rows_in %v", row, rowsIn[op])
			}
		}
	}
	if seen != len(operators) {
		t.Errorf("summary has %d operator_ended rows, want %d", seen, len(operators))
	}
}

// TestFailedAndCancelledQueries checks that a failed and a cancelled query
// are recorded with their status and error type in every backend, and that
// the error reaches the caller.
func TestFailedAndCancelledQueries(t *testing.T) {
	for _, tc := range []struct {
		name, status, errType, runStatus, level string
		cancel, fail                            bool
	}{
		{"failed", "error", "unknown_column", runs.StatusFailed, "ERROR", false, true},
		{"cancelled", "cancelled", "cancelled", runs.StatusCancelled, "WARN", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t, 1000)
			o.fail = tc.fail
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			r := query(t, ctx, o)
			if r.Err == nil || tc.cancel && !errors.Is(r.Err, context.Canceled) {
				t.Fatalf("query error %v", r.Err)
			}
			if got, err := exampletest.Counter(r.Backends.Registry, "querylog_queries_total", tc.errType, tc.status); err != nil || got != 1 {
				t.Errorf("queries_total{%s,%s} = %v (%v), want 1", tc.status, tc.errType, got, err)
			}
			if got, _ := exampletest.OTel(&r.OTel, "querylog.queries", "error_type", tc.errType); got != 1 {
				t.Errorf("otel queries{error_type=%s} = %v, want 1", tc.errType, got)
			}
			last := r.EventLog[len(r.EventLog)-1]
			if last.Str("event") != "query_ended" || last.Str("status") != tc.status || last.Str("error_type") != tc.errType {
				t.Errorf("last event-log line %v", last)
			}
			var logged bool
			for _, l := range r.JSONLog {
				logged = logged || l.Str("event_name") == "query_ended" && l.Str("status") == tc.status && l.Str("error_type") == tc.errType && l.Str("level") == tc.level
			}
			if !logged {
				t.Errorf("no query_ended JSON line with status %s at %s", tc.status, tc.level)
			}
			s, err := runs.ReadFile(r.Path)
			if err != nil {
				t.Fatal(err)
			}
			if info := runs.InfoFrom(r.ID, s, nil); info.Status != tc.runStatus {
				t.Errorf("run status %s, want %s", info.Status, tc.runStatus)
			}
		})
	}
}

// TestMixin generates the query engine's alerts, rules and dashboard from
// its catalog, and has promtool check the rules.
func TestMixin(t *testing.T) {
	files, err := mixin.Generate(Catalog, MixinConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"QuerylogQueryLatencyHigh", "QuerylogOperatorLatencyHigh", "QuerylogExecutionsStalled", "QuerylogQueriesError", "QuerylogQueriesCancelledHigh"} {
		if !strings.Contains(string(files["alerts.yaml"]), want) {
			t.Errorf("alerts.yaml lacks %s", want)
		}
	}
	if !strings.Contains(string(files["dashboards/querylog.json"]), "querylog_operator_duration_seconds_bucket") {
		t.Errorf("the dashboard lacks the operator latency:\n%s", files["dashboards/querylog.json"])
	}
	dir := t.TempDir()
	if err := files.Write(dir); err != nil {
		t.Fatal(err)
	}
	promserver.CheckRules(t, filepath.Join(dir, "alerts.yaml"), filepath.Join(dir, "rules.yaml"))
}

// TestCommand runs the command itself, with -metrics, and checks what it
// prints.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-data", dir, "-rows", "2000", "-metrics"}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	first, _, _ := strings.Cut(stdout.String(), "\n")
	id, path, ok := strings.Cut(strings.TrimPrefix(first, "query "), ": event log ")
	if !ok || path != filepath.Join(dir, "events", id, "events.jsonl") {
		t.Fatalf("first line %q", first)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
	if !strings.Contains(stdout.String(), `querylog_queries_total{error_type="",status="ok"} 1`) {
		t.Errorf("metrics lack the query:\n%s", stdout.String())
	}
	promserver.CheckMetrics(t, []byte(stdout.String()[len(first)+1:]))
	if err := run(context.Background(), []string{"-rows", "0"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "-rows") {
		t.Errorf("-rows 0: %v", err)
	}
}
