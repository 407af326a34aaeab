package runs_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/runs"
)

// TestEventTableForAnyCatalog writes events of the suite's own catalog (not
// the built-in one) to a real event log and checks the generic table
// against figures the test computes: per label set, the count, each
// duration's total, p50, p99 and max, and the sum of the counted field.
func TestEventTableForAnyCatalog(t *testing.T) {
	c, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "generic")
	rng := rand.New(rand.NewPCG(3, 4))
	type want struct {
		durations []float64
		count     int64
	}
	wants := map[string]*want{}
	for i := range 500 {
		status := []string{"ok", "error", "cancelled"}[i%3]
		d := time.Duration(rng.Int64N(int64(2 * time.Second)))
		n := rng.Int64N(100)
		collectortest.SampleEvent.Emit(ctx, c, collectortest.Sample{
			Duration: d, Count: n, Status: status, Kind: "k", Note: "note",
		})
		w := wants[status]
		if w == nil {
			w = &want{}
			wants[status] = w
		}
		w.durations = append(w.durations, float64(d)/1e6)
		w.count += n
	}
	collectortest.EmptyEvent.Emit(ctx, c, collectortest.Empty{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := runs.ReadFile(c.Path("generic"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.EventTable) != 4 || len(s.Unknown) != 0 {
		t.Fatalf("event table %+v (unknown %v), want 3 sample rows and 1 empty", s.EventTable, s.Unknown)
	}
	for _, row := range s.EventTable[:3] {
		w := wants[row.Labels["status"]]
		if row.Event != "sample.emitted" || row.Catalog != "collectortest" || w == nil || row.Labels["kind"] != "k" {
			t.Fatalf("row %+v", row)
		}
		sorted := slices.Sorted(slices.Values(w.durations))
		var total float64
		for _, v := range sorted {
			total += v
		}
		d := row.Durations
		if row.Count != len(sorted) || len(d) != 1 || d[0].Field != "duration_ms" ||
			!approx(d[0].TotalMS, total) || d[0].P50MS != nearest(sorted, 50) || d[0].P99MS != nearest(sorted, 99) || d[0].MaxMS != sorted[len(sorted)-1] {
			t.Errorf("status %s: %+v, want count %d total %v p50 %v p99 %v max %v", row.Labels["status"], row, len(sorted), total, nearest(sorted, 50), nearest(sorted, 99), sorted[len(sorted)-1])
		}
		if len(row.Sums) != 1 || row.Sums[0].Field != "count" || row.Sums[0].Sum != w.count {
			t.Errorf("status %s: sums %+v, want count %d", row.Labels["status"], row.Sums, w.count)
		}
	}
	if last := s.EventTable[3]; last.Event != "sample.empty" || last.Count != 1 {
		t.Errorf("last row %+v", last)
	}
}

// TestUndeclaredEvents reads a log of events this binary does not declare
// (another program's catalog): the table groups them by short strings and
// *_id integers, reports *_ms and *_s fields as durations and sums the
// other integers, and the run's status comes from the header's ends_run.
func TestUndeclaredEvents(t *testing.T) {
	const header = `{"event":"event_log_started","ts":"2026-03-17T23:33:53.000Z","run_id":"q1","run_key":"query_id","ends_run":["job_ended"],"version":"v","host":"h","pid":1}` + "\n"
	// The ids of the event's span are the line's, not the event's fields:
	// they must not split the rows.
	body := `{"event":"op_ended","ts":"2026-03-17T23:33:53.100Z","query_id":"q1","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","parent_span_id":"5c2a1c8e2fb8b1a3","elapsed_ms":100,"node_id":1,"op":"scan","note":"` + strings.Repeat("x", 80) + `","duration_ms":10,"rows":5}
{"event":"op_ended","ts":"2026-03-17T23:33:53.200Z","query_id":"q1","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"c8be7c7270314442","parent_span_id":"5c2a1c8e2fb8b1a3","trace_parent_id":"00f067aa0ba902b7","elapsed_ms":200,"node_id":1,"op":"scan","duration_ms":30,"rows":7}
{"event":"op_ended","ts":"2026-03-17T23:33:53.300Z","query_id":"q1","elapsed_ms":300,"node_id":2,"op":"sink","wall_s":0.5,"ratio":0.5}
`
	for _, tc := range []struct {
		end, status string
	}{
		{"", runs.StatusIncomplete},
		{`{"event":"job_ended","ts":"2026-03-17T23:33:54.000Z","query_id":"q1","status":"ok"}` + "\n", runs.StatusCompleted},
		{`{"event":"job_ended","ts":"2026-03-17T23:33:54.000Z","query_id":"q1","status":"error"}` + "\n", runs.StatusFailed},
		{`{"event":"job_ended","ts":"2026-03-17T23:33:54.000Z","query_id":"q1","status":"cancelled"}` + "\n", runs.StatusCancelled},
	} {
		s, err := runs.Read(strings.NewReader(header + body + tc.end))
		if err != nil {
			t.Fatal(err)
		}
		if s.ShardedKV || !slices.Equal(s.RunIDs, []string{"q1"}) || s.Unknown["op_ended"] != 3 {
			t.Fatalf("summary %+v", s)
		}
		if got := runs.InfoFrom("q1", s, nil).Status; got != tc.status {
			t.Errorf("ending %q: status %s, want %s", tc.end, got, tc.status)
		}
		scan, sink := s.EventTable[0], s.EventTable[1]
		if scan.Event != "op_ended" || scan.Labels["op"] != "scan" || len(scan.Labels) != 1 || scan.Count != 2 {
			t.Fatalf("scan row %+v, want it grouped by op alone (node_id is an id)", scan)
		}
		byNode, err := runs.Read(strings.NewReader(header+body+tc.end), runs.GroupBy("node_id"))
		if err != nil || byNode.EventTable[0].Labels["node_id"] != "1" || len(byNode.EventTable[0].Labels) != 2 {
			t.Fatalf("grouped by node_id too: %v %+v", err, byNode.EventTable)
		}
		if d := scan.Durations; len(d) != 1 || d[0].Field != "duration_ms" || d[0].TotalMS != 40 || d[0].MaxMS != 30 {
			t.Errorf("scan durations %+v, want duration_ms total 40 max 30 (elapsed_ms left out)", d)
		}
		if sm := scan.Sums; len(sm) != 1 || sm[0].Field != "rows" || sm[0].Sum != 12 {
			t.Errorf("scan sums %+v, want rows 12", sm)
		}
		if d := sink.Durations; sink.Labels["op"] != "sink" || len(d) != 1 || d[0].Field != "wall_s" || d[0].TotalMS != 500 || len(sink.Sums) != 0 {
			t.Errorf("sink row %+v, want wall_s 500 ms and no sums (ratio is not an integer)", sink)
		}
		var text strings.Builder
		if err := s.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text.String(), "shards") || !strings.Contains(text.String(), "op_ended{op=scan}") {
			t.Errorf("text report of another catalog:\n%s", text.String())
		}
	}
}
