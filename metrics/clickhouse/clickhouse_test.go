package clickhouse_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	itestutil "github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/selfmetrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// newCollector builds a collector on s that creates its table, with a
// short batch interval so that tests are quick.
func newCollector(t *testing.T, s *chserver.Server, opts ...clickhouse.Option) *clickhouse.Collector {
	t.Helper()
	base := []clickhouse.Option{
		clickhouse.WithURL(s.URL), clickhouse.WithCreateTable(), clickhouse.WithService("test"),
		clickhouse.WithBatch(clickhouse.DefaultBatchRows, clickhouse.DefaultBatchBytes, 50*time.Millisecond),
		clickhouse.WithLogger(slog.New(slog.DiscardHandler)),
	}
	c, err := clickhouse.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func count(t *testing.T, s *chserver.Server, where string) int {
	t.Helper()
	out := strings.TrimSpace(s.MustQuery(t, "SELECT count() FROM default.milestone_events "+where))
	n, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("count: %q", out)
	}
	return n
}

func flush(t *testing.T, c metrics.Collector) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return metrics.Flush(ctx, c)
}

func TestCollectorContract(t *testing.T) {
	s := chserver.Start(t)
	collectortest.Run(t, func() metrics.Collector { return newCollector(t, s) })
	// Everything the suite emitted arrived: no loss, and rows of every kind.
	if n := count(t, s, ""); n < 1000 {
		t.Errorf("%d rows after the suite", n)
	}
}

// TestExactDelivery emits N events from several goroutines in several runs
// into ClickHouse and the event log at once: exactly N rows arrive, and
// the counts per run and event equal the event log's.
func TestExactDelivery(t *testing.T) {
	s := chserver.Start(t)
	ch := newCollector(t, s, clickhouse.WithBatch(700, 1<<20, 20*time.Millisecond))
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithQueueSize(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	c := metrics.Multi(ch, ev)
	const goroutines, perGoroutine = 6, 2500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := runctx.With(context.Background(), "run-"+strconv.Itoa(g%3))
			for i := range perGoroutine {
				switch i % 3 {
				case 0:
					metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: i, Rows: int64(i), Duration: time.Duration(i) * time.Microsecond})
				case 1:
					metrics.Emit(ctx, c, shardyfusion.ReaderGet{Found: i%2 == 0, Duration: time.Millisecond})
				default:
					collectortest.SampleEvent.Emit(ctx, c, collectortest.Sample{Status: "ok", Kind: "k" + strconv.Itoa(i%3), Note: "n\"\n" + strconv.Itoa(i)})
				}
			}
		}()
	}
	wg.Wait()
	if err := flush(t, c); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	const n = goroutines * perGoroutine
	if got := count(t, s, ""); got != n {
		t.Fatalf("%d rows, want %d", got, n)
	}
	st := ch.Stats()
	if st.Sent != n || st.Accepted != n || st.Lost+st.Dropped != 0 || st.Batches < n/700 {
		t.Errorf("stats %+v", st)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	// Per run and event, the same counts as the event log's files.
	for r := range 3 {
		run := "run-" + strconv.Itoa(r)
		data, err := os.ReadFile(filepath.Join(dir, run, "events.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		fileCounts := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			name := line[len(`{"event":"`) : strings.Index(line[len(`{"event":"`):], `"`)+len(`{"event":"`)]
			if name != "event_log_started" {
				fileCounts[name]++
			}
		}
		out := s.MustQuery(t, "SELECT event, count() FROM default.milestone_events WHERE run_id = '"+run+"' GROUP BY event FORMAT TSV")
		dbCounts := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			parts := strings.Split(line, "\t")
			dbCounts[parts[0]], _ = strconv.Atoi(parts[1])
		}
		if fmt.Sprint(fileCounts) != fmt.Sprint(dbCounts) {
			t.Errorf("%s: event log %v, ClickHouse %v", run, fileCounts, dbCounts)
		}
		// seq numbers a run's rows 1..n with no gap or repeat.
		seqs := strings.Fields(s.MustQuery(t, "SELECT count(), uniqExact(seq), min(seq), max(seq) FROM default.milestone_events WHERE run_id = '"+run+"' FORMAT TSV"))
		if seqs[0] != seqs[1] || seqs[2] != "1" || seqs[3] != seqs[0] {
			t.Errorf("%s: count, distinct seq, min, max = %v", run, seqs)
		}
	}
	// A field reads back through its key.
	got := strings.TrimSpace(s.MustQuery(t, "SELECT sum(num_values[indexOf(num_keys, 'row_count')]) FROM default.milestone_events WHERE event = 'write.shard.completed' FORMAT TSV"))
	var want int64
	for i := 0; i < perGoroutine; i += 3 {
		want += int64(i)
	}
	if got != strconv.FormatInt(goroutines*want, 10) {
		t.Errorf("sum of row_count %s, want %d", got, goroutines*want)
	}
	if err := ch.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestServerRestart stops the server in the middle of a stream: Emit never
// blocks (99% of its calls stay under 1 ms), the events within the queue
// bound arrive once the server is back, and the rest are counted dropped.
func TestServerRestart(t *testing.T) {
	s := chserver.Start(t)
	var logs itestutil.SyncBuffer
	const queue = 2000
	c := newCollector(t, s, clickhouse.WithQueueSize(queue), clickhouse.WithBatch(1<<20, 64<<20, 50*time.Millisecond),
		clickhouse.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	ctx := runctx.With(context.Background(), "restart")
	for i := range 100 {
		metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: i, BatchSize: 1})
	}
	if err := flush(t, c); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	// The outage: rounds of Emits, timed one by one. The queue holds a
	// tenth of them, so a blocking Emit would make most calls of the
	// outage slow (the sender retries for all of it). One slow call can
	// also be the test goroutine descheduled on these shared 2-core
	// machines under -race, with other packages' tests running, so the
	// check is on each round's 99th percentile: some round must have it
	// under 1 ms. The garbage collector's pauses are kept out (Emit
	// allocates nothing).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	const rounds, perRound = 4, 5000
	const n = rounds * perRound
	var p99s []time.Duration
	for range rounds {
		took := make([]time.Duration, perRound)
		for i := range perRound {
			t0 := time.Now()
			metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: i, BatchSize: 1})
			took[i] = time.Since(t0)
			if i%1000 == 0 {
				time.Sleep(10 * time.Millisecond) // let the sender take a batch and fail it
			}
		}
		slices.Sort(took)
		p99s = append(p99s, took[perRound*99/100])
	}
	t.Logf("99th percentile of Emit in each round of the outage: %v", p99s)
	if slices.Min(p99s) >= time.Millisecond {
		t.Errorf("every round's 99th percentile Emit took 1 ms or more during the outage: %v", p99s)
	}
	time.Sleep(300 * time.Millisecond)
	s.Restart(t)
	err := flush(t, c)
	st := c.Stats()
	if st.Sent+st.Dropped != n+100 || st.Lost != 0 || st.Dropped == 0 || st.Retries == 0 {
		t.Fatalf("stats %+v: want every event sent or dropped, some dropped, some retried", st)
	}
	if err == nil || !strings.Contains(err.Error(), strconv.FormatUint(st.Dropped, 10)+" dropped") {
		t.Errorf("Flush after drops: %v", err)
	}
	if got := count(t, s, "WHERE run_id = 'restart'"); uint64(got) != st.Sent {
		t.Errorf("%d rows, %d sent", got, st.Sent)
	}
	if !strings.Contains(logs.String(), "clickhouse_insert_failed") || !strings.Contains(logs.String(), "clickhouse_recovered") {
		t.Errorf("the outage and the recovery were not logged:\n%s", logs.String())
	}
	if err := c.Close(); err == nil {
		t.Error("Close after drops returned nil")
	}
}

// TestRefusalsAreReportedOnceWithoutThePassword: bad credentials and a
// missing table are each a clear error, logged once, with no password
// anywhere.
func TestRefusalsAreReportedOnceWithoutThePassword(t *testing.T) {
	s := chserver.Start(t)
	cases := []struct {
		name string
		opts []clickhouse.Option
		want string
	}{
		{"bad password", []clickhouse.Option{clickhouse.WithUser("writer"), clickhouse.WithPassword("not-" + chserver.Password), clickhouse.WithCreateTable()}, ""},
		{"missing table", []clickhouse.Option{clickhouse.WithURL(s.WriterURL()), clickhouse.WithTable("nope")}, "unknown_table"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs itestutil.SyncBuffer
			opts := append([]clickhouse.Option{clickhouse.WithURL(s.URL), clickhouse.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
				clickhouse.WithBatch(10, 1<<20, 20*time.Millisecond), clickhouse.WithRetryFor(time.Second)}, tc.opts...)
			c, err := clickhouse.New(opts...)
			if tc.want == "" { // bad credentials: New's CREATE TABLE is refused
				if err == nil || !strings.Contains(err.Error(), "Wrong password") || strings.Contains(err.Error(), chserver.Password) {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range 25 {
				metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{Elapsed: time.Duration(i)})
			}
			ferr := flush(t, c)
			st := c.Stats()
			if ferr == nil || st.Lost != 25 || st.Retries != 0 || st.BatchesLost != 3 || st.LastErrorAt.IsZero() {
				t.Errorf("Flush %v, stats %+v: want 25 lost, no retry", ferr, st)
			}
			if n := strings.Count(logs.String(), "clickhouse_insert_refused"); n != 1 || !strings.Contains(logs.String(), tc.want) {
				t.Errorf("%d refusal lines, want 1 naming %s:\n%s", n, tc.want, logs.String())
			}
			for _, text := range []string{logs.String(), ferr.Error(), st.LastError, fmt.Sprint(c.Close())} {
				if strings.Contains(text, chserver.Password) {
					t.Errorf("the password appears in %q", text)
				}
			}
		})
	}
}

func TestConfigurationFromTheEnvironment(t *testing.T) {
	t.Setenv(clickhouse.EnvURL, "http://user:hunter2@127.0.0.1:1")
	t.Setenv(clickhouse.EnvDatabase, "bad-name")
	if _, err := clickhouse.New(); err == nil || !strings.Contains(err.Error(), clickhouse.EnvDatabase) {
		t.Errorf("a malformed %s: %v", clickhouse.EnvDatabase, err)
	}
	t.Setenv(clickhouse.EnvDatabase, "")
	t.Setenv(clickhouse.EnvTable, "t;drop")
	if _, err := clickhouse.New(); err == nil || !strings.Contains(err.Error(), clickhouse.EnvTable) {
		t.Errorf("a malformed %s: %v", clickhouse.EnvTable, err)
	}
	t.Setenv(clickhouse.EnvTable, "")
	t.Setenv(clickhouse.EnvURL, "ftp://user:hunter2@host")
	_, err := clickhouse.New()
	if err == nil || !strings.Contains(err.Error(), clickhouse.EnvURL) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a malformed %s: %v (must name it and not print the password)", clickhouse.EnvURL, err)
	}
	t.Setenv(clickhouse.EnvURL, "http://user:hunter2@127.0.0.1:1")
	c, err := clickhouse.New(clickhouse.WithRetryFor(time.Millisecond), clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Target() != "http://127.0.0.1:1" || c.Table() != "default.milestone_events" {
		t.Errorf("target %q, table %q", c.Target(), c.Table())
	}
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	ferr := flush(t, c)
	if ferr == nil || strings.Contains(ferr.Error(), "hunter2") || strings.Contains(c.Stats().LastError, "hunter2") {
		t.Errorf("Flush to a closed port: %v; last error %q", ferr, c.Stats().LastError)
	}
	_ = c.Close()
	t.Setenv(clickhouse.EnvURL, "")
	if _, err := clickhouse.New(); err == nil || !strings.Contains(err.Error(), clickhouse.EnvURL) {
		t.Errorf("no URL: %v", err)
	}
	// A URL error names what was typed, without its password, and says
	// what is wrong.
	for _, tc := range []struct{ url, want string }{
		{"127.0.0.1:18123", `WithURL("127.0.0.1:18123"): the URL needs a scheme, such as http://127.0.0.1:18123`},
		{"u:hunter2@127.0.0.1:18123", `WithURL("u:xxxxx@127.0.0.1:18123"): the URL needs a scheme`},
		{"ftp://u:hunter2@h", `WithURL("ftp://u:xxxxx@h"): the scheme must be http or https, not "ftp"`},
		{"http://u:hunter2@h:bad port", `WithURL("http://u:xxxxx@h:bad port"): not a URL`},
	} {
		_, err := clickhouse.New(clickhouse.WithURL(tc.url))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("WithURL(%q): %v, want %q and no password", tc.url, err, tc.want)
		}
	}
	for _, opt := range []clickhouse.Option{nil, clickhouse.WithQueueSize(0), clickhouse.WithBatch(0, 0, 0), clickhouse.WithTimeout(0), clickhouse.WithTable("a b")} {
		if _, err := clickhouse.New(clickhouse.WithURL("http://127.0.0.1:1"), opt); err == nil {
			t.Errorf("New accepted a bad option")
		}
	}
}

func TestSelfMetricsAndReadBack(t *testing.T) {
	s := chserver.Start(t)
	c := newCollector(t, s, clickhouse.WithQueueSize(1))
	reg := prometheus.NewRegistry()
	if err := selfmetrics.Register(reg, c); err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "it's \\ a run")
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{Elapsed: 852400 * time.Microsecond, DBID: 3, Rows: 5000, Duration: 12500 * time.Microsecond})
	_ = flush(t, c)
	metrics.Emit(ctx, c, shardyfusion.ReaderGet{Found: false, Duration: 250 * time.Microsecond})
	_ = flush(t, c)
	text, err := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, "milestone_clickhouse_rows_sent_total", "milestone_events_dropped_total")
	if err != nil || !bytes.Contains(text, []byte("milestone_clickhouse_rows_sent_total 2")) ||
		!bytes.Contains(text, []byte(`milestone_events_dropped_total{sink="clickhouse"} 0`)) {
		t.Errorf("self metrics (%v):\n%s", err, text)
	}
	lines, err := clickhouse.ReadRun(context.Background(), "it's \\ a run", clickhouse.WithURL(s.URL))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(lines)), "\n")
	tr, sp := runctx.Derive("it's \\ a run")
	want0 := `"run_id":"it's \\ a run","trace_id":"` + tr.String() + `","span_id":"` + sp.String() + `","elapsed_ms":852.4,"db_id":3,"row_count":5000,"duration_ms":12.5}`
	if len(got) != 2 || !strings.HasPrefix(got[0], `{"event":"write.shard.completed","ts":"`) || !strings.HasSuffix(got[0], want0) ||
		!strings.HasSuffix(got[1], `"duration_ms":0.25,"found":false}`) {
		t.Errorf("ReadRun:\n%s", lines)
	}
	_ = c.Close()
}

func TestDDLIsIdempotent(t *testing.T) {
	s := chserver.Start(t)
	for range 2 {
		s.MustQuery(t, clickhouse.DDL("default", "ddl_twice"))
	}
	cols := s.MustQuery(t, "SELECT name FROM system.columns WHERE table = 'ddl_twice' FORMAT TSV")
	for _, col := range []string{"ts", "ts_ms", "event_date", "service", "host", "run_id", "seq", "catalog", "event", "code", "grp", "level", "message", "num_keys", "num_values", "str_keys", "str_values"} {
		if !strings.Contains("\n"+cols, "\n"+col+"\n") {
			t.Errorf("DDL lacks column %s:\n%s", col, cols)
		}
	}
}

// TestEmitAllocatesNothing: the queue holds the payload by value and the run
// id's string as given.
func TestEmitAllocatesNothing(t *testing.T) {
	c, err := clickhouse.New(clickhouse.WithURL("http://127.0.0.1:1"), clickhouse.WithQueueSize(1<<16),
		clickhouse.WithRetryFor(time.Millisecond), clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := runctx.With(context.Background(), "allocs")
	if n := testing.AllocsPerRun(1000, func() {
		metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000})
	}); n != 0 {
		t.Errorf("Emit allocates %v times", n)
	}
}
