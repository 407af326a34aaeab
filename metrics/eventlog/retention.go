package eventlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Retention bounds an event-log directory. Each limit left at zero is off;
// with all three off nothing is removed. Only whole runs are removed, the
// oldest first (by the time their events.jsonl was last written), and
// never a run that is open: one whose file this collector has open, or,
// unless this collector closed it, that was written to within OpenGrace
// (another process may have it open). The collector applies it when it is
// built, after a run's file closes (at most once per 5 s) and in Close,
// once every file is closed.
type Retention struct {
	// MaxRuns keeps at most this many runs.
	MaxRuns int
	// MaxAge removes runs last written longer ago than this.
	MaxAge time.Duration
	// MaxBytes keeps the runs' files under this many bytes in all.
	MaxBytes int64
}

// OpenGrace is how recently another process's run must have been written to
// for retention to take it as still open.
const OpenGrace = time.Minute

// pruneEvery is the least time between two prunes after runs end.
const pruneEvery = 5 * time.Second

func (r Retention) enabled() bool { return r.MaxRuns > 0 || r.MaxAge > 0 || r.MaxBytes > 0 }

func (r Retention) check() error {
	if r.MaxRuns < 0 || r.MaxAge < 0 || r.MaxBytes < 0 {
		return fmt.Errorf("eventlog: WithRetention(%+v): the limits must not be negative", r)
	}
	return nil
}

// WithRetention keeps the directory within r: the writer prunes when New
// is called and after runs end (at most once per 5 s), and Prune prunes on
// demand. Removed runs are counted (Stats.RunsRemoved) and logged.
func WithRetention(r Retention) Option {
	return func(c *config) error {
		if err := r.check(); err != nil {
			return err
		}
		c.retention = r
		return nil
	}
}

// openRuns is the set of run directories the writer has open, which
// retention must not remove; its lock also keeps a removal and an open of
// the same run apart.
type openRuns struct {
	mu   sync.Mutex
	dirs map[string]int
	// closed holds the runs this collector closed and has not seen removed
	// (kept only with retention on): they need no grace.
	closed map[string]bool
}

func (o *openRuns) add(dir string) {
	o.mu.Lock()
	if o.dirs == nil {
		o.dirs = map[string]int{}
	}
	o.dirs[dir]++
	delete(o.closed, dir)
	o.mu.Unlock()
}

func (o *openRuns) remove(dir string, track bool) {
	o.mu.Lock()
	if o.dirs[dir]--; o.dirs[dir] <= 0 {
		delete(o.dirs, dir)
		if track {
			if o.closed == nil {
				o.closed = map[string]bool{}
			}
			o.closed[dir] = true
		}
	}
	o.mu.Unlock()
}

// runEntry is one run directory of the event-log directory.
type runEntry struct {
	name    string
	modTime time.Time
	size    int64
}

// Prune removes the runs the retention limits say to remove, now, and
// returns how many it removed. It is safe to call at any time, from any
// goroutine; without WithRetention it removes nothing.
func (c *Collector) Prune() (int, error) {
	r := c.retention
	if !r.enabled() {
		return 0, nil
	}
	entries, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("eventlog: pruning %s: %w", c.dir, err)
	}
	var runs []runEntry
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		fi, err := os.Stat(filepath.Join(c.dir, e.Name(), "events.jsonl"))
		if err != nil {
			continue // not a run, or removed meanwhile
		}
		runs = append(runs, runEntry{name: e.Name(), modTime: fi.ModTime(), size: fi.Size()})
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].modTime.After(runs[j].modTime) }) // newest first
	now := time.Now()
	var total int64
	kept, removed := 0, 0
	var errs []error
	for _, run := range runs {
		keep := (r.MaxRuns == 0 || kept < r.MaxRuns) &&
			(r.MaxAge == 0 || now.Sub(run.modTime) <= r.MaxAge) &&
			(r.MaxBytes == 0 || total+run.size <= r.MaxBytes)
		if !keep {
			ok, err := c.removeRun(run, now)
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				removed++
				continue
			}
		}
		kept++
		total += run.size
	}
	if removed > 0 {
		c.runsRemoved.Add(uint64(removed))
		c.logger.Info("event_log_runs_removed", "dir", c.dir, "removed", removed, "kept", kept, "bytes_kept", total)
	}
	return removed, errors.Join(errs...)
}

// removeRun removes one run unless it is open here or was written within
// OpenGrace. It reports whether it removed it.
func (c *Collector) removeRun(run runEntry, now time.Time) (bool, error) {
	c.open.mu.Lock()
	defer c.open.mu.Unlock()
	if c.open.dirs[run.name] > 0 || (!c.open.closed[run.name] && now.Sub(run.modTime) < OpenGrace) {
		return false, nil
	}
	if err := os.RemoveAll(filepath.Join(c.dir, run.name)); err != nil {
		return false, fmt.Errorf("eventlog: removing run %s: %w", run.name, err)
	}
	delete(c.open.closed, run.name)
	return true, nil
}
