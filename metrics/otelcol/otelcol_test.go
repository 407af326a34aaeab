package otelcol_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// sdk returns a real SDK MeterProvider read by a ManualReader, shut down when
// the test ends.
func sdk(t *testing.T) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, reader
}

func newCollector(t *testing.T, opts ...otelcol.Option) *otelcol.Collector {
	t.Helper()
	c, err := otelcol.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// collected is one collection: each metric by name, with its scope's name.
type collected map[string]struct {
	metricdata.Metrics
	scope string
}

func collect(t *testing.T, r *sdkmetric.ManualReader) collected {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := collected{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = struct {
				metricdata.Metrics
				scope string
			}{m, sm.Scope.Name}
		}
	}
	return out
}

// points returns how many data points the metric has (0 when absent).
func (c collected) points(name string) int {
	switch d := c[name].Data.(type) {
	case metricdata.Sum[int64]:
		return len(d.DataPoints)
	case metricdata.Histogram[float64]:
		return len(d.DataPoints)
	}
	return 0
}

// sum returns the single data point of the Int64 sum named name.
func (c collected) sum(t *testing.T, name string) metricdata.DataPoint[int64] {
	t.Helper()
	m, ok := c[name]
	if !ok {
		t.Fatalf("no metric %q; have %v", name, c.names())
	}
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s: data is %T, want metricdata.Sum[int64]", name, m.Data)
	}
	if !s.IsMonotonic || s.Temporality != metricdata.CumulativeTemporality {
		t.Errorf("%s: monotonic=%v temporality=%v, want a monotonic cumulative sum", name, s.IsMonotonic, s.Temporality)
	}
	if len(s.DataPoints) != 1 {
		t.Fatalf("%s: %d data points, want 1", name, len(s.DataPoints))
	}
	return s.DataPoints[0]
}

// hist returns the single data point of the Float64 histogram named name.
func (c collected) hist(t *testing.T, name string) metricdata.HistogramDataPoint[float64] {
	t.Helper()
	m, ok := c[name]
	if !ok {
		t.Fatalf("no metric %q; have %v", name, c.names())
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s: data is %T, want metricdata.Histogram[float64]", name, m.Data)
	}
	if len(h.DataPoints) != 1 {
		t.Fatalf("%s: %d data points, want 1", name, len(h.DataPoints))
	}
	return h.DataPoints[0]
}

func (c collected) names() []string {
	var out []string
	for n := range c {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// What collectortest.FullPayload sets, read by the test on its own so that
// the test and the Payload accessors can disagree: every integer 3, every
// duration 1.5 s, every boolean true (false in the inverted payload).
const (
	fullInt     = 3
	fullSeconds = 1.5
)

// TestEveryEventDataPoints emits each catalog event three times on a fresh
// collector and checks, from a ManualReader, exactly which data points exist:
// names, units, descriptions, counts, sums in seconds and bucket bounds.
func TestEveryEventDataPoints(t *testing.T) {
	const n = 3
	for _, d := range shardyfusion.Catalog.Descriptors() {
		ev := d.Event
		inverted := collectortest.FullPayload(d)
		for _, f := range d.Fields {
			if f.Kind == metrics.KindBool {
				inverted.SetBool(f, false)
			}
		}
		payloads := map[string]metrics.Payload{"full": collectortest.FullPayload(d), "inverted": inverted}
		for pname, p := range payloads {
			t.Run(d.Wire+"/"+pname, func(t *testing.T) {
				mp, reader := sdk(t)
				c := newCollector(t, otelcol.WithMeterProvider(mp))
				for range n {
					c.Emit(context.Background(), ev, p)
				}
				got := collect(t, reader)
				want := map[string]bool{}
				for _, in := range d.Instruments {
					name := "shardyfusion." + strings.TrimSuffix(strings.TrimSuffix(in.Name, "_total"), "_seconds")
					if in.If != "" && (pname == "full") != in.IfValue {
						if got.points(name) != 0 {
							t.Errorf("%s: has data points although %v does not equal %v", name, in.If, in.IfValue)
						}
						continue
					}
					want[name] = true
					m := got[name]
					if m.scope != "shardyfusion" {
						t.Errorf("%s: scope %q, want shardyfusion", name, m.scope)
					}
					if m.Description != in.Help {
						t.Errorf("%s: description %q, want %q", name, m.Description, in.Help)
					}
					if m.Unit != in.Unit {
						t.Errorf("%s: unit %q, want %q", name, m.Unit, in.Unit)
					}
					switch in.Kind {
					case metrics.Counter:
						wantVal := int64(n)
						if in.Value != "" {
							wantVal = n * fullInt
						}
						if dp := got.sum(t, name); dp.Value != wantVal {
							t.Errorf("%s = %d, want %d", name, dp.Value, wantVal)
						}
					case metrics.Histogram:
						if in.Unit != "s" {
							t.Errorf("%s: catalog unit %q, want s", name, in.Unit)
						}
						sec := fullSeconds
						dp := got.hist(t, name)
						if dp.Count != n {
							t.Errorf("%s: count %d, want %d", name, dp.Count, n)
						}
						if math.Abs(dp.Sum-n*sec) > 1e-9 {
							t.Errorf("%s: sum %v s, want %v s", name, dp.Sum, n*sec)
						}
						if !slices.Equal(dp.Bounds, in.Buckets) || len(dp.Bounds) == 0 {
							t.Errorf("%s: bounds %v, want the catalog's %v", name, dp.Bounds, in.Buckets)
						}
						if len(dp.BucketCounts) != len(dp.Bounds)+1 {
							t.Fatalf("%s: %d bucket counts for %d bounds", name, len(dp.BucketCounts), len(dp.Bounds))
						}
						idx := sort.SearchFloat64s(in.Buckets, sec) // upper bounds are inclusive
						for i, cnt := range dp.BucketCounts {
							wantCnt := uint64(0)
							if i == idx {
								wantCnt = n
							}
							if cnt != wantCnt {
								t.Errorf("%s: bucket %d (le %v) holds %d, want %d", name, i, boundOf(dp.Bounds, i), cnt, wantCnt)
							}
						}
						if mn, ok := dp.Min.Value(); !ok || math.Abs(mn-sec) > 1e-12 {
							t.Errorf("%s: min %v (defined %v), want %v", name, mn, ok, sec)
						}
					}
				}
				for name := range got {
					if !want[name] && got.points(name) != 0 {
						t.Errorf("%s has data points, but %v does not feed it", name, ev)
					}
				}
				if len(want) == 0 && pname == "full" {
					t.Errorf("%v fed no instrument", ev)
				}
			})
		}
	}
}

func boundOf(bounds []float64, i int) float64 {
	if i < len(bounds) {
		return bounds[i]
	}
	return math.Inf(1)
}

// TestShardWriteCompletedValues pins the values of the central event by
// hand, without deriving them from the catalog.
func TestShardWriteCompletedValues(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp))
	for _, d := range []time.Duration{250 * time.Millisecond, 1500 * time.Millisecond, 7 * time.Second} {
		metrics.Emit(context.Background(), c, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000, Duration: d})
	}
	metrics.Emit(context.Background(), c, shardyfusion.WriteCompleted{Elapsed: 1500 * time.Millisecond, Rows: 15000})
	got := collect(t, reader)

	if v := got.sum(t, "shardyfusion.shard_writes_completed").Value; v != 3 {
		t.Errorf("shard_writes_completed = %d, want 3", v)
	}
	if v := got.sum(t, "shardyfusion.shard_rows_written").Value; v != 15000 {
		t.Errorf("shard_rows_written = %d, want 15000", v)
	}
	h := got.hist(t, "shardyfusion.shard_write_duration")
	if h.Count != 3 || math.Abs(h.Sum-8.75) > 1e-9 {
		t.Errorf("shard_write_duration_seconds: count %d sum %v, want 3 and 8.75", h.Count, h.Sum)
	}
	wantBounds := []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
	if !slices.Equal(h.Bounds, wantBounds) {
		t.Errorf("bounds %v, want %v", h.Bounds, wantBounds)
	}
	// 0.25 s falls in le=0.25 (index 4), 1.5 s in le=2.5 (7), 7 s in le=10 (9).
	wantCounts := make([]uint64, 16)
	wantCounts[4], wantCounts[7], wantCounts[9] = 1, 1, 1
	if !slices.Equal(h.BucketCounts, wantCounts) {
		t.Errorf("bucket counts %v, want %v", h.BucketCounts, wantCounts)
	}
	if got["shardyfusion.shard_write_duration"].Unit != "s" {
		t.Errorf("unit %q, want s", got["shardyfusion.shard_write_duration"].Unit)
	}
	w := got.hist(t, "shardyfusion.write_duration")
	if w.Count != 1 || w.Sum != 1.5 {
		t.Errorf("write_duration_seconds: count %d sum %v, want 1 and 1.5 (elapsed 1500 ms)", w.Count, w.Sum)
	}
	if v := got.sum(t, "shardyfusion.rows_written").Value; v != 15000 {
		t.Errorf("rows_written = %d, want 15000", v)
	}
}

func TestReaderGetMisses(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp))
	for i := range 10 {
		metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Found: i%5 != 0, Duration: time.Millisecond})
	}
	got := collect(t, reader)
	if v := got.sum(t, "shardyfusion.reader_gets").Value; v != 10 {
		t.Errorf("reader_gets = %d, want 10", v)
	}
	if v := got.sum(t, "shardyfusion.reader_get_misses").Value; v != 2 {
		t.Errorf("reader_get_misses = %d, want 2", v)
	}
	h := got.hist(t, "shardyfusion.reader_get_duration")
	if h.Count != 10 || math.Abs(h.Sum-0.01) > 1e-12 {
		t.Errorf("reader_get_duration_seconds: count %d sum %v, want 10 and 0.01", h.Count, h.Sum)
	}
}

func TestInstrumentNames(t *testing.T) {
	c := newCollector(t, otelcol.WithMeterProvider(noop.NewMeterProvider()), otelcol.WithCatalog(shardyfusion.Catalog))
	names := c.InstrumentNames()
	seen := map[string]bool{}
	for _, in := range shardyfusion.Catalog.Instruments() {
		seen[otelcol.InstrumentName("shardyfusion", in.Name)] = true
	}
	if len(names) != len(seen) {
		t.Errorf("%d instruments, want %d (one per distinct catalog name)", len(names), len(seen))
	}
	for _, n := range names {
		if !seen[n] {
			t.Errorf("unexpected instrument %q", n)
		}
		if strings.HasSuffix(n, "_total") || strings.HasSuffix(n, "_seconds") {
			t.Errorf("instrument %q keeps its unit suffix", n)
		}
	}
	for _, tc := range []struct{ ns, name, want string }{
		{"shardyfusion", "shard_writes_completed_total", "shardyfusion.shard_writes_completed"},
		{"shardyfusion", "shard_write_duration_seconds", "shardyfusion.shard_write_duration"},
		{"", "reader_gets_total", "reader_gets"},
		{"acme.kv", "s3_retries_total", "acme.kv.s3_retries"},
	} {
		if got := otelcol.InstrumentName(tc.ns, tc.name); got != tc.want {
			t.Errorf("InstrumentName(%q, %q) = %q, want %q", tc.ns, tc.name, got, tc.want)
		}
	}
}

func TestMeterNameAndNamespace(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithMeterName("example.com/kv"), otelcol.WithNamespace("kv"), otelcol.WithCatalog(shardyfusion.Catalog))
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	got := collect(t, reader)
	m, ok := got["kv.writes_started"]
	if !ok {
		t.Fatalf("no kv.writes_started; have %v", got.names())
	}
	if m.scope != "example.com/kv" {
		t.Errorf("scope %q, want example.com/kv", m.scope)
	}

	mp2, reader2 := sdk(t)
	c2 := newCollector(t, otelcol.WithMeterProvider(mp2), otelcol.WithNamespace(""), otelcol.WithCatalog(shardyfusion.Catalog))
	metrics.Emit(context.Background(), c2, shardyfusion.WriteStarted{})
	if v := collect(t, reader2).sum(t, "writes_started").Value; v != 1 {
		t.Errorf("writes_started = %d, want 1", v)
	}
}

func TestConstantAttributes(t *testing.T) {
	mp, reader := sdk(t)
	a := newCollector(t, otelcol.WithMeterProvider(mp),
		otelcol.WithAttributes(attribute.String("pipeline", "orders"), attribute.Int("tier", 1)),
		otelcol.WithAttributes(attribute.String("pipeline", "orders-v2")))
	b := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithAttributes(attribute.String("pipeline", "users")))
	for range 3 {
		metrics.Emit(context.Background(), a, shardyfusion.ShardWriteCompleted{Rows: 10, Duration: time.Second})
	}
	metrics.Emit(context.Background(), b, shardyfusion.ShardWriteCompleted{Rows: 10, Duration: time.Second})

	got := collect(t, reader)
	s := got["shardyfusion.shard_writes_completed"].Data.(metricdata.Sum[int64])
	byPipeline := map[string]int64{}
	for _, dp := range s.DataPoints {
		v, _ := dp.Attributes.Value("pipeline")
		byPipeline[v.AsString()] = dp.Value
		if v.AsString() == "orders-v2" {
			if tier, ok := dp.Attributes.Value("tier"); !ok || tier.AsInt64() != 1 {
				t.Errorf("orders-v2 point lacks tier=1: %v", dp.Attributes.ToSlice())
			}
			if dp.Attributes.Len() != 2 {
				t.Errorf("attributes %v, want exactly pipeline and tier", dp.Attributes.ToSlice())
			}
		}
	}
	if byPipeline["orders-v2"] != 3 || byPipeline["users"] != 1 || len(byPipeline) != 2 {
		t.Errorf("series by pipeline %v, want orders-v2=3 users=1 (later WithAttributes wins on a key)", byPipeline)
	}
	h := got["shardyfusion.shard_write_duration"].Data.(metricdata.Histogram[float64])
	for _, dp := range h.DataPoints {
		if _, ok := dp.Attributes.Value("pipeline"); !ok {
			t.Errorf("histogram point without the constant attribute: %v", dp.Attributes.ToSlice())
		}
	}
	if len(h.DataPoints) != 2 {
		t.Errorf("%d histogram series, want 2", len(h.DataPoints))
	}
}

func TestEmitAllocatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []otelcol.Option
	}{
		{"NoAttributes", nil},
		{"TwoAttributes", []otelcol.Option{otelcol.WithAttributes(attribute.String("pipeline", "orders"), attribute.String("region", "eu"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp, _ := sdk(t)
			c := newCollector(t, append(tc.opts, otelcol.WithMeterProvider(mp))...)
			ctx := context.Background()
			for _, d := range shardyfusion.Catalog.Descriptors() {
				p := collectortest.FullPayload(d)
				c.Emit(ctx, d.Event, p) // create the series
				for _, f := range d.Fields {
					if f.Kind == metrics.KindBool {
						p.SetBool(f, false)
					}
				}
				c.Emit(ctx, d.Event, p)
				if allocs := testing.AllocsPerRun(200, func() { c.Emit(ctx, d.Event, p) }); allocs != 0 {
					t.Errorf("Emit(%v): %v allocs, want 0", d.Wire, allocs)
				}
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  otelcol.Option
		want string
	}{
		{"EmptyMeterName", otelcol.WithMeterName(""), "WithMeterName"},
		{"NilProvider", otelcol.WithMeterProvider(nil), "WithMeterProvider"},
		{"NilOwnedProvider", otelcol.WithOwnedMeterProvider(nil, nil), "WithOwnedMeterProvider"},
		{"NamespaceDigit", otelcol.WithNamespace("1abc"), "WithNamespace"},
		{"NamespaceSpace", otelcol.WithNamespace("a b"), "WithNamespace"},
		{"NamespaceTooLong", otelcol.WithNamespace("a" + strings.Repeat("b", 250)), "WithNamespace"},
		{"EmptyAttributeKey", otelcol.WithAttributes(attribute.String("", "x")), "WithAttributes"},
		{"UntypedAttribute", otelcol.WithAttributes(attribute.KeyValue{Key: "k"}), "WithAttributes"},
		{"BucketsDecreasing", otelcol.WithBuckets("shard_write_duration_seconds", 1, 0.5), "WithBuckets"},
		{"BucketsEqual", otelcol.WithBuckets("shard_write_duration_seconds", 1, 1), "WithBuckets"},
		{"BucketsNaN", otelcol.WithBuckets("shard_write_duration_seconds", math.NaN()), "WithBuckets"},
		{"BucketsInf", otelcol.WithBuckets("shard_write_duration_seconds", 1, math.Inf(1)), "WithBuckets"},
		{"BucketsEmpty", otelcol.WithBuckets("shard_write_duration_seconds"), "WithBuckets"},
		{"BucketsUnknownHistogram", otelcol.WithBuckets("no_such_seconds", 1, 2), "WithBuckets"},
		{"BucketsOnCounter", otelcol.WithBuckets("shard_writes_completed_total", 1, 2), "WithBuckets"},
		{"AllBucketsDecreasing", otelcol.WithAllBuckets(2, 1), "WithAllBuckets"},
		{"NilOption", nil, "option 1 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := otelcol.New(otelcol.WithMeterProvider(noop.NewMeterProvider()), tc.opt)
			if err == nil {
				t.Fatalf("New succeeded (%v), want an error", c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the option %s", err, tc.want)
			}
		})
	}
	// Long but valid: the namespace fits, the longest instrument name does not.
	if _, err := otelcol.New(otelcol.WithMeterProvider(noop.NewMeterProvider()), otelcol.WithNamespace("a"+strings.Repeat("b", 230))); err == nil || !strings.Contains(err.Error(), "WithNamespace") {
		t.Errorf("a namespace making names over 255 characters: err %v, want one naming WithNamespace", err)
	}
}

func TestBucketOptions(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp),
		otelcol.WithBuckets("reader_get_duration_seconds", 0.001, 0.01),
		otelcol.WithAllBuckets(1, 10, 100))
	metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Duration: 5 * time.Millisecond})
	metrics.Emit(context.Background(), c, shardyfusion.ShardWriteCompleted{Duration: 5 * time.Second})
	got := collect(t, reader)
	g := got.hist(t, "shardyfusion.reader_get_duration")
	if !slices.Equal(g.Bounds, []float64{0.001, 0.01}) || !slices.Equal(g.BucketCounts, []uint64{0, 1, 0}) {
		t.Errorf("reader_get_duration_seconds bounds %v counts %v, want [0.001 0.01] [0 1 0]", g.Bounds, g.BucketCounts)
	}
	w := got.hist(t, "shardyfusion.shard_write_duration")
	if !slices.Equal(w.Bounds, []float64{1, 10, 100}) || !slices.Equal(w.BucketCounts, []uint64{0, 1, 0, 0}) {
		t.Errorf("shard_write_duration_seconds bounds %v counts %v, want [1 10 100] [0 1 0 0]", w.Bounds, w.BucketCounts)
	}
}

func TestCollectorContract(t *testing.T) {
	t.Run("UserProvider", func(t *testing.T) {
		mp, _ := sdk(t)
		collectortest.Run(t, func() metrics.Collector {
			return newCollector(t, otelcol.WithMeterProvider(mp))
		})
	})
	t.Run("OwnedProvider", func(t *testing.T) {
		collectortest.Run(t, func() metrics.Collector {
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			return newCollector(t, otelcol.WithOwnedMeterProvider(mp, nil))
		})
	})
	t.Run("WithAttributes", func(t *testing.T) {
		mp, _ := sdk(t)
		collectortest.Run(t, func() metrics.Collector {
			return newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithAttributes(attribute.Bool("canary", true)))
		})
	})
	t.Run("collectortest.Catalog", func(t *testing.T) {
		mp, _ := sdk(t)
		collectortest.Run(t, func() metrics.Collector {
			return newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithCatalog(collectortest.Catalog))
		})
	})
}

func TestUnknownEventsIgnored(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp))
	for _, ev := range collectortest.Unknown {
		c.Emit(context.Background(), ev, collectortest.FullPayload(collectortest.SampleEvent.Descriptor()))
	}
	got := collect(t, reader)
	for name := range got {
		if got.points(name) != 0 {
			t.Errorf("%s has data points after only unknown events", name)
		}
	}
	if c.Dropped() != 0 {
		t.Errorf("Dropped = %d after unknown events, want 0 (they are ignored, not dropped)", c.Dropped())
	}
}

func TestNegativeCounterValueDropped(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp))
	metrics.Emit(context.Background(), c, shardyfusion.BatchWritten{BatchSize: 7})
	metrics.Emit(context.Background(), c, shardyfusion.BatchWritten{BatchSize: -5})
	got := collect(t, reader)
	if v := got.sum(t, "shardyfusion.batch_rows").Value; v != 7 {
		t.Errorf("batch_rows = %d, want 7 (the negative size is not added)", v)
	}
	if v := got.sum(t, "shardyfusion.batches_written").Value; v != 2 {
		t.Errorf("batches_written = %d, want 2", v)
	}
	if c.Invalid() != 1 || c.Dropped() != 0 {
		t.Errorf("Invalid = %d, Dropped = %d; want 1 and 0", c.Invalid(), c.Dropped())
	}
}

func TestNilContext(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp))
	//lint:ignore SA1012 the collector must survive a nil context
	metrics.Emit(nil, c, shardyfusion.WriteStarted{}) //nolint:staticcheck
	if v := collect(t, reader).sum(t, "shardyfusion.writes_started").Value; v != 1 {
		t.Errorf("writes_started = %d, want 1", v)
	}
	if c.Panics() != 0 {
		t.Errorf("Panics = %d", c.Panics())
	}
}

// panicking is a MeterProvider whose histograms and observers panic, to
// check that Emit and the counters' callback recover and count a panic in
// the provider. It keeps the callback the collector registers.
type panicking struct {
	noop.MeterProvider
	callback *metric.Callback
}

type panickingMeter struct {
	noop.Meter
	callback *metric.Callback
}

type panickingHistogram struct{ noop.Float64Histogram }

type panickingObserver struct{ noop.Observer }

func (p panicking) Meter(string, ...metric.MeterOption) metric.Meter {
	return panickingMeter{callback: p.callback}
}

func (panickingMeter) Float64Histogram(string, ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return panickingHistogram{}, nil
}

func (m panickingMeter) RegisterCallback(f metric.Callback, _ ...metric.Observable) (metric.Registration, error) {
	*m.callback = f
	return noop.Registration{}, nil
}

func (panickingHistogram) Record(context.Context, float64, ...metric.RecordOption) {
	panic("broken provider")
}

func (panickingObserver) ObserveInt64(metric.Int64Observable, int64, ...metric.ObserveOption) {
	panic("broken observer")
}

func TestProviderPanicRecovered(t *testing.T) {
	var callback metric.Callback
	c := newCollector(t, otelcol.WithMeterProvider(panicking{callback: &callback}), otelcol.WithCatalog(shardyfusion.Catalog))
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Emit panicked into the caller: %v", r)
			}
		}()
		metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{}) // a counter: no call into the provider
		metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{})    // a histogram too
	}()
	if c.Panics() != 1 {
		t.Errorf("Panics = %d after a histogram panicked, want 1", c.Panics())
	}
	if callback == nil {
		t.Fatal("the collector registered no callback for its counters")
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("the counters' callback panicked into the provider: %v", r)
			}
		}()
		if err := callback(context.Background(), panickingObserver{}); err != nil {
			t.Errorf("callback: %v", err)
		}
	}()
	if c.Panics() != 2 {
		t.Errorf("Panics = %d after an observer panicked too, want 2", c.Panics())
	}
}

// TestUserProviderNotShutDown checks that Flush and Close leave a provider
// passed with WithMeterProvider alone, and that Emit after Close is ignored.
func TestUserProviderNotShutDown(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp))
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	if c.Dropped() != 1 {
		t.Errorf("Dropped = %d after one Emit after Close, want 1", c.Dropped())
	}
	// The provider still works: collecting succeeds and a new collector on
	// it records.
	got := collect(t, reader)
	if v := got.sum(t, "shardyfusion.writes_started").Value; v != 1 {
		t.Errorf("writes_started = %d, want 1 (the Emit after Close is ignored)", v)
	}
	c2 := newCollector(t, otelcol.WithMeterProvider(mp))
	metrics.Emit(context.Background(), c2, shardyfusion.WriteStarted{})
	if v := collect(t, reader).sum(t, "shardyfusion.writes_started").Value; v != 2 {
		t.Errorf("writes_started = %d after a second collector emitted, want 2", v)
	}
}

func TestOwnedProviderShutDown(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var calls int
	c := newCollector(t, otelcol.WithOwnedMeterProvider(mp, func(ctx context.Context) error {
		calls++
		return mp.Shutdown(ctx)
	}))
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if calls != 1 {
		t.Errorf("shutdown called %d times, want 1", calls)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err == nil {
		t.Errorf("Collect after Close succeeded; the owned provider was not shut down")
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close: %v, want nil", err)
	}
}

func TestOwnedProviderDefaultShutdown(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	c := newCollector(t, otelcol.WithOwnedMeterProvider(mp, nil))
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err == nil {
		t.Errorf("Collect after Close succeeded; mp.Shutdown was not called")
	}
}

// TestCloseWhileEmitting closes an owned provider while goroutines emit: no
// panic, no race, and the Emits after Close are counted as dropped.
func TestCloseWhileEmitting(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	c := newCollector(t, otelcol.WithOwnedMeterProvider(mp, nil))
	stop := make(chan struct{})
	done := make(chan uint64)
	for range 4 {
		go func() {
			var n uint64
			for {
				select {
				case <-stop:
					done <- n
					return
				default:
				}
				metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Duration: time.Microsecond})
				n++
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); c.Dropped() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	var total uint64
	for range 4 {
		total += <-done
	}
	if c.Dropped() == 0 || c.Dropped() > total {
		t.Errorf("Dropped = %d of %d emits; want some, and no more than were emitted", c.Dropped(), total)
	}
	if c.Panics() != 0 {
		t.Errorf("Panics = %d", c.Panics())
	}
}

// TestDistinctErrors: an error the SDK joins from two equal ones reads once.
func TestDistinctErrors(t *testing.T) {
	e := errors.Join(context.DeadlineExceeded, context.DeadlineExceeded)
	if got := otelcol.Distinct(e).Error(); got != "context deadline exceeded" {
		t.Errorf("Distinct = %q", got)
	}
	if !errors.Is(otelcol.Distinct(e), context.DeadlineExceeded) {
		t.Error("Distinct lost the error's identity")
	}
	two := errors.Join(context.DeadlineExceeded, errors.New("dial tcp: refused"))
	if got := otelcol.Distinct(two).Error(); got != "context deadline exceeded\ndial tcp: refused" {
		t.Errorf("Distinct of two = %q", got)
	}
}
