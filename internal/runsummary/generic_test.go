package runsummary_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/runsummary"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/eventlog"
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
	ctx := eventlog.WithRun(context.Background(), "generic")
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
	s, err := runsummary.ReadFile(c.Path("generic"))
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
