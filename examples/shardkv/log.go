package shardkv

import (
	"context"
	"log/slog"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// startRun starts the run runID of c: its identity is bound to ctx with
// runctx.With, so that every event and log line of ctx carries its run id
// and trace, and l is made to write the context's fields: a handler that
// reads them itself (jsonlog.Handler) is used as is, any other is wrapped
// with logctx.Handler.
func startRun(ctx context.Context, c metrics.Collector, l *slog.Logger, runID string) (context.Context, *metrics.Run, *slog.Logger) {
	ctx, run := metrics.StartRun(runctx.With(ctx, runID), c)
	return ctx, run, withContextFields(l)
}

// withContextFields returns a logger that writes the fields bound to the
// context with logctx.With, whatever l's handler.
func withContextFields(l *slog.Logger) *slog.Logger {
	h := logctx.Handler(l.Handler())
	if h == l.Handler() {
		return l
	}
	return slog.New(h)
}
