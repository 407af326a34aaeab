package jsonlog_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/jsonlog"
)

// TestZeroHandlerWritesToStderr: a zero Handler does not panic; it writes
// lines as NewHandler(os.Stderr, nil) does, through every method.
func TestZeroHandlerWritesToStderr(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	t.Cleanup(func() { os.Stderr = stderr })
	var h jsonlog.Handler
	if !h.Enabled(context.Background(), slog.LevelInfo) || h.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("the zero Handler's level is not INFO")
	}
	logger := slog.New(&h)
	logger.Info("zero", "n", 1)
	logger.With("a", "b").WithGroup("g").Info("derived", "m", 2)
	slog.New(h.WithLoggerName("named")).Warn("named line")
	w.Close()
	os.Stderr = stderr
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"event":"zero","n":1`) ||
		!strings.Contains(lines[1], `"a":"b","g":{"m":2}`) || !strings.Contains(lines[2], `"logger":"named"`) {
		t.Errorf("lines:\n%s", out.String())
	}
	if h.Stats().WriteErrors != 0 {
		t.Errorf("stats %+v", h.Stats())
	}
}
