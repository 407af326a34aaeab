package jsonlog

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/milestone-go/milestone/logctx"
)

// Config is the configuration of Configure (configure_logging).
type Config struct {
	// Level is the minimum level of the root handler; nil means INFO.
	// logctx.SetLevel overrides it per logger-name prefix.
	Level slog.Leveler
	// JSON selects JSON lines (in Format); false selects slog's text
	// format with the context fields added (logctx.Handler) — unless
	// Format is ECS, which implies JSON.
	JSON bool
	// Format is the JSON layout: Flat (default) or ECS.
	Format Format
	// Writer receives the lines; nil means os.Stderr.
	Writer io.Writer
	// SetDefault also makes the root logger slog's default logger (and so
	// the destination of the standard log package).
	SetDefault bool
	// ServiceName is the ECS service.name.
	ServiceName string
	// AddSource adds the caller's source position.
	AddSource bool
}

// Setup builds the handler described by c, installs it for the whole
// logctx logger hierarchy with logctx.SetHandler — replacing any earlier
// configuration; loggers obtained before write to the new handler — and
// returns the root logger. Levels set with logctx.SetLevel are kept. It
// returns an error naming the invalid field of c.
func Setup(c Config) (*slog.Logger, error) {
	w := c.Writer
	if w == nil {
		w = os.Stderr
	}
	var h slog.Handler
	if c.JSON || c.Format != Flat {
		jh, err := New(w, &Options{Level: c.Level, Format: c.Format, ServiceName: c.ServiceName, AddSource: c.AddSource})
		if err != nil {
			return nil, fmt.Errorf("jsonlog: Config: %w", err)
		}
		h = jh
	} else {
		h = logctx.Handler(slog.NewTextHandler(w, &slog.HandlerOptions{
			Level: c.Level, AddSource: c.AddSource, ReplaceAttr: logctx.ReplaceLevel,
		}))
	}
	logctx.SetHandler(h)
	root := logctx.Logger("")
	if c.SetDefault {
		slog.SetDefault(root)
	}
	return root, nil
}

// Configure is Setup for a valid Config: it panics, like
// regexp.MustCompile, when c is invalid (an unknown Format).
func Configure(c Config) *slog.Logger {
	l, err := Setup(c)
	if err != nil {
		panic(err)
	}
	return l
}
