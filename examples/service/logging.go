package main

import (
	"io"
	"log/slog"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// setupLogging is configure_logging for the service: JSON lines in the
// given format (flat or ecs) on w, for the whole logger hierarchy and for
// slog's default logger. It returns the handler, whose write errors and
// truncations the service exports as milestone_* metrics.
func setupLogging(format string, w io.Writer) (*jsonlog.Handler, error) {
	f := jsonlog.Flat
	if format == "ecs" {
		f = jsonlog.ECS
	}
	h, err := jsonlog.New(w, &jsonlog.Options{Format: f, ServiceName: "milestone-demo"})
	if err != nil {
		return nil, err
	}
	// The service runs the built-in catalog's writer and reader: its
	// loggers are shardyfusion.service, shardyfusion.http, ….
	if err := logctx.SetRootName(shardyfusion.Catalog.Namespace()); err != nil {
		return nil, err
	}
	logctx.SetHandler(h)
	slog.SetDefault(logctx.Logger(""))
	return h, nil
}
