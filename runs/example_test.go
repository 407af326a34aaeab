package runs_test

import (
	"context"
	"fmt"
	"os"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// An event-log directory lists its runs from a glance at each: the
// figures of a page of runs, without reading their event tables.
func ExampleListGlances() {
	dir, err := os.MkdirTemp("", "runs-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ev, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"nightly-1", "nightly-2"} {
		ctx := runctx.With(context.Background(), id)
		metrics.Emit(ctx, ev, shardyfusion.WriteStarted{})
		if id == "nightly-1" {
			metrics.Emit(ctx, ev, shardyfusion.WriteCompleted{Rows: 1000})
		} // nightly-2 is still being written
	}
	if err := ev.Close(); err != nil {
		panic(err)
	}

	list, err := runs.ListGlances(context.Background(), runs.Dir(dir))
	if err != nil {
		panic(err)
	}
	for _, r := range list {
		fmt.Println(r.ID, r.Status, r.Events, "events")
	}
	// Output:
	// nightly-1 completed 2 events
	// nightly-2 incomplete 1 events
}
