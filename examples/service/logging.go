package main

import (
	"io"
	"log/slog"

	"github.com/milestone-go/milestone/logctx"
)

// setupLogging sends the logger hierarchy (and slog's default logger) to w
// as JSON lines in the given format.
func setupLogging(format string, w io.Writer) error {
	h := logctx.Handler(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: logctx.ReplaceLevel}))
	logctx.SetHandler(h)
	slog.SetDefault(slog.New(h))
	return nil
}
