package sinkbase

import (
	"context"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics/runctx"
)

func TestSettersNameTheSinkAndTheOption(t *testing.T) {
	c := Config{Sink: "eventlog", MaxQueueSize: 10}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{c.SetLogger(nil), "eventlog: WithLogger(nil)"},
		{c.SetClock(nil), "eventlog: WithClock(nil)"},
		{c.SetDefaultRun(""), `eventlog: WithDefaultRun("")`},
		{c.SetQueueSize(0), "eventlog: WithQueueSize(0): the queue size must be between 1 and 10"},
		{c.SetQueueSize(11), "WithQueueSize(11)"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("error %v, want %q", tc.err, tc.want)
		}
	}
	if err := c.SetQueueSize(10); err != nil || c.QueueSize != 10 {
		t.Errorf("SetQueueSize(10): %v, %d", err, c.QueueSize)
	}
}

func TestRunLookup(t *testing.T) {
	c := Config{}
	c.Fill()
	if c.Logger == nil || c.Clock == nil || c.DefaultRun == "" || c.RunKey != runctx.Field {
		t.Fatalf("Fill left %+v", c)
	}
	ctx := context.Background()
	if got := c.Run(ctx); got != c.DefaultRun {
		t.Errorf("no run: %q, want the default %q", got, c.DefaultRun)
	}
	if got := c.Run(runctx.With(ctx, "r1")); got != "r1" {
		t.Errorf("bound run: %q", got)
	}
	q := Config{RunKey: "query_id", DefaultRun: "d"}
	qctx := logctx.With(ctx, "query_id", "q1", "run_id", "not-this")
	if got := q.Run(qctx); got != "q1" {
		t.Errorf("run key query_id: %q, want q1", got)
	}
	if got := q.Run(runctx.With(qctx, "bound")); got != "bound" {
		t.Errorf("run key with a bound run: %q, want bound", got)
	}
}
