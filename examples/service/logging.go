package main

import (
	"io"

	"github.com/milestone-go/milestone/jsonlog"
)

// setupLogging is configure_logging for the service: JSON lines in the
// given format (flat or ecs) on w, for the whole logger hierarchy and for
// slog's default logger.
func setupLogging(format string, w io.Writer) error {
	f := jsonlog.Flat
	if format == "ecs" {
		f = jsonlog.ECS
	}
	_, err := jsonlog.Setup(jsonlog.Config{JSON: true, Format: f, Writer: w, SetDefault: true, ServiceName: "milestone-demo"})
	return err
}
