package otelcol_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/otelcol"
)

var labelCatalog = metrics.MustNewCatalog("otel_labels_test")

// opEnded has a capped label and a closed one.
type opEnded struct {
	Duration  time.Duration `milestone:"duration_ms,duration"`
	Operation string        `milestone:"operation,label,cap=10"`
	Status    string        `milestone:"status,label,values=ok|error"`
}

var opEndedEvent = metrics.MustDeclare[opEnded](labelCatalog, metrics.Spec{
	Code: 1, Wire: "op.ended", Group: "op", Help: "An operation ended.",
	Instruments: []metrics.Instrument{
		metrics.Count("ops_total", "Operations ended.", "operation", "status"),
		metrics.Hist("op_duration_seconds", "Operation time.", "duration_ms", metrics.BucketsStep, "operation"),
	},
})

// TestCappedLabelBoundsAttributeSets: 10,000 distinct values into a label
// capped at 10 make at most 11 values of its attribute, the overflow set
// counts exactly the values past the cap, and the overflow is counted.
func TestCappedLabelBoundsAttributeSets(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithCatalog(labelCatalog),
		otelcol.WithAttributes(attribute.String("pipeline", "orders")))
	opField, _ := opEndedEvent.Descriptor().Field("operation")
	before := opField.Label.Overflows()
	const n = 10000
	for i := range n {
		opEndedEvent.Emit(context.Background(), c, opEnded{
			Operation: "op-" + strconv.Itoa(i), Status: []string{"ok", "error", "bogus"}[i%3], Duration: time.Millisecond,
		})
	}
	got := collect(t, reader)
	sum, ok := got["otel_labels_test.ops"].Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("no ops counter: %v", got.names())
	}
	if len(sum.DataPoints) > 33 {
		t.Errorf("%d attribute sets, want at most 33", len(sum.DataPoints))
	}
	var total, overflow, bogus int64
	for _, dp := range sum.DataPoints {
		total += dp.Value
		if op, _ := dp.Attributes.Value("operation"); op.AsString() == metrics.OverflowValue {
			overflow += dp.Value
		}
		if st, _ := dp.Attributes.Value("status"); st.AsString() == metrics.OverflowValue {
			bogus += dp.Value
		}
		if p, _ := dp.Attributes.Value("pipeline"); p.AsString() != "orders" {
			t.Errorf("a data point lacks the const attribute: %v", dp.Attributes)
		}
	}
	if total != n || overflow != n-10 || bogus != n/3 {
		t.Errorf("total %d, operation overflow %d, status overflow %d; want %d, %d, %d", total, overflow, bogus, n, n-10, n/3)
	}
	if got := opField.Label.Overflows() - before; got != n-10 {
		t.Errorf("operation overflows %d, want %d", got, n-10)
	}
	hist, ok := got["otel_labels_test.op_duration"].Data.(metricdata.Histogram[float64])
	if !ok || len(hist.DataPoints) != 11 {
		t.Fatalf("op_duration: %d attribute sets, want 11", len(hist.DataPoints))
	}
}

// lookup's first instrument is conditional: when it does not apply, the
// next one, with the same labels, must still find its own series.
type lookup struct {
	Hit       bool   `milestone:"hit"`
	Operation string `milestone:"op,label,cap=10"`
}

var lookupEvent = metrics.MustDeclare[lookup](labelCatalog, metrics.Spec{
	Code: 2, Wire: "op.lookup", Group: "op", Help: "A lookup.",
	Instruments: []metrics.Instrument{
		metrics.CountIf("hits_total", "Lookups that hit.", "hit", true, "op"),
		metrics.Count("lookups_total", "Lookups.", "op"),
	},
})

func TestSkippedConditionalKeepsTheNextSeries(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithCatalog(labelCatalog))
	lookupEvent.Emit(context.Background(), c, lookup{Hit: true, Operation: "warm"})
	lookupEvent.Emit(context.Background(), c, lookup{Hit: false, Operation: "cold"})
	sum := collect(t, reader)["otel_labels_test.lookups"].Data.(metricdata.Sum[int64])
	got := map[string]int64{}
	for _, dp := range sum.DataPoints {
		op, _ := dp.Attributes.Value("op")
		got[op.AsString()] += dp.Value
	}
	if got["warm"] != 1 || got["cold"] != 1 {
		t.Errorf("lookups by operation %v, want warm 1 and cold 1", got)
	}
}

// TestMixedInstrumentsAllRecord emits the suite's Sample, whose instruments
// mix labeled and unlabeled ones, and checks that each has its data point
// and the provider never panicked.
func TestMixedInstrumentsAllRecord(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithCatalog(collectortest.Catalog))
	collectortest.SampleEvent.Emit(context.Background(), c, collectortest.Sample{
		Status: "error", Kind: "k", OK: true, Count: 2, Duration: time.Second,
	})
	got := collect(t, reader)
	for _, name := range []string{"collectortest.samples", "collectortest.sample_count", "collectortest.sample_ok", "collectortest.sample_duration"} {
		if got.points(name) != 1 {
			t.Errorf("%s has %d data points, want 1", name, got.points(name))
		}
	}
	if c.Panics() != 0 {
		t.Errorf("%d panics", c.Panics())
	}
}
