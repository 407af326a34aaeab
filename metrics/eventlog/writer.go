package eventlog

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/internal/lib/sinkbase"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// runFile is the open events.jsonl of one run, with its write buffer. It is
// owned by the writer goroutine.
type runFile struct {
	id   string
	path string
	f    *os.File
	buf  []byte
	// pending is the number of event lines in buf.
	pending uint64
	// err is the first error met on this file, which Close returns. A
	// file that could not be opened (f == nil) counts its lines as lost and
	// is opened again at most once a second; a failed write loses the
	// buffer it held, and the next write is tried again.
	err      error
	openedAt time.Time // the last attempt to open the file
	// torn is set when a failed write may have left a partial line: the
	// next write starts with a newline, so that line stays a line of its
	// own (malformed, which summarize reports) instead of swallowing the
	// next one.
	torn bool
	// failing is set from a failure of this file to its next success.
	failing bool
	runJSON []byte // `,"run_id":"<id>"`
	// ids and idsJSON are the span ids of the run's last line and their
	// encoding: the lines of one span repeat them.
	ids     sinkbase.SpanIDs
	idsJSON []byte
	dirty   bool
	closed  bool
	lastUse uint64
}

// writer is the goroutine that drains the queue.
type writer struct {
	c       *Collector
	codecs  *codecTable
	ids     sinkbase.Deriver
	header  []byte // `,"version":…,"host":…,"pid":…}` and a newline
	bufSize int
	flushAt int
	maxOpen int
	sync    bool // fsync files before closing them
	// queueSize is the capacity of both halves of the queue.
	queueSize int
	log       *slog.Logger
	// The state of the error reports: the first failure is logged at once,
	// then at most one summary line per reportEvery with the count since
	// the last line, and the recovery (the last failing file writing again)
	// is logged too; a failure after it is logged at once again.
	reporting     bool
	failingFiles  int
	sinceReport   uint64
	lastReport    time.Time
	lastErr       error
	lastErrorPath string

	files map[string]*runFile
	last  *runFile // the file of the previous event
	dirty []*runFile
	seq   uint64
	drops map[string]uint64
}

func newWriter(c *Collector, cfg *config) *writer {
	codecs := buildCodecs()
	w := &writer{
		c:         c,
		codecs:    codecs,
		bufSize:   cfg.bufferSize,
		flushAt:   cfg.bufferSize - 1024,
		maxOpen:   cfg.maxOpenFiles,
		sync:      cfg.sync,
		queueSize: cfg.QueueSize,
		log:       cfg.Logger,
		files:     make(map[string]*runFile),
		drops:     make(map[string]uint64),
	}
	var h []byte
	if key := cfg.RunKey; key != runctx.Field {
		h = append(h, `,"run_key":`...)
		h = jsonenc.AppendString(h, key)
	}
	// The wire names of the events that end a run, so that a reader that
	// does not declare this program's catalogs (milestone runs) can tell a
	// run that ended from one that stopped.
	h = append(h, `,"ends_run":[`...)
	for i, wire := range endsRun() {
		if i > 0 {
			h = append(h, ',')
		}
		h = jsonenc.AppendString(h, wire)
	}
	h = append(h, ']')
	h = append(h, `,"version":`...)
	h = jsonenc.AppendString(h, cfg.version)
	h = append(h, `,"host":`...)
	h = jsonenc.AppendString(h, cfg.Host)
	h = append(h, `,"pid":`...)
	h = strconv.AppendInt(h, int64(os.Getpid()), 10)
	w.header = append(h, '}', '\n')
	return w
}

func (w *writer) loop() {
	defer close(w.c.done)
	c := w.c
	for {
		// When the queue goes idle, write out what is buffered before
		// sleeping until Emit, Flush or Close wakes the writer.
		b := c.q.Take(w.flushDirty, nil)
		// Events dropped so far were dropped while this batch filled the
		// queue (the Take hook moved their counts): their count follows
		// the batch in the file.
		for run, n := range c.pending {
			w.drops[run] += n
		}
		clear(c.pending)

		for i := range b.Items {
			w.event(&b.Items[i])
		}
		if len(w.drops) > 0 {
			// The queue has room again: say how many events each run lost.
			w.writeDrops()
		}
		c.q.Recycle(b.Items) // and release the run ids
		if len(b.Flushes) > 0 {
			w.flushDirty()
			for _, r := range b.Flushes {
				close(r)
			}
		}
		if b.Closing {
			c.closeErr = w.closeAll()
			return
		}
	}
}

func (w *writer) event(m *message) {
	w.c.accepted.Add(1)
	codec := w.codecs.get(m.Ev)
	rf := w.file(m.Run, m.Nanos)
	if rf.f == nil { // not open: lost until a reopen succeeds
		w.c.lost.Add(1)
	} else {
		b := append(rf.buf, codec.prefix...)
		b = jsonenc.AppendTimestamp(b, time.Unix(0, m.Nanos))
		b = append(b, rf.runJSON...)
		if ids := w.ids.IDs(m); ids != rf.ids || rf.idsJSON == nil {
			rf.ids, rf.idsJSON = ids, appendSpanIDs(rf.idsJSON[:0], ids)
		}
		b = append(b, rf.idsJSON...)
		b = codec.appendFields(b, &m.P)
		rf.buf = append(b, '}', '\n')
		rf.pending++
		w.markDirty(rf)
	}
	if codec.closesRun {
		w.closeFile(rf)
	} else if len(rf.buf) >= w.flushAt {
		w.flushFile(rf)
	}
}

// file returns the open file of run id, opening it (and writing its
// event_log_started line stamped nanos) when needed. A file that cannot be
// opened is returned with err set.
func (w *writer) file(id string, nanos int64) *runFile {
	w.seq++
	if rf := w.last; rf != nil && !rf.closed && rf.id == id {
		rf.lastUse = w.seq
		return rf
	}
	if rf, ok := w.files[id]; ok {
		rf.lastUse = w.seq
		w.last = rf
		if rf.f == nil && time.Since(rf.openedAt) >= reopenEvery {
			w.open(rf, nanos)
		}
		return rf
	}
	if len(w.files) >= w.maxOpen {
		w.evict()
	}
	rf := &runFile{
		id:      id,
		path:    w.c.Path(id),
		buf:     make([]byte, 0, w.bufSize),
		lastUse: w.seq,
	}
	rf.runJSON = append(jsonenc.AppendString(append(rf.runJSON, ','), w.c.run.RunKey), ':')
	rf.runJSON = jsonenc.AppendString(rf.runJSON, id)
	w.files[id] = rf
	w.last = rf
	w.c.open.add(RunDir(id))
	w.open(rf, nanos)
	return rf
}

// reopenEvery is how often the writer tries again to open a run's file
// that it could not open.
const reopenEvery = time.Second

// open opens rf's file and queues its event_log_started line stamped nanos,
// or records why it cannot. It holds the open runs' lock, so that
// retention never removes the run between the directory's creation and the
// file's.
func (w *writer) open(rf *runFile, nanos int64) {
	w.c.open.mu.Lock()
	defer w.c.open.mu.Unlock()
	rf.openedAt = time.Now()
	if err := os.MkdirAll(filepath.Dir(rf.path), 0o755); err != nil {
		w.fail(rf, err)
		return
	}
	f, err := os.OpenFile(rf.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		w.fail(rf, err)
		return
	}
	w.c.filesOpened.Add(1)
	rf.f = f
	b := append(rf.buf, `{"event":"event_log_started","ts":`...)
	b = jsonenc.AppendTimestamp(b, time.Unix(0, nanos))
	b = append(b, rf.runJSON...)
	rf.buf = append(b, w.header...)
	w.markDirty(rf)
}

// evict closes the least recently used file.
func (w *writer) evict() {
	var oldest *runFile
	for _, rf := range w.files {
		if oldest == nil || rf.lastUse < oldest.lastUse {
			oldest = rf
		}
	}
	if oldest != nil {
		w.closeFile(oldest)
	}
}

func (w *writer) markDirty(rf *runFile) {
	if !rf.dirty {
		rf.dirty = true
		w.dirty = append(w.dirty, rf)
	}
}

func (w *writer) flushDirty() {
	for _, rf := range w.dirty {
		if rf.dirty && !rf.closed {
			w.flushFile(rf)
		}
		rf.dirty = false
	}
	clear(w.dirty)
	w.dirty = w.dirty[:0]
}

// flushFile writes rf's buffer to the operating system.
func (w *writer) flushFile(rf *runFile) {
	rf.dirty = false
	if len(rf.buf) == 0 {
		return
	}
	ok := false
	if rf.f != nil {
		ok = w.write(rf)
	}
	if ok {
		w.c.written.Add(rf.pending)
		w.succeeded(rf)
	} else {
		w.c.lost.Add(rf.pending)
	}
	rf.buf = rf.buf[:0]
	rf.pending = 0
}

// write writes rf's buffer, after a newline when an earlier failed write
// may have left a partial line, and reports whether it all reached the
// operating system.
func (w *writer) write(rf *runFile) bool {
	if rf.torn {
		if _, err := rf.f.Write([]byte{'\n'}); err != nil {
			w.fail(rf, err)
			return false
		}
		rf.torn = false
	}
	n, err := rf.f.Write(rf.buf)
	if err != nil {
		rf.torn = n > 0 && rf.buf[n-1] != '\n'
		w.fail(rf, err)
		return false
	}
	return true
}

// closeFile writes out, fsyncs when asked to, closes and forgets rf. It
// returns rf's first error and the error of closing it, joined.
func (w *writer) closeFile(rf *runFile) error {
	w.flushFile(rf)
	if w.sync && rf.f != nil {
		if err := rf.f.Sync(); err != nil {
			w.c.syncErrors.Add(1)
			w.fail(rf, err)
		} else {
			w.c.filesSynced.Add(1)
		}
	}
	var cerr error
	if rf.f != nil {
		cerr = rf.f.Close()
		w.c.filesClosed.Add(1)
		if cerr != nil {
			w.fail(rf, cerr)
		}
	}
	rf.closed = true
	w.forget(rf)
	delete(w.files, rf.id)
	w.c.open.remove(RunDir(rf.id), w.c.retention.enabled())
	w.prune()
	err := rf.err
	if cerr != nil && !errors.Is(err, cerr) && err != cerr {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("eventlog: run %q: %w", rf.id, err)
	}
	return nil
}

// closeAll closes every open file, even when closing one fails. The drop
// counts are already written: the loop writes them after the batch that
// carried the close request, and no event is dropped after Close.
func (w *writer) closeAll() error {
	var errs []error
	for _, rf := range w.files {
		if err := w.closeFile(rf); err != nil {
			errs = append(errs, err)
		}
	}
	clear(w.dirty)
	w.dirty = w.dirty[:0]
	return errors.Join(errs...)
}

// writeDrops writes an events_dropped line to the file of every run that had
// events dropped since the last time.
func (w *writer) writeDrops() {
	nanos := w.c.run.Clock().UnixNano()
	for run, n := range w.drops {
		delete(w.drops, run)
		rf := w.file(run, nanos)
		if rf.f == nil {
			continue
		}
		b := append(rf.buf, `{"event":"events_dropped","ts":`...)
		b = jsonenc.AppendTimestamp(b, time.Unix(0, nanos))
		b = append(b, rf.runJSON...)
		b = append(b, `,"count":`...)
		b = strconv.AppendUint(b, n, 10)
		rf.buf = append(b, '}', '\n')
		w.markDirty(rf)
	}
}

// reportEvery is the least time between two summary lines of write
// errors.
var reportEvery = time.Minute

// fail records err on rf, counts it and reports it: the first failure at
// once, the next ones in a summary line at most once per reportEvery.
func (w *writer) fail(rf *runFile, err error) {
	if rf.err == nil {
		rf.err = err
	}
	w.c.writeErrors.Add(1)
	w.lastErr, w.lastErrorPath = err, rf.path
	if !rf.failing {
		rf.failing = true
		w.failingFiles++
	}
	now := time.Now()
	if !w.reporting {
		w.reporting, w.lastReport, w.sinceReport = true, now, 0
		w.log.Error("event_log_write_failed", "run_id", rf.id, "path", rf.path, "error", err,
			"note", "the events are counted as lost; further errors are summarised at most once a minute")
		return
	}
	w.sinceReport++
	if now.Sub(w.lastReport) >= reportEvery {
		w.log.Error("event_log_write_errors", "count", w.sinceReport, "since", w.lastReport.UTC(),
			"path", w.lastErrorPath, "error", err)
		w.lastReport, w.sinceReport = now, 0
	}
}

// succeeded records a successful write of rf, and logs the recovery when
// it was the last failing file.
func (w *writer) succeeded(rf *runFile) {
	if !rf.failing {
		return
	}
	rf.failing = false
	w.failingFiles--
	if w.failingFiles == 0 && w.reporting {
		w.reporting = false
		w.log.Info("event_log_write_recovered", "path", rf.path, "errors_since_last_report", w.sinceReport, "last_error", w.lastErr)
	}
}

// forget drops rf from the failing files when it closes.
func (w *writer) forget(rf *runFile) {
	if rf.failing {
		rf.failing = false
		w.failingFiles--
	}
}

// prune runs the retention after a run's file closed, at most once per
// pruneEvery. It runs on the writer goroutine, which owns the open files.
func (w *writer) prune() {
	c := w.c
	if !c.retention.enabled() || time.Since(time.Unix(0, c.lastPrune.Load())) < pruneEvery {
		return
	}
	c.lastPrune.Store(time.Now().UnixNano())
	if _, err := c.Prune(); err != nil {
		w.log.Warn("event_log_prune_failed", "dir", c.dir, "error", err)
	}
}

// endsRun returns the sorted wire names of the declared events that end a
// run.
func endsRun() []string {
	var out []string
	for _, d := range metrics.Descriptors() {
		if d.EndsRun && !slices.Contains(out, d.Wire) {
			out = append(out, d.Wire)
		}
	}
	slices.Sort(out)
	return out
}
