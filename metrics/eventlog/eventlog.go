package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milestone-go/milestone/internal/lib/queue"
	"github.com/milestone-go/milestone/internal/lib/sinkbase"
	"github.com/milestone-go/milestone/metrics"
)

// EnvDir is the environment variable that sets the event log directory when
// New is given an empty dir.
const EnvDir = "MILESTONE_EVENT_LOG_DIR"

// ModulePath is the module whose version is written in event_log_started.
const ModulePath = "github.com/milestone-go/milestone"

// Defaults of the options.
const (
	DefaultQueueSize    = 8192
	DefaultBufferSize   = 64 << 10
	DefaultMaxOpenFiles = 256
	// MaxQueueSize bounds WithQueueSize: about 400 MB of queue.
	MaxQueueSize = 1 << 20
)

// Collector writes every event to its run's events.jsonl. It is safe for
// concurrent use. Build it with New and release it with Close.
type Collector struct {
	dir     string
	run     sinkbase.Config // the run lookup and clock
	ignored *metrics.Ignored

	// q is the queue between Emit and the writer goroutine. dropByRun
	// counts, per run, the events it refused since the writer's last
	// batch; it is guarded by q's lock (the hooks run under it).
	q         *queue.Queue[message]
	dropByRun map[string]uint64
	pending   map[string]uint64 // dropByRun as of the last batch, the writer's

	// done is closed when the writer goroutine has exited, after it set
	// closeErr.
	done      chan struct{}
	closeErr  error
	closeOnce sync.Once

	retention Retention
	open      openRuns
	logger    *slog.Logger
	lastPrune atomic.Int64 // unix nanoseconds

	checkMu                     sync.Mutex
	checkedLost, checkedDropped uint64 // what Flush last reported

	accepted    atomic.Uint64
	written     atomic.Uint64
	dropped     atomic.Uint64
	droppedLate atomic.Uint64
	lost        atomic.Uint64
	writeErrors atomic.Uint64
	filesOpened atomic.Uint64
	filesClosed atomic.Uint64
	filesSynced atomic.Uint64
	syncErrors  atomic.Uint64
	runsRemoved atomic.Uint64

	w *writer
}

// message is one entry of the queue: an event with everything the writer
// needs to encode it.
type message = sinkbase.Message

// New returns a Collector writing under the directory WithDir gives (see the
// package documentation for how it is resolved when WithDir is left out or
// empty). Nothing is created on disk until a run emits its first event. It
// fails with an error naming the option when an option is nil or invalid,
// when no directory can be derived, or when the directory exists and is not
// a directory.
func New(opts ...Option) (*Collector, error) {
	cfg := config{
		Config:       sinkbase.Config{Sink: "eventlog", MaxQueueSize: MaxQueueSize, QueueSize: DefaultQueueSize},
		bufferSize:   DefaultBufferSize,
		maxOpenFiles: DefaultMaxOpenFiles,
	}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("eventlog: option %d is nil", i)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	cfg.Fill()
	dir, err := ResolveDir(cfg.dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("eventlog: %s is not a directory", dir)
	}
	if cfg.version == "" {
		cfg.version = moduleVersion()
	}
	c := &Collector{
		dir:       dir,
		run:       cfg.Config,
		ignored:   metrics.NewIgnored("eventlog", cfg.Logger),
		done:      make(chan struct{}),
		dropByRun: make(map[string]uint64, 8),
		pending:   make(map[string]uint64, 8),
	}
	c.q = queue.New(cfg.QueueSize, queue.Hooks[message]{
		Reject: func(m message) { c.dropByRun[m.Run]++ },
		Take: func() {
			for run, n := range c.dropByRun {
				c.pending[run] += n
			}
			clear(c.dropByRun)
		},
	})
	c.retention, c.logger = cfg.retention, cfg.Logger
	c.w = newWriter(c, &cfg)
	if _, err := c.Prune(); err != nil {
		cfg.Logger.Warn("event_log_prune_failed", "dir", dir, "error", err)
	}
	c.lastPrune.Store(time.Now().UnixNano())
	go c.w.loop()
	return c, nil
}

// ResolveDir returns the directory New uses for dir: dir itself when it is
// not empty, else $MILESTONE_EVENT_LOG_DIR when set and not empty, else
// ~/.milestone/events. The result is absolute.
func ResolveDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv(EnvDir)
	}
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("eventlog: no directory given, %s is not set, and the default ~/.milestone/events has no home: %w", EnvDir, err)
		}
		dir = filepath.Join(home, ".milestone", "events")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("eventlog: directory %q: %w", dir, err)
	}
	return abs, nil
}

func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if bi.Main.Path == ModulePath && bi.Main.Version != "" {
		return bi.Main.Version
	}
	for _, m := range bi.Deps {
		if m.Path == ModulePath {
			if m.Replace != nil && m.Replace.Version != "" {
				return m.Replace.Version
			}
			if m.Version != "" {
				return m.Version
			}
		}
	}
	return "(devel)"
}

// Dir returns the directory the collector writes run directories under.
func (c *Collector) Dir() string { return c.dir }

// DefaultRun returns the id of the run that events whose context carries no
// run id belong to. It is fixed for the collector's life.
func (c *Collector) DefaultRun() string { return c.run.DefaultRun }

// Path returns the path of the events.jsonl file of run id.
func (c *Collector) Path(id string) string {
	return filepath.Join(c.dir, RunDir(id), "events.jsonl")
}

// Run returns the run id an event emitted with ctx belongs to: the one
// bound with runctx.With, else the run key's field bound with logctx.With
// (run_id unless WithRunKey), else the default run.
func (c *Collector) Run(ctx context.Context) string { return c.run.Run(ctx) }

// Emit queues the event for its run's file. It never blocks on the disk and
// allocates nothing; when the queue is full the event is dropped and counted.
// An event declared after New is ignored and counted (Health); a nil
// *Collector ignores every event.
func (c *Collector) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if c == nil {
		return
	}
	if c.w.codecs.get(ev) == nil {
		c.ignored.Event(ev)
		return
	}
	// A drop is also said in the run's file when the writer next runs.
	c.q.PushCounting(c.run.Message(ctx, ev, &p), &c.dropped, &c.droppedLate)
}

// Flush waits until every event accepted before the call has been written to
// the operating system (or counted lost), or until ctx is done, whose error
// it then returns. It returns an error when events were lost to write
// errors or dropped from a full queue since the previous Flush, with their
// counts. After Close it returns nil at once.
func (c *Collector) Flush(ctx context.Context) error {
	if c == nil {
		return nil
	}
	if open, err := c.q.Flush(ctx); !open || err != nil {
		return err
	}
	return c.lossSinceLastFlush()
}

// lossSinceLastFlush returns an error describing the events lost or
// dropped since the previous Flush.
func (c *Collector) lossSinceLastFlush() error {
	lost, dropped := c.lost.Load(), c.dropped.Load()
	c.checkMu.Lock()
	dl, dd := lost-c.checkedLost, dropped-c.checkedDropped
	c.checkedLost, c.checkedDropped = lost, dropped
	c.checkMu.Unlock()
	if dl+dd == 0 {
		return nil
	}
	return fmt.Errorf("eventlog: %d events lost to write errors and %d dropped (queue full) since the last Flush", dl, dd)
}

// Close stops accepting events, writes out every event accepted, closes every
// run file (all of them, even when closing one fails) and stops the writer
// goroutine. It returns the errors of flushing and closing the files, joined;
// a file whose writes had already failed reports its first error; and, when
// events were lost or dropped at any time in the collector's life (even in
// a run whose file closed long before), an error with their counts. Later
// calls return nil; Emit after Close is ignored and counted.
func (c *Collector) Close() error {
	if c == nil {
		return nil
	}
	var err error
	c.closeOnce.Do(func() {
		c.q.Close()
		<-c.done
		err = c.closeErr
		// The writer has closed every file: apply the retention once more,
		// so that the directory is within it when the program stops, not
		// only as of the last prune (at most one per pruneEvery).
		if c.retention.enabled() {
			if _, perr := c.Prune(); perr != nil {
				c.w.log.Warn("event_log_prune_failed", "dir", c.dir, "error", perr)
			}
		}
		if st := c.Stats(); st.Lost+st.Dropped > 0 {
			err = errors.Join(fmt.Errorf("eventlog: %d events lost to write errors and %d dropped (queue full) during the collector's life", st.Lost, st.Dropped), err)
		}
	})
	return err
}

// Stats counts what a Collector did with the events it was given.
type Stats struct {
	// Accepted is the number of events the writer took off the queue.
	Accepted uint64
	// Written is the number of event lines written to the operating system.
	Written uint64
	// Dropped is the number of events dropped because the queue was full.
	Dropped uint64
	// DroppedAfterClose is the number of events emitted after Close.
	DroppedAfterClose uint64
	// Lost is the number of accepted events whose lines could not be written
	// because of a write error.
	Lost uint64
	// WriteErrors is the number of failed operations on run files: creating
	// a directory, opening, writing, syncing or closing a file.
	WriteErrors uint64
	// FilesOpened and FilesClosed count run files opened and closed.
	FilesOpened, FilesClosed uint64
	// FilesSynced counts run files fsynced before closing (see WithSync).
	FilesSynced uint64
	// SyncErrors counts the fsyncs that failed (they are in WriteErrors too).
	SyncErrors uint64
	// RunsRemoved counts the closed runs retention removed (WithRetention).
	RunsRemoved uint64
}

// Stats returns the collector's counters. Once Flush or Close has returned,
// Accepted equals Written plus Lost for the events accepted before it.
func (c *Collector) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	return Stats{
		Accepted:          c.accepted.Load(),
		Written:           c.written.Load(),
		Dropped:           c.dropped.Load(),
		DroppedAfterClose: c.droppedLate.Load(),
		Lost:              c.lost.Load(),
		WriteErrors:       c.writeErrors.Load(),
		FilesOpened:       c.filesOpened.Load(),
		FilesClosed:       c.filesClosed.Load(),
		FilesSynced:       c.filesSynced.Load(),
		SyncErrors:        c.syncErrors.Load(),
		RunsRemoved:       c.runsRemoved.Load(),
	}
}

// familyRunsRemoved counts what retention removed.
var familyRunsRemoved = &metrics.HealthFamily{Name: "milestone_eventlog_runs_removed_total",
	Help: "Closed runs the event log's retention removed."}

// Health reports what the collector could not write
// (milestone_events_dropped_total, …_lost_total, milestone_write_errors_total
// and milestone_fsync_errors_total, all {sink="eventlog"}), the runs
// retention removed and the events it ignored.
func (c *Collector) Health() []metrics.HealthValue {
	if c == nil {
		return nil
	}
	st := c.Stats()
	return append(c.ignored.Health(),
		metrics.FamilyDropped.Count(st.Dropped+st.DroppedAfterClose, "eventlog"),
		metrics.FamilyLost.Count(st.Lost, "eventlog"),
		metrics.FamilyWriteErrors.Count(st.WriteErrors, "eventlog"),
		metrics.FamilyFsyncErrors.Count(st.SyncErrors, "eventlog"),
		familyRunsRemoved.Count(st.RunsRemoved))
}
