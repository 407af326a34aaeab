package clickhouse_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	itestutil "github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/selfmetrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// distinctRows returns the number of distinct (run_id, seq) in the table,
// read through node.
func distinctRows(t *testing.T, node *chserver.Server) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(node.MustQuery(t, "SELECT uniqExact(run_id, seq) FROM default.milestone_events")))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFailoverLosesNothingWhileOneServerIsUp streams events into a real
// two-node cluster through the first node, and kills that node in the
// middle: the batches go to the second node, nothing is lost or dropped,
// the switch is logged once and counted, and once the first node is back
// (the second holds the rows of the first's shard until then) every event
// is in the table.
func TestFailoverLosesNothingWhileOneServerIsUp(t *testing.T) {
	// It counts failovers: an insert that times out on a loaded machine is
	// one too many. No fleet on the cores meanwhile, and a timeout only a
	// stuck server reaches (a killed one fails at once).
	itestutil.Exclusive(t)
	nodes := chserver.StartCluster(t, "pair", 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := clickhouse.CreateTable(ctx, clickhouse.TableOptions{Cluster: "pair"}, clickhouse.WithURL(nodes[0].URL, nodes[1].URL)); err != nil {
		t.Fatal(err)
	}
	var logs itestutil.SyncBuffer
	c, err := clickhouse.New(clickhouse.WithURL(nodes[0].URL+","+nodes[1].URL),
		clickhouse.WithBatch(clickhouse.DefaultBatchRows, clickhouse.DefaultBatchBytes, 50*time.Millisecond),
		clickhouse.WithTimeout(20*time.Second), clickhouse.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := selfmetrics.Register(reg, c); err != nil {
		t.Fatal(err)
	}
	var emitted atomic.Int64
	emit := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			for i := range 100 {
				ctx := runctx.With(context.Background(), "failover-"+strconv.Itoa(i%8))
				metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: i, BatchSize: 1})
			}
			emitted.Add(100)
			time.Sleep(5 * time.Millisecond)
		}
	}
	emit(time.Second)
	if got := c.Target(); got != nodes[0].URL {
		t.Fatalf("writing to %s before the failure, want the first URL", got)
	}
	nodes[0].Stop()
	emit(2 * time.Second)
	if err := flush(t, c); err != nil {
		t.Fatalf("Flush with one server up: %v", err)
	}
	st := c.Stats()
	if st.Lost+st.Dropped != 0 || st.Sent != uint64(emitted.Load()) {
		t.Errorf("stats %+v, %d emitted: want every event sent", st, emitted.Load())
	}
	if got := c.Target(); got != nodes[1].URL {
		t.Errorf("writing to %s after the failure, want the second URL", got)
	}
	if n := strings.Count(logs.String(), "clickhouse_failover"); n != 1 {
		t.Errorf("%d clickhouse_failover lines, want 1:\n%s", n, logs.String())
	}
	text, err := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, "milestone_clickhouse_failovers_total", "milestone_clickhouse_server_active")
	for _, want := range []string{
		`milestone_clickhouse_failovers_total{server="` + nodes[0].URL + `"} 1`,
		`milestone_clickhouse_failovers_total{server="` + nodes[1].URL + `"} 0`,
		`milestone_clickhouse_server_active{server="` + nodes[1].URL + `"} 1`,
	} {
		if err != nil || !strings.Contains(string(text), want) {
			t.Errorf("self metrics lack %s (%v):\n%s", want, err, text)
		}
	}

	nodes[0].Restart(t)
	deadline := time.Now().Add(60 * time.Second)
	for distinctRows(t, nodes[1]) != int(emitted.Load()) {
		if time.Now().After(deadline) {
			t.Fatalf("%d distinct rows after the first node came back, %d emitted", distinctRows(t, nodes[1]), emitted.Load())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestATableFromBeforeTheTraceColumnsGetsItsRows: the sink writes what an
// older table holds, and says once what it lacks.
func TestATableFromBeforeTheTraceColumnsGetsItsRows(t *testing.T) {
	s := chserver.Start(t)
	old := strings.NewReplacer("    trace_id String,\n", "", "    span_id String,\n", "", "    parent_span_id String,\n", "").
		Replace(clickhouse.DDL("default", clickhouse.DefaultTable))
	s.MustQuery(t, old)
	var logs itestutil.SyncBuffer
	c, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		clickhouse.WithBatch(10, 1<<20, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "old-table")
	for i := range 25 {
		metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: i, BatchSize: 1})
	}
	if err := flush(t, c); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if n := count(t, s, "WHERE run_id = 'old-table'"); n != 25 {
		t.Errorf("%d rows, want 25", n)
	}
	if n := strings.Count(logs.String(), "clickhouse_table_incomplete"); n != 1 ||
		!strings.Contains(logs.String(), "lacks trace_id, span_id, parent_span_id") {
		t.Errorf("%d clickhouse_table_incomplete lines, want 1 naming the trace columns:\n%s", n, logs.String())
	}
	lines, err := clickhouse.ReadRun(context.Background(), "old-table", clickhouse.WithURL(s.URL))
	if err != nil || strings.Count(string(lines), "\n") != 25 {
		t.Errorf("ReadRun of the old table: %v\n%s", err, lines)
	}
	_ = c.Close()
}
