package bench

import (
	"testing"

	kitprom "github.com/go-kit/kit/metrics/prometheus"
	gometrics "github.com/hashicorp/go-metrics"
	gometricsprom "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// The peer benchmarks do what prom.Collector.Emit does for one
// ShardWriteCompleted (count the write, observe its duration, add its rows
// to a Prometheus registry) with the metrics libraries Go services use for
// that today, so that one run shows them beside
// BenchmarkEmitPromShardWriteCompleted and BenchmarkRawPromShardWriteCompleted:
//
//   - go-kit's metrics/prometheus adapter, instruments made beforehand with no
//     label, called as go-kit code calls them (With, then Add or Observe);
//   - hashicorp/go-metrics with its Prometheus sink, keys built beforehand,
//     host name and runtime metrics off. Its samples are summaries, not
//     histograms: that is what the sink offers.
//
// hashicorp/go-metrics is pinned at v0.5.4: v0.6 and later need a newer
// client_golang and Go than the rest of the module.

// newGoKitShardWrite returns go-kit's ShardWriteCompleted and the registry
// it feeds.
func newGoKitShardWrite() (func(shardyfusion.ShardWriteCompleted), *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	writes := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shardyfusion_shard_writes_completed_total", Help: "h"}, nil)
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shardyfusion_shard_write_duration_seconds", Help: "h",
		Buckets: metrics.BucketsStep}, nil)
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shardyfusion_shard_rows_written_total", Help: "h"}, nil)
	reg.MustRegister(writes, duration, rows)
	kitWrites, kitDuration, kitRows := kitprom.NewCounter(writes), kitprom.NewHistogram(duration), kitprom.NewCounter(rows)
	return func(p shardyfusion.ShardWriteCompleted) {
		kitWrites.With().Add(1)
		kitDuration.With().Observe(p.Duration.Seconds())
		kitRows.With().Add(float64(p.Rows))
	}, reg
}

var (
	goMetricsWrites   = []string{"shard", "writes", "completed", "total"}
	goMetricsDuration = []string{"shard", "write", "duration", "seconds"}
	goMetricsRows     = []string{"shard", "rows", "written", "total"}
)

// newGoMetricsShardWrite returns hashicorp/go-metrics' ShardWriteCompleted
// and the registry its sink feeds.
func newGoMetricsShardWrite(tb testing.TB) (func(shardyfusion.ShardWriteCompleted), *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	sink, err := gometricsprom.NewPrometheusSinkFrom(gometricsprom.PrometheusOpts{Registerer: reg})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := gometrics.DefaultConfig("shardyfusion")
	cfg.EnableHostname, cfg.EnableRuntimeMetrics = false, false
	m, err := gometrics.New(cfg, sink)
	if err != nil {
		tb.Fatal(err)
	}
	return func(p shardyfusion.ShardWriteCompleted) {
		m.IncrCounter(goMetricsWrites, 1)
		m.AddSample(goMetricsDuration, float32(p.Duration.Seconds()))
		m.IncrCounter(goMetricsRows, float32(p.Rows))
	}, reg
}

func BenchmarkPeerGoKitShardWriteCompleted(b *testing.B) {
	emit, _ := newGoKitShardWrite()
	benchPeer(b, emit)
}

func BenchmarkPeerGoMetricsShardWriteCompleted(b *testing.B) {
	emit, _ := newGoMetricsShardWrite(b)
	benchPeer(b, emit)
}

func benchPeer(b *testing.B, emit func(shardyfusion.ShardWriteCompleted)) {
	b.ReportAllocs()
	for b.Loop() {
		emit(shardValue)
	}
}

// TestPeersDoThePromWork checks that each peer workload counts the writes,
// observes the durations and adds the rows, so that the benchmarks compare
// equal work.
func TestPeersDoThePromWork(t *testing.T) {
	kit, kitReg := newGoKitShardWrite()
	gm, gmReg := newGoMetricsShardWrite(t)
	for name, peer := range map[string]struct {
		emit func(shardyfusion.ShardWriteCompleted)
		reg  *prometheus.Registry
	}{"go-kit": {kit, kitReg}, "go-metrics": {gm, gmReg}} {
		for i := 0; i < 3; i++ {
			peer.emit(shardValue)
		}
		families, err := peer.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				got[f.GetName()] = sampleValue(m)
			}
		}
		want := map[string]float64{
			"shardyfusion_shard_writes_completed_total": 3,
			"shardyfusion_shard_write_duration_seconds": 3, // observations
			"shardyfusion_shard_rows_written_total":     3 * float64(shardValue.Rows),
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s = %v, want %v (gathered %v)", name, k, got[k], w, got)
			}
		}
	}
}

// sampleValue is a counter's value or a histogram's or summary's count.
func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Summary != nil:
		return float64(m.Summary.GetSampleCount())
	}
	return 0
}
