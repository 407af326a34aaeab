package jsonlog_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
)

// clock makes the examples' output deterministic.
func clock() time.Time { return time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC) }

func ExampleNewHandler() {
	h := jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Clock: clock})
	logger := slog.New(h.WithLoggerName("app.writer"))

	ctx := logctx.With(context.Background(), "run_id", "abc123")
	logger.InfoContext(ctx, "manifest_published", "num_shards", 8)
	// Output:
	// {"timestamp":"2026-03-14T10:30:00.000Z","level":"INFO","logger":"app.writer","event":"manifest_published","run_id":"abc123","num_shards":8}
}

func ExampleNewHandler_ecs() {
	h := jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Format: jsonlog.ECS, ServiceName: "writer", Clock: clock})
	logger := slog.New(h.WithLoggerName("app.writer"))

	ctx := logctx.With(context.Background(), "run_id", "abc123")
	logctx.Failure(ctx, logger, "upload_failed", logctx.Transient, errors.New("503 slow down"), "attempt", 2)
	// Output:
	// {"@timestamp":"2026-03-14T10:30:00.000Z","log.level":"WARN","message":"upload_failed","ecs.version":"8.11.0","log.logger":"app.writer","service.name":"writer","run_id":"abc123","severity":"transient","error.message":"503 slow down","error.type":"*errors.errorString","attempt":2}
}

// Reserved keys are renamed and a key never appears twice: the call site
// wins over WithAttrs, which wins over the context.
func ExampleHandler_keys() {
	h := jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Clock: clock})
	ctx := logctx.With(context.Background(), "stage", "ctx", "level", "mine")
	slog.New(h).With("stage", "with").InfoContext(ctx, "m", "stage", "call")
	// Output:
	// {"timestamp":"2026-03-14T10:30:00.000Z","level":"INFO","event":"m","fields.level":"mine","stage":"call"}
}

func ExampleConfigure() {
	defer logctx.SetHandler(nil)
	root := jsonlog.Configure(jsonlog.Config{JSON: true, Writer: os.Stdout, Level: slog.LevelInfo})
	writer := logctx.Logger("writer")

	writer.Debug("not shown")
	logctx.SetLevel("app.writer", slog.LevelDebug) // run time, most specific prefix wins
	root.Debug("still not shown")
	// Configure's lines carry the real time; for a deterministic output,
	// install a handler with a fixed clock as Configure does: every logger
	// of the hierarchy, even one obtained earlier, follows.
	logctx.SetHandler(jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Clock: clock, Level: slog.LevelDebug}))
	writer.Debug("shown")
	logctx.ClearLevel("app.writer")
	// Output:
	// {"timestamp":"2026-03-14T10:30:00.000Z","level":"DEBUG","logger":"app.writer","event":"shown"}
}
