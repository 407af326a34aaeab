package bench

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// A declared event with two labels and four fields, as an application's
// query engine would declare it, against the same work written by hand.
//
//	cd bench && go test -run '^$' -bench 'Labeled|EventLogTyped' -benchmem -count 6

var benchCatalog = metrics.MustNewCatalog("bench")

// queryEnded has four fields and two labels: a closed set and a cap.
type queryEnded struct {
	Duration  time.Duration `milestone:"duration_ms,duration"`
	Rows      int64         `milestone:"rows"`
	Bytes     int64         `milestone:"bytes"`
	Cached    bool          `milestone:"cached"`
	Status    string        `milestone:"status,label,values=ok|error|cancelled"`
	Operation string        `milestone:"operation,label,cap=16"`
}

var queryEndedEvent = metrics.MustDeclare[queryEnded](benchCatalog, metrics.Spec{
	Code: 1, Wire: "query_ended", Group: "query", Help: "A query ended.",
	Instruments: []metrics.Instrument{
		metrics.Count("queries_total", "Queries ended.", "status", "operation"),
		metrics.Hist("query_duration_seconds", "Query time, in seconds.", "duration_ms", metrics.BucketsStep, "status", "operation"),
		metrics.Sum("query_rows_total", "Rows returned.", "rows", "status", "operation"),
	},
})

// labeledValues are the events the labeled benchmarks cycle through: three
// statuses × four operations.
var labeledValues = func() []queryEnded {
	var out []queryEnded
	for _, st := range []string{"ok", "error", "cancelled"} {
		for _, op := range []string{"scan", "filter", "aggregate", "sink"} {
			out = append(out, queryEnded{Duration: 42 * time.Millisecond, Rows: 1000, Bytes: 1 << 20, Status: st, Operation: op})
		}
	}
	return out
}()

// nextValue returns the index after i in labeledValues (and in slices of
// the same length built from it), cycling.
func nextValue(i int) int {
	if i++; i == len(labeledValues) {
		return 0
	}
	return i
}

func BenchmarkEmitPromLabeled(b *testing.B) {
	c, err := prom.New(prom.WithRegisterer(prometheus.NewRegistry()), prom.WithCatalog(benchCatalog))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, v := range labeledValues {
		queryEndedEvent.Emit(ctx, c, v) // create the series
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		queryEndedEvent.Emit(ctx, c, labeledValues[i])
		i = nextValue(i)
	}
}

// rawPromLabeled is the hand-written twin of prom's work for queryEnded.
type rawPromLabeled struct {
	queries  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	rows     *prometheus.CounterVec
}

func newRawPromLabeled() *rawPromLabeled {
	reg := prometheus.NewRegistry()
	labels := []string{"status", "operation"}
	r := &rawPromLabeled{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_queries_total", Help: "h"}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bench_query_duration_seconds", Help: "h",
			Buckets: metrics.BucketsStep}, labels),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_query_rows_total", Help: "h"}, labels),
	}
	reg.MustRegister(r.queries, r.duration, r.rows)
	return r
}

func (r *rawPromLabeled) emit(v queryEnded) {
	r.queries.WithLabelValues(v.Status, v.Operation).Inc()
	r.duration.WithLabelValues(v.Status, v.Operation).Observe(v.Duration.Seconds())
	r.rows.WithLabelValues(v.Status, v.Operation).Add(float64(v.Rows))
}

func BenchmarkRawPromLabeled(b *testing.B) {
	r := newRawPromLabeled()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.emit(labeledValues[i])
		i = nextValue(i)
	}
}

// newOtelLabeled returns an otelcol collector for benchCatalog on the
// benchmarks' MeterProvider, with the series of every labeled value
// created.
func newOtelLabeled(b *testing.B) *otelcol.Collector {
	c, err := otelcol.New(otelcol.WithMeterProvider(otelProvider(b)), otelcol.WithCatalog(benchCatalog))
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range labeledValues {
		queryEndedEvent.Emit(context.Background(), c, v)
	}
	return c
}

func BenchmarkEmitOtelLabeled(b *testing.B) {
	c := newOtelLabeled(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		queryEndedEvent.Emit(ctx, c, labeledValues[i])
		i = nextValue(i)
	}
}

// BenchmarkRawOtelLabeled makes the same SDK calls with the attribute set
// of each label combination built once, up front, and picked by index.
func BenchmarkRawOtelLabeled(b *testing.B) {
	meter := otelProvider(b).Meter("bench")
	queries, err := meter.Int64Counter("bench.queries", metric.WithDescription("h"))
	if err != nil {
		b.Fatal(err)
	}
	rows, err := meter.Int64Counter("bench.query_rows", metric.WithDescription("h"))
	if err != nil {
		b.Fatal(err)
	}
	duration, err := meter.Float64Histogram("bench.query_duration", metric.WithDescription("h"), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(metrics.BucketsStep...))
	if err != nil {
		b.Fatal(err)
	}
	addOpts := make([][]metric.AddOption, len(labeledValues))
	recOpts := make([][]metric.RecordOption, len(labeledValues))
	for i, v := range labeledValues {
		set := attribute.NewSet(attribute.String("status", v.Status), attribute.String("operation", v.Operation))
		addOpts[i] = []metric.AddOption{metric.WithAttributeSet(set)}
		recOpts[i] = []metric.RecordOption{metric.WithAttributeSet(set)}
	}
	ctx := context.Background()
	emit := func(i int) {
		v := labeledValues[i]
		queries.Add(ctx, 1, addOpts[i]...)
		duration.Record(ctx, v.Duration.Seconds(), recOpts[i]...)
		rows.Add(ctx, v.Rows, addOpts[i]...)
	}
	for i := range labeledValues {
		emit(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		emit(i)
		i = nextValue(i)
	}
}

// BenchmarkEmitEventLogTyped is the labeled event into the event log,
// sustained: a Flush every flushEvery events, none dropped.
func BenchmarkEmitEventLogTyped(b *testing.B) {
	c, err := eventlog.New(eventlog.WithDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "bench-typed")
	queryEndedEvent.Emit(ctx, c, labeledValues[0])
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	base := c.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		queryEndedEvent.Emit(ctx, c, labeledValues[i%len(labeledValues)])
		if i%flushEvery == flushEvery-1 {
			_ = c.Flush(ctx)
		}
	}
	_ = c.Flush(ctx)
	b.StopTimer()
	st := c.Stats()
	written := st.Written - base.Written
	if written != uint64(b.N) || st.Dropped != 0 || st.Lost != 0 {
		b.Fatalf("stats %+v: %d written of %d", st, written, b.N)
	}
	b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "events/s")
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRawOtelLabeledLookup is the SDK by hand as an application with
// label strings writes it: the cached attribute set of the event's labels
// found in a map keyed by their values, for every event.
func BenchmarkRawOtelLabeledLookup(b *testing.B) {
	meter := otelProvider(b).Meter("bench")
	queries, _ := meter.Int64Counter("bench.queries", metric.WithDescription("h"))
	rows, _ := meter.Int64Counter("bench.query_rows", metric.WithDescription("h"))
	duration, _ := meter.Float64Histogram("bench.query_duration", metric.WithDescription("h"), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(metrics.BucketsStep...))
	type opts struct {
		add []metric.AddOption
		rec []metric.RecordOption
	}
	sets := map[[2]string]opts{}
	for _, v := range labeledValues {
		set := attribute.NewSet(attribute.String("status", v.Status), attribute.String("operation", v.Operation))
		sets[[2]string{v.Status, v.Operation}] = opts{[]metric.AddOption{metric.WithAttributeSet(set)}, []metric.RecordOption{metric.WithAttributeSet(set)}}
	}
	ctx := context.Background()
	emit := func(v queryEnded) {
		o := sets[[2]string{v.Status, v.Operation}]
		queries.Add(ctx, 1, o.add...)
		duration.Record(ctx, v.Duration.Seconds(), o.rec...)
		rows.Add(ctx, v.Rows, o.add...)
	}
	for _, v := range labeledValues {
		emit(v)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		emit(labeledValues[i])
		i = nextValue(i)
	}
}

// BenchmarkEmitTypedLabeledNop is what packing the labeled event costs:
// queryEnded (four fields, two labels resolved to their indexes) packed
// and sent to Nop. Read it against EmitTypedNop (an event with no label)
// and EmitNop (no packing).
func BenchmarkEmitTypedLabeledNop(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		queryEndedEvent.Emit(ctx, metrics.Nop, labeledValues[i])
		i = nextValue(i)
	}
}

// BenchmarkEmitOtelLabeledPacked is BenchmarkEmitOtelLabeled with the
// payloads packed up front: otelcol's own cost over RawOtelLabeled,
// without packing.
func BenchmarkEmitOtelLabeledPacked(b *testing.B) {
	c := newOtelLabeled(b)
	ctx := context.Background()
	ev := queryEndedEvent.Event()
	packed := make([]metrics.Payload, len(labeledValues))
	for i, v := range labeledValues {
		packed[i] = queryEndedEvent.Pack(v)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Emit(ctx, ev, packed[i])
		i = nextValue(i)
	}
}
