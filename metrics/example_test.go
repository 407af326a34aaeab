package metrics_test

import (
	"context"
	"fmt"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// A writer takes a Collector in its options and emits lifecycle events; here a
// Recorder stands in for a real backend such as metrics/prom.
func Example() {
	rec := metrics.NewRecorder()
	var c metrics.Collector = metrics.Multi(rec, metrics.Nop)

	ctx := context.Background()
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000, Duration: 1500 * time.Millisecond})

	fmt.Print(rec)
	// Output: write.shard.completed elapsed_ms=0 db_id=3 row_count=5000 duration_ms=1500
}

// An application declares its own events in its own catalog: a struct per
// event, whose fields are the payload, and one MustDeclare call.
func ExampleDeclare() {
	type QueryEnded struct {
		Duration time.Duration `milestone:"duration_ms,duration"`
		Rows     int64
		Status   string `milestone:"status,label,values=ok|error|cancelled"`
	}
	catalog := metrics.MustNewCatalog("example_queries")
	queryEnded, err := metrics.Declare[QueryEnded](catalog, metrics.Spec{
		Code: 1, Wire: "query_ended", Group: "query", EndsRun: true,
		Help: "A query ended.", Message: "query {status}: {rows} rows in {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Count("queries_total", "Queries ended, by status.", "status"),
			metrics.Hist("query_duration_seconds", "Query time, in seconds.", "duration_ms", metrics.BucketsRun, "status"),
		},
	})
	if err != nil {
		panic(err)
	}

	rec := metrics.NewRecorder()
	metrics.Emit(context.Background(), rec, QueryEnded{Duration: 69 * time.Millisecond, Rows: 42, Status: "ok"})

	d := queryEnded.Descriptor()
	p := rec.Records()[0].Payload
	fmt.Println(d.Wire, "-", d.Render(&p))
	fmt.Println(metrics.Recorded[QueryEnded](rec))
	// Output:
	// query_ended - query ok: 42 rows in 69 ms
	// [{69ms 42 ok}]
}

// Run and Step time a write: every event carries the time since the run
// started, and a step's completion carries the step's duration.
func ExampleRun() {
	rec := metrics.NewRecorder()
	ctx := context.Background()

	ctx, run := metrics.StartRun(ctx, rec)
	metrics.Emit(ctx, run, shardyfusion.WriteStarted{})
	sctx, step := run.Step(ctx)
	err := writeShard(sctx) // the caller's work, in the step's context
	err = metrics.Done(sctx, step, shardyfusion.ShardWriteCompleted{DBID: 0, Rows: 100}, err)
	metrics.Emit(ctx, run, shardyfusion.WriteCompleted{Rows: 100})

	fmt.Println(err, rec.Events())
	// Output: <nil> [write.started write.shard.completed write.completed]
}

func writeShard(context.Context) error { return nil }

// Describe exposes a declaration, from which backends build their instruments.
func ExampleDescribe() {
	d, _ := metrics.Describe(metrics.EventOf[shardyfusion.ReaderGet]())
	for _, in := range d.Instruments {
		fmt.Println(in.Kind, in.Name)
	}
	// Output:
	// counter reader_gets_total
	// histogram reader_get_duration_seconds
	// counter reader_get_misses_total
}

func ExampleCatalog_Lookup() {
	d, ok := shardyfusion.Catalog.Lookup("write.shard.completed")
	fmt.Println(d.Name, d.Code, ok)
	// Output: ShardWriteCompleted 4 true
}
