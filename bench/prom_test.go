package bench

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// The prom benchmarks compare prom.Collector.Emit, called through the
// metrics.Collector interface with a packed payload (the backend's cost),
// with the client_golang calls one would write by hand on instruments
// created beforehand on an isolated registry (the "Raw" benchmarks). The
// *Typed and *Labeled benchmarks emit through the event's typed handle, so
// they include packing the struct.

func newPromCollector(b *testing.B) metrics.Collector {
	b.Helper()
	c, err := prom.New(prom.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// rawProm holds hand-made instruments equal to prom's for the two events.
type rawProm struct {
	shardWrites   prometheus.Counter
	shardDuration prometheus.Histogram
	shardRows     prometheus.Counter
	gets          prometheus.Counter
	getDuration   prometheus.Histogram
	getMisses     prometheus.Counter
}

func newRawProm() *rawProm {
	reg := prometheus.NewRegistry()
	counter := func(name string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: name})
		reg.MustRegister(c)
		return c
	}
	histogram := func(name string, buckets []float64) prometheus.Histogram {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: name, Buckets: buckets})
		reg.MustRegister(h)
		return h
	}
	return &rawProm{
		shardWrites:   counter("shardyfusion_shard_writes_completed_total"),
		shardDuration: histogram("shardyfusion_shard_write_duration_seconds", metrics.BucketsStep),
		shardRows:     counter("shardyfusion_shard_rows_written_total"),
		gets:          counter("shardyfusion_reader_gets_total"),
		getDuration:   histogram("shardyfusion_reader_get_duration_seconds", metrics.BucketsLookup),
		getMisses:     counter("shardyfusion_reader_get_misses_total"),
	}
}

func (r *rawProm) shardWriteCompleted(p shardyfusion.ShardWriteCompleted) {
	r.shardWrites.Inc()
	r.shardDuration.Observe(p.Duration.Seconds())
	r.shardRows.Add(float64(p.Rows))
}

func (r *rawProm) readerGet(p shardyfusion.ReaderGet) {
	r.gets.Inc()
	r.getDuration.Observe(p.Duration.Seconds())
	if !p.Found {
		r.getMisses.Inc()
	}
}

func BenchmarkEmitPromShardWriteCompleted(b *testing.B) {
	c := newPromCollector(b)
	ctx := context.Background()
	ev := shardEvent.Event()
	b.ReportAllocs()
	for b.Loop() {
		c.Emit(ctx, ev, shardPayload)
	}
}

// BenchmarkEmitPromShardWriteCompletedTyped is the same through the typed
// handle: packing the struct is the difference.
func BenchmarkEmitPromShardWriteCompletedTyped(b *testing.B) {
	c := newPromCollector(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		shardEvent.Emit(ctx, c, shardValue)
	}
}

func BenchmarkRawPromShardWriteCompleted(b *testing.B) {
	r := newRawProm()
	b.ReportAllocs()
	for b.Loop() {
		r.shardWriteCompleted(shardValue)
	}
}

func BenchmarkEmitPromReaderGet(b *testing.B) {
	c := newPromCollector(b)
	ctx := context.Background()
	ev, p := getEvent.Event(), getEvent.Pack(getValue)
	b.ReportAllocs()
	for b.Loop() {
		c.Emit(ctx, ev, p)
	}
}

func BenchmarkRawPromReaderGet(b *testing.B) {
	r := newRawProm()
	b.ReportAllocs()
	for b.Loop() {
		r.readerGet(getValue)
	}
}

func BenchmarkEmitPromShardWriteCompletedParallel(b *testing.B) {
	c := newPromCollector(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			shardEvent.Emit(ctx, c, shardValue)
		}
	})
}

func BenchmarkRawPromShardWriteCompletedParallel(b *testing.B) {
	r := newRawProm()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.shardWriteCompleted(shardValue)
		}
	})
}

func BenchmarkEmitPromReaderGetParallel(b *testing.B) {
	c := newPromCollector(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			getEvent.Emit(ctx, c, getValue)
		}
	})
}

func BenchmarkRawPromReaderGetParallel(b *testing.B) {
	r := newRawProm()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.readerGet(getValue)
		}
	})
}
