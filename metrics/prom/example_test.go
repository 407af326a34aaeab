package prom_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

func Example() {
	reg := prometheus.NewRegistry()
	c, err := prom.New(prom.WithRegisterer(reg))
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 0, Rows: 5000, Duration: 1500 * time.Millisecond})
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 1, Rows: 4000, Duration: 500 * time.Millisecond})

	mfs, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "shardyfusion_shard_writes_completed_total", "shardyfusion_shard_rows_written_total":
			fmt.Println(mf.GetName(), mf.Metric[0].Counter.GetValue())
		case "shardyfusion_shard_write_duration_seconds":
			h := mf.Metric[0].Histogram
			fmt.Println(mf.GetName()+"_count", h.GetSampleCount())
			fmt.Println(mf.GetName()+"_sum", h.GetSampleSum())
		}
	}
	// Output:
	// shardyfusion_shard_rows_written_total 9000
	// shardyfusion_shard_write_duration_seconds_count 2
	// shardyfusion_shard_write_duration_seconds_sum 2
	// shardyfusion_shard_writes_completed_total 2
}

// Histogram buckets default to the catalog's, per range; they can be set for
// one histogram or for all, and two collectors on one registry share their
// families.
func ExampleWithBuckets() {
	reg := prometheus.NewRegistry()
	opts := []prom.Option{
		prom.WithRegisterer(reg),
		prom.WithCatalog(shardyfusion.Catalog),
		prom.WithPrefix("shardkv_"),
		prom.WithConstLabels(prometheus.Labels{"service": "shardkv"}),
		prom.WithAllBuckets(0.01, 0.1, 1, 10),
		prom.WithBuckets("reader_get_duration_seconds", 0.0005, 0.001, 0.005),
	}
	writer, err := prom.New(opts...)
	if err != nil {
		log.Fatal(err)
	}
	reader, err := prom.New(opts...) // shares the writer's families
	if err != nil {
		log.Fatal(err)
	}
	metrics.Emit(context.Background(), writer, shardyfusion.ReaderGet{Duration: 800 * time.Microsecond})
	metrics.Emit(context.Background(), reader, shardyfusion.ReaderGet{Duration: 3 * time.Millisecond, Found: true})

	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "shardkv_reader_get_duration_seconds" {
			for _, b := range mf.Metric[0].Histogram.Bucket {
				fmt.Printf("le=%v %d\n", b.GetUpperBound(), b.GetCumulativeCount())
			}
		}
		if mf.GetName() == "shardkv_reader_get_misses_total" {
			fmt.Println("misses", mf.Metric[0].Counter.GetValue())
		}
	}
	in, _ := shardyfusion.Catalog.Instrument("reader_get_duration_seconds")
	fmt.Println(in.Buckets[0]) // the catalog's first bound, which the option replaced
	// Output:
	// le=0.0005 0
	// le=0.001 1
	// le=0.005 2
	// misses 1
	// 0.0001
}
