package metrics_test

import (
	"context"
	"testing"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/metrics/slogcol"
)

// TestTypedNilCollectorsNeverPanic: a backend left nil (its option was
// off) and passed as a Collector, directly or through Multi, does nothing:
// Emit, Flush, Close and Health never panic.
func TestTypedNilCollectorsNeverPanic(t *testing.T) {
	var (
		ev *eventlog.Collector
		ch *clickhouse.Collector
		oc *otelcol.Collector
		pc *prom.Collector
		sc *slogcol.Collector
	)
	ctx := context.Background()
	for _, c := range []metrics.Collector{ev, ch, oc, pc, sc, metrics.Multi(ev, ch, oc, pc, sc)} {
		t.Run(typeName(c), func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panicked: %v", r)
				}
			}()
			metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
			if err := metrics.Flush(ctx, c); err != nil {
				t.Errorf("Flush: %v", err)
			}
			if err := metrics.Close(c); err != nil {
				t.Errorf("Close: %v", err)
			}
			if h, ok := c.(metrics.HealthReporter); ok {
				_ = h.Health()
			}
		})
	}
	if metrics.Multi(ev, ch, oc, pc, sc) != metrics.Nop {
		t.Error("Multi of typed nils is not Nop")
	}
}

func typeName(c metrics.Collector) string {
	switch c.(type) {
	case *eventlog.Collector:
		return "eventlog"
	case *clickhouse.Collector:
		return "clickhouse"
	case *otelcol.Collector:
		return "otelcol"
	case *prom.Collector:
		return "prom"
	case *slogcol.Collector:
		return "slogcol"
	}
	return "multi"
}
