package shardkv

import (
	"context"
	"log/slog"

	"github.com/milestone-go/milestone/logctx"
)

// bindRunID binds the run id to ctx with logctx.With, so that every line
// logged with ctx carries it, and makes sure l writes the context's fields:
// a handler that reads them itself (jsonlog.Handler) is used as is, any
// other is wrapped with logctx.Handler.
func bindRunID(ctx context.Context, l *slog.Logger, runID string) (context.Context, *slog.Logger) {
	return logctx.With(ctx, "run_id", runID), withContextFields(l)
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
