package eventlog_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// A run's events go to <dir>/<run_id>/events.jsonl, one JSON line each. The
// clock is fixed here so that the output is stable; the first line of the
// file, event_log_started, carries the process id and is skipped.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "eventlog-example")
	defer os.RemoveAll(dir)

	now := time.Date(2026, 3, 17, 23, 33, 54, 953_000_000, time.UTC)
	clock := func() time.Time { now = now.Add(5 * time.Millisecond); return now }
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithClock(clock))
	if err != nil {
		panic(err)
	}
	ctx := runctx.With(context.Background(), "nightly-42")
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{
		Elapsed: 852400 * time.Microsecond, DBID: 3, Rows: 5000, Duration: 12500 * time.Microsecond,
	})
	metrics.Emit(ctx, c, shardyfusion.WriteCompleted{Elapsed: 901 * time.Millisecond, Rows: 5000})
	if err := c.Close(); err != nil {
		panic(err)
	}

	f, _ := os.Open(c.Path("nightly-42"))
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // event_log_started
	for sc.Scan() {
		fmt.Println(sc.Text())
	}
	// Output:
	// {"event":"write.started","ts":"2026-03-17T23:33:54.958Z","run_id":"nightly-42","trace_id":"829cd6c9b746487873397d52cdb76465","span_id":"36b75b12cbed89fd","elapsed_ms":0,"rows_expected":0}
	// {"event":"write.shard.completed","ts":"2026-03-17T23:33:54.963Z","run_id":"nightly-42","trace_id":"829cd6c9b746487873397d52cdb76465","span_id":"36b75b12cbed89fd","elapsed_ms":852.4,"db_id":3,"row_count":5000,"duration_ms":12.5}
	// {"event":"write.completed","ts":"2026-03-17T23:33:54.968Z","run_id":"nightly-42","trace_id":"829cd6c9b746487873397d52cdb76465","span_id":"36b75b12cbed89fd","elapsed_ms":901,"rows_written":5000}
}

// The run id can come from the logctx fields a pipeline already binds for
// its logs; WithRun, when present, wins.
func ExampleCollector_Run() {
	c, err := eventlog.New(eventlog.WithDir(os.TempDir()), eventlog.WithDefaultRun("default-run"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx := context.Background()
	fmt.Println(c.Run(ctx))
	ctx = logctx.With(ctx, "run_id", "from-logs")
	fmt.Println(c.Run(ctx))
	fmt.Println(c.Run(runctx.With(ctx, "explicit")))
	// Output:
	// default-run
	// from-logs
	// explicit
}

func ExampleRunDir() {
	fmt.Println(eventlog.RunDir("2026-03-17_nightly"))
	fmt.Println(eventlog.RunDir("../../etc/passwd"))
	fmt.Println(eventlog.RunDir(".."))
	// Output:
	// 2026-03-17_nightly
	// ..%2F..%2Fetc%2Fpasswd
	// %2E%2E
}
