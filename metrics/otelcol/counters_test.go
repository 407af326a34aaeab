package otelcol_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// syncCounters is the reference otelcol's observed counters are held to:
// the synchronous Int64Counter calls that otelcol made before it
// aggregated its counters (docs/design/otel-counters.md), written from the
// declarations alone.
type syncCounters struct {
	namespace string
	attrs     []attribute.KeyValue
	counters  map[string]metric.Int64Counter
}

func newSyncCounters(t *testing.T, mp metric.MeterProvider, cat *metrics.Catalog, attrs ...attribute.KeyValue) *syncCounters {
	t.Helper()
	meter := mp.Meter(cat.Namespace())
	s := &syncCounters{namespace: cat.Namespace(), attrs: attrs, counters: map[string]metric.Int64Counter{}}
	for _, in := range cat.Instruments() {
		if in.Kind != metrics.Counter {
			continue
		}
		c, err := meter.Int64Counter(otelcol.InstrumentName(cat.Namespace(), in.Name),
			metric.WithDescription(in.Help), metric.WithUnit(in.Unit))
		if err != nil {
			t.Fatal(err)
		}
		s.counters[in.Name] = c
	}
	return s
}

// emit makes the synchronous calls of payload p of event ev.
func (s *syncCounters) emit(ev metrics.Event, p metrics.Payload) {
	d, _ := metrics.Describe(ev)
	for _, in := range d.Instruments {
		delta, ok := in.Delta(&p)
		if in.Kind != metrics.Counter || !ok {
			continue
		}
		kvs := append([]attribute.KeyValue(nil), s.attrs...)
		for _, f := range in.LabelFields() {
			kvs = append(kvs, attribute.String(f.Name, f.Label.Value(p.LabelIndex(f))))
		}
		s.counters[in.Name].Add(context.Background(), delta, metric.WithAttributes(kvs...))
	}
}

// counterData returns the counters of one collection by name.
func counterData(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if _, ok := m.Data.(metricdata.Sum[int64]); ok {
				out[m.Name] = m
			}
		}
	}
	return out
}

// nonZero returns the counters of ms with their zero-valued points left
// out, and without those that have no point left.
func nonZero(ms map[string]metricdata.Metrics) map[string]metricdata.Metrics {
	out := map[string]metricdata.Metrics{}
	for name, m := range ms {
		s := m.Data.(metricdata.Sum[int64])
		var dps []metricdata.DataPoint[int64]
		for _, dp := range s.DataPoints {
			if dp.Value != 0 {
				dps = append(dps, dp)
			}
		}
		if len(dps) > 0 {
			s.DataPoints = dps
			m.Data = s
			out[name] = m
		}
	}
	return out
}

// TestObservedCountersExportWhatSynchronousOnesDid emits the same events
// to otelcol and to synchronous counters by hand, in two rounds, and
// requires the same counters from both after each round: names, units,
// descriptions, monotonic sums, attribute sets and values, with a
// cumulative reader and a delta one. A delta reader may also get a 0 for a
// label combination that did not change in a round, where a synchronous
// counter has no point (see the design note); both mean no increase.
func TestObservedCountersExportWhatSynchronousOnesDid(t *testing.T) {
	constant := attribute.String("pipeline", "orders")
	rounds := [][]func(c metrics.Collector){
		{
			func(c metrics.Collector) { metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{}) },
			func(c metrics.Collector) {
				metrics.Emit(context.Background(), c, shardyfusion.ShardWriteCompleted{DBID: 1, Rows: 500, Duration: time.Second})
			},
			func(c metrics.Collector) { metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Found: false}) },
			func(c metrics.Collector) { metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Found: true}) },
		},
		{
			func(c metrics.Collector) {
				metrics.Emit(context.Background(), c, shardyfusion.ShardWriteCompleted{DBID: 2, Rows: 0, Duration: time.Second})
			},
			func(c metrics.Collector) { metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Found: false}) },
		},
	}
	var labeled [2][]func(c metrics.Collector)
	for round := range labeled {
		for i := range 40 {
			v := opEnded{Operation: "op-" + strconv.Itoa(round*7+i%13), Status: []string{"ok", "error", "bogus"}[i%3]}
			labeled[round] = append(labeled[round], func(c metrics.Collector) { opEndedEvent.Emit(context.Background(), c, v) })
		}
	}
	for _, delta := range []bool{false, true} {
		for _, cat := range []struct {
			catalog *metrics.Catalog
			rounds  [][]func(c metrics.Collector)
		}{{shardyfusion.Catalog, rounds}, {labelCatalog, labeled[:]}} {
			name := cat.catalog.Namespace() + map[bool]string{false: "/cumulative", true: "/delta"}[delta]
			t.Run(name, func(t *testing.T) {
				var opts []sdkmetric.ManualReaderOption
				if delta {
					opts = append(opts, sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality {
						return metricdata.DeltaTemporality
					}))
				}
				gotReader, wantReader := sdkmetric.NewManualReader(opts...), sdkmetric.NewManualReader(opts...)
				gotMP := sdkmetric.NewMeterProvider(sdkmetric.WithReader(gotReader))
				wantMP := sdkmetric.NewMeterProvider(sdkmetric.WithReader(wantReader))
				c := newCollector(t, otelcol.WithMeterProvider(gotMP), otelcol.WithCatalog(cat.catalog), otelcol.WithAttributes(constant))
				want := newSyncCounters(t, wantMP, cat.catalog, constant)
				rec := metrics.NewRecorder()
				for round, emits := range cat.rounds {
					for _, emit := range emits {
						emit(c)
						emit(rec)
					}
					for _, e := range rec.Records() {
						want.emit(e.Event, e.Payload)
					}
					rec.Reset()
					got, wanted := counterData(t, gotReader), counterData(t, wantReader)
					if delta {
						got, wanted = nonZero(got), nonZero(wanted)
					}
					if len(got) != len(wanted) {
						t.Fatalf("round %d: %d counters exported, want %d", round, len(got), len(wanted))
					}
					for name, w := range wanted {
						g, ok := got[name]
						if !ok {
							t.Fatalf("round %d: no counter %s", round, name)
						}
						metricdatatest.AssertEqual(t, w, g, metricdatatest.IgnoreTimestamp())
					}
				}
			})
		}
	}
}

// TestTwoCollectorsOnOneProvider: two collectors on one MeterProvider feed
// the same counters, as two users of one synchronous counter would: the
// exported value is the sum of both.
func TestTwoCollectorsOnOneProvider(t *testing.T) {
	mp, reader := sdk(t)
	a := newCollector(t, otelcol.WithMeterProvider(mp))
	b := newCollector(t, otelcol.WithMeterProvider(mp))
	for range 3 {
		metrics.Emit(context.Background(), a, shardyfusion.WriteStarted{})
	}
	for range 4 {
		metrics.Emit(context.Background(), b, shardyfusion.WriteStarted{})
	}
	for round := range 2 {
		if v := collect(t, reader).sum(t, "shardyfusion.writes_started").Value; v != 7 {
			t.Errorf("collection %d: writes_started = %d, want 7", round, v)
		}
	}
}
