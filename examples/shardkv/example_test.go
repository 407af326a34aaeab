package shardkv_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// Write a snapshot of 10,000 rows in 4 shards, read it back, and look at the
// events the write and the reader emitted.
func Example() {
	dir, err := os.MkdirTemp("", "shardkv-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := metrics.NewRecorder()

	rows := func(yield func(k, v []byte) bool) {
		for i := range 10000 {
			if !yield(fmt.Appendf(nil, "key-%05d", i), fmt.Appendf(nil, "value %d", i)) {
				return
			}
		}
	}
	res, err := shardkv.Write(ctx, dir, rows, shardkv.WriteOptions{NumShards: 4, BatchSize: 1000, Collector: rec, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows written:", res.Manifest.Rows)

	r, err := shardkv.Open(ctx, dir, shardkv.ReadOptions{Collector: rec, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	v, found, err := r.Get(ctx, []byte("key-04242"))
	fmt.Printf("key-04242: %q %v %v\n", v, found, err)
	_, found, _ = r.Get(ctx, []byte("key-99999"))
	fmt.Println("key-99999 found:", found)
	r.Close()

	for _, ev := range []metrics.Event{
		metrics.EventOf[shardyfusion.WriteStarted](), metrics.EventOf[shardyfusion.ShardWriteCompleted](),
		metrics.EventOf[shardyfusion.WriteCompleted](), metrics.EventOf[shardyfusion.ReaderGet](), metrics.EventOf[shardyfusion.ReaderClosed](),
	} {
		fmt.Printf("%s × %d\n", ev, rec.Count(ev))
	}
	// Output:
	// rows written: 10000
	// key-04242: "value 4242" true <nil>
	// key-99999 found: false
	// write.started × 1
	// write.shard.completed × 4
	// write.completed × 1
	// reader.get × 2
	// reader.closed × 1
}

// Faults make the storage fail transiently, so the retry paths run: here the
// first two attempts to store shard 0 fail and the third succeeds.
func ExampleFaults() {
	dir, err := os.MkdirTemp("", "shardkv-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rec := metrics.NewRecorder()
	rows := func(yield func(k, v []byte) bool) {
		for i := range 100 {
			if !yield(fmt.Appendf(nil, "k%d", i), nil) {
				return
			}
		}
	}
	faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00000", 2)
	_, err = shardkv.Write(context.Background(), dir, rows, shardkv.WriteOptions{
		NumShards: 2, Collector: rec, Faults: faults,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		StorageRetry: shardkv.RetryPolicy{BaseDelay: 1e6}, // 1 ms
	})
	fmt.Println("error:", err)
	for _, p := range metrics.Recorded[shardyfusion.S3Retry](rec) {
		fmt.Printf("s3.retry attempt %d of %d, after %v\n", p.Attempt, p.MaxRetries+1, p.Delay)
	}
	// Output:
	// error: <nil>
	// s3.retry attempt 1 of 4, after 1ms
	// s3.retry attempt 2 of 4, after 2ms
}

func ExampleSampleRows() {
	for k, v := range shardkv.SampleRows(3) {
		fmt.Printf("%s=%s\n", k, v)
	}
	// Output:
	// key-000000=value
	// key-000001=value
	// key-000002=value
}
