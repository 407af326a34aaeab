package eventlog

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/milestone-go/milestone/internal/lib/sinkbase"
)

// Option configures a Collector.
type Option func(*config) error

type config struct {
	sinkbase.Config // logger, clock, default run, host, queue size, run key
	dir             string
	retention       Retention
	bufferSize      int
	maxOpenFiles    int
	version         string
	sync            bool
}

// WithQueueSize sets how many events may wait for the writer goroutine
// (default 8192). The queue holds two arrays of n events of 200 bytes each
// on 64-bit (about 3.3 MB at the default). When the queue is full, Emit
// drops the event and counts it. n must be between 1 and MaxQueueSize.
func WithQueueSize(n int) Option { return func(c *config) error { return c.SetQueueSize(n) } }

// WithBufferSize sets the size in bytes of each open run file's write buffer
// (default 64 KiB). n must be at least 4096.
func WithBufferSize(n int) Option {
	return func(c *config) error {
		if n < 4096 {
			return fmt.Errorf("eventlog: WithBufferSize(%d): the buffer size must be at least 4096 bytes", n)
		}
		c.bufferSize = n
		return nil
	}
}

// WithMaxOpenFiles bounds how many run files are open at once (default 256).
// Opening one more closes the least recently written one first; if its run
// emits again, the file is reopened for appending. n must be at least 1.
func WithMaxOpenFiles(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("eventlog: WithMaxOpenFiles(%d): at least one file must be allowed open", n)
		}
		c.maxOpenFiles = n
		return nil
	}
}

// WithLogger sets the logger the first write error is reported to (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) error { return c.SetLogger(l) } }

// WithClock sets the function Emit reads the time from (default time.Now).
// It exists for tests and examples that need fixed timestamps; it is called
// by Emit, and by the writer goroutine to stamp events_dropped lines, so it
// must be safe for concurrent use when events are emitted concurrently.
func WithClock(now func() time.Time) Option { return func(c *config) error { return c.SetClock(now) } }

// WithDefaultRun sets the id of the default run, used for events whose
// context carries no run id, instead of a generated one.
func WithDefaultRun(id string) Option { return func(c *config) error { return c.SetDefaultRun(id) } }

// WithVersion sets the version written in event_log_started lines (default:
// the version of module github.com/milestone-go/milestone in the binary's
// build information, or "(devel)").
func WithVersion(v string) Option {
	return func(c *config) error {
		c.version = v
		return nil
	}
}

// WithHost sets the host name written in event_log_started lines (default
// os.Hostname).
func WithHost(h string) Option { return func(c *config) error { return c.SetHost(h) } }

// WithSync makes the writer fsync a run's file before closing it: after an
// event that ends the run, when the file is evicted for another run's, and
// at Close. A finished run's log then survives a crash of the machine, not
// only of the process. The fsync is paid by the writer goroutine, never by
// Emit; a failed one is counted in Stats.WriteErrors and reported like a
// failed write (and returned by Close for the files Close closes). Off by
// default.
func WithSync() Option {
	return func(c *config) error {
		c.sync = true
		return nil
	}
}

// WithDir sets the directory run directories are written under. An empty
// dir, like no WithDir at all, defers to $MILESTONE_EVENT_LOG_DIR and then
// ~/.milestone/events (see ResolveDir).
func WithDir(dir string) Option {
	return func(c *config) error {
		c.dir = dir
		return nil
	}
}

// WithRunKey names the key that holds the run id in every line, and the
// logctx field the run id is read from, instead of "run_id": a query
// engine's "query_id", a task runner's "execution_id". The first line of a
// run's file then says so ("run_key":"query_id"), and milestone summarize
// reads it. The key must be snake_case and not one the lines already use
// (event, ts).
func WithRunKey(key string) Option {
	return func(c *config) error {
		if !runKeyRE.MatchString(key) || key == "event" || key == "ts" {
			return fmt.Errorf("eventlog: WithRunKey(%q): the key must be snake_case and not event or ts", key)
		}
		c.RunKey = key
		return nil
	}
}

var runKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
