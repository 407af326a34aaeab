package logctx_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
)

// A logger of the hierarchy wrapped with Handler (as a library does when it
// cannot know what is installed) writes each context field exactly once,
// whether the installed handler reads the context itself (jsonlog) or not
// (slog.TextHandler), and follows a replacement of the installed handler.
func TestHandlerOverHierarchyLoggerFollowsInstalledHandler(t *testing.T) {
	defer logctx.SetHandler(nil)
	var js, text bytes.Buffer
	logger := slog.New(logctx.Handler(logctx.Logger("wrapped").Handler()))
	ctx := logctx.With(context.Background(), "run_id", "r-42")

	logctx.SetHandler(jsonlog.NewHandler(&js, nil))
	logger.InfoContext(ctx, "first")
	if n := strings.Count(js.String(), `"run_id":"r-42"`); n != 1 {
		t.Errorf("jsonlog line carries run_id %d times, want once: %s", n, js.String())
	}

	logctx.SetHandler(slog.NewTextHandler(&text, nil))
	logger.InfoContext(ctx, "second")
	if n := strings.Count(text.String(), "run_id=r-42"); n != 1 {
		t.Errorf("text line carries run_id %d times, want once: %s", n, text.String())
	}
}
