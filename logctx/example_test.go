package logctx_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
)

func clock() time.Time { return time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC) }

func ExampleWith() {
	ctx := logctx.With(context.Background(), "run_id", "abc123", "stage", "write")
	inner := logctx.With(ctx, "stage", "publish", "num_shards", 8)

	fmt.Println(logctx.Attrs(ctx))
	fmt.Println(logctx.Attrs(inner))
	v, _ := logctx.Lookup(inner, "run_id")
	fmt.Println(v)
	// Output:
	// [run_id=abc123 stage=write]
	// [run_id=abc123 stage=publish num_shards=8]
	// abc123
}

func ExampleEvent() {
	logctx.SetHandler(jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Clock: clock}))
	defer logctx.SetHandler(nil)

	ctx := logctx.With(context.Background(), "run_id", "abc123")
	logctx.Event(ctx, logctx.Logger("writer"), "manifest_published", "num_shards", 8)
	// Output:
	// {"timestamp":"2026-03-14T10:30:00.000Z","level":"INFO","logger":"app.writer","event":"manifest_published","run_id":"abc123","num_shards":8}
}

func ExampleFailure() {
	logctx.SetHandler(jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Clock: clock}))
	defer logctx.SetHandler(nil)

	ctx := logctx.With(context.Background(), "run_id", "abc123")
	logctx.Failure(ctx, nil, "publish_failed", logctx.Critical, errors.New("manifest conflict"), "db_id", 3)
	// Output:
	// {"timestamp":"2026-03-14T10:30:00.000Z","level":"CRITICAL","logger":"app","event":"publish_failed","run_id":"abc123","severity":"critical","error":{"message":"manifest conflict","type":"*errors.errorString"},"db_id":3}
}

func ExampleSetLevel() {
	logctx.SetHandler(jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Clock: clock})) // INFO
	defer logctx.SetHandler(nil)
	reader := logctx.Logger("reader")

	reader.Debug("hidden")
	logctx.SetLevel("app", slog.LevelDebug)        // every logger under the root
	logctx.SetLevel("app.writer", slog.LevelError) // the most specific prefix wins
	reader.Debug("shown")
	logctx.Logger("writer").Warn("hidden")
	logctx.ClearLevel("app")
	logctx.ClearLevel("app.writer")
	// Output:
	// {"timestamp":"2026-03-14T10:30:00.000Z","level":"DEBUG","logger":"app.reader","event":"shown"}
}

func ExampleHandler() {
	text := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{} // deterministic output
		}
		return logctx.ReplaceLevel(groups, a)
	}})
	logger := slog.New(logctx.Handler(text))
	ctx := logctx.With(context.Background(), "run_id", "abc123")
	logger.Log(ctx, logctx.LevelCritical, "disk_full", "db_id", 3)
	// Output:
	// level=CRITICAL msg=disk_full run_id=abc123 db_id=3
}
