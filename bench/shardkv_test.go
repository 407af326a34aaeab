package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/prom"
)

// openShardKV writes a 100,000-row snapshot and opens it with collector c.
func openShardKV(b *testing.B, c metrics.Collector) *shardkv.Reader {
	b.Helper()
	dir := b.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rows := func(yield func(k, v []byte) bool) {
		for i := range 100000 {
			if !yield(fmt.Appendf(nil, "user:%08d", i), fmt.Appendf(nil, `{"id":%d}`, i)) {
				return
			}
		}
	}
	if _, err := shardkv.Write(context.Background(), dir, rows, shardkv.WriteOptions{NumShards: 8, Logger: quiet}); err != nil {
		b.Fatal(err)
	}
	r, err := shardkv.Open(context.Background(), dir, shardkv.ReadOptions{Collector: c, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return r
}

func benchShardKVGet(b *testing.B, c metrics.Collector) {
	r := openShardKV(b, c)
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "user:%08d", (i*7919)%100000)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok, err := r.Get(ctx, keys[i&1023]); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkShardKVGetNoCollector is a real point read (binary search of the
// in-memory index, one pread of the value) with no collector.
func BenchmarkShardKVGetNoCollector(b *testing.B) { benchShardKVGet(b, nil) }

// BenchmarkShardKVGetProm is the same read emitting reader.get into
// metrics/prom: the cost of the metrics on a real lookup.
func BenchmarkShardKVGetProm(b *testing.B) {
	c, err := prom.New(prom.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		b.Fatal(err)
	}
	benchShardKVGet(b, c)
}
