package shardkv

import (
	"context"
	"log/slog"
)

type severity uint8

const (
	sevTransient severity = iota + 1
	sevError
)

// bindRunID binds the run id to ctx so that every line logged with ctx
// carries it.
func bindRunID(ctx context.Context, l *slog.Logger, runID string) (context.Context, *slog.Logger) {
	return ctx, l.With("run_id", runID)
}

func logEvent(ctx context.Context, l *slog.Logger, event string, args ...any) {
	l.InfoContext(ctx, event, args...)
}

func logFailure(ctx context.Context, l *slog.Logger, event string, sev severity, err error, args ...any) {
	level := slog.LevelWarn
	if sev == sevError {
		level = slog.LevelError
	}
	l.Log(ctx, level, event, append(args, "error", err.Error())...)
}

// defaultLogger returns the logger named shardyfusion.<name>.
func defaultLogger(name string) *slog.Logger {
	return slog.Default().With("logger", "shardyfusion."+name)
}
