package metrics_test

import (
	"context"
	"fmt"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// A writer takes a Collector in its options and emits lifecycle events; here a
// Recorder stands in for a real backend such as metrics/prom.
func Example() {
	rec := metrics.NewRecorder()
	var c metrics.Collector = metrics.Multi(rec, metrics.Nop)

	ctx := context.Background()
	c.Emit(ctx, metrics.ShardWriteCompleted, metrics.Payload{DBID: 3, Rows: 5000, Duration: 1500 * time.Millisecond})

	for _, r := range rec.Records() {
		fmt.Print(r.Event)
		for _, k := range r.Event.Keys() {
			f := r.Payload.Field(k)
			switch f.Kind {
			case metrics.KindInt:
				fmt.Printf(" %s=%d", f.Name(), f.Int)
			case metrics.KindFloat:
				fmt.Printf(" %s=%g", f.Name(), f.Float)
			case metrics.KindBool:
				fmt.Printf(" %s=%t", f.Name(), f.Bool)
			}
		}
		fmt.Println()
	}
	// Output: write.shard.completed elapsed_ms=0 db_id=3 row_count=5000 duration_ms=1500
}

// Run and Step time a write: every event carries the time since the run
// started, and a step's completion carries the step's duration.
func ExampleRun() {
	rec := metrics.NewRecorder()
	ctx := context.Background()

	run := metrics.StartRun(rec)
	run.Emit(ctx, metrics.WriteStarted, metrics.Payload{})
	step := run.Step()
	err := writeShard() // the caller's work
	err = step.Done(ctx, metrics.ShardWriteCompleted, metrics.Payload{DBID: 0, Rows: 100}, err)
	run.Emit(ctx, metrics.WriteCompleted, metrics.Payload{Rows: 100})

	fmt.Println(err, rec.Events())
	// Output: <nil> [write.started write.shard.completed write.completed]
}

func writeShard() error { return nil }

// Describe exposes the catalog, from which backends build their instruments.
func ExampleDescribe() {
	d, _ := metrics.Describe(metrics.ReaderGet)
	for _, in := range d.Instruments {
		fmt.Println(in.Kind, in.Name)
	}
	// Output:
	// counter reader_gets_total
	// histogram reader_get_duration_seconds
	// counter reader_get_misses_total
}

func ExampleLookup() {
	ev, ok := metrics.Lookup("write.shard.completed")
	fmt.Println(ev == metrics.ShardWriteCompleted, ok)
	// Output: true true
}
