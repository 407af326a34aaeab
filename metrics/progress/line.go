package progress

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// Line is a Collector that draws the progress of the run being emitted on
// a terminal: a bar, the percentage, the stage's work done of its total,
// the rate and the ETA, or "stalled". It appears once the run has lasted
// Delay (a quick run never draws), is redrawn in place (carriage return,
// erase to the end of the line) at most every Interval and only when it
// changed, so it never flickers, and ends with a newline when the run
// ends or the Line closes. On a writer that is not a terminal it writes a
// plain line every PlainEvery instead, and one when the run ends.
//
// Emit only updates the estimate under a mutex: drawing happens on the
// Line's own goroutine, so a slow terminal never slows the caller. It
// follows one run at a time, the one whose events arrived last.
type Line struct {
	w        io.Writer
	terminal bool
	model    Model
	delay    time.Duration
	interval time.Duration
	plain    time.Duration
	now      func() time.Time

	mu      sync.Mutex
	run     string
	tracker *Tracker
	started time.Time // when the run's first event arrived
	drawn   string    // what the line shows now ("" when nothing is)
	plainAt time.Time // when the last plain line was written
	closed  bool

	stop chan struct{}
	done chan struct{}
}

// LineOption configures NewLine.
type LineOption func(*Line)

// WithModel sets what the Line knows of the application's runs (default:
// stages weighed equally).
func WithModel(m Model) LineOption { return func(l *Line) { l.model = m } }

// WithTiming sets the delay before the line appears (default 1 s), the
// least time between two redraws on a terminal (default 100 ms) and the
// time between two plain lines elsewhere (default 5 s).
func WithTiming(delay, interval, plainEvery time.Duration) LineOption {
	return func(l *Line) { l.delay, l.interval, l.plain = delay, interval, plainEvery }
}

// WithTerminal says whether w is a terminal, instead of asking it
// (IsTerminal).
func WithTerminal(terminal bool) LineOption { return func(l *Line) { l.terminal = terminal } }

// NewLine returns a Line drawing on w (a terminal when IsTerminal(w)).
// Close it to end the line.
func NewLine(w io.Writer, opts ...LineOption) *Line {
	l := &Line{w: w, terminal: IsTerminal(w), delay: time.Second, interval: 100 * time.Millisecond, plain: 5 * time.Second,
		now: time.Now, stop: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		if o != nil {
			o(l)
		}
	}
	go l.loop()
	return l
}

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Emit updates the estimate of the event's run.
func (l *Line) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if l == nil {
		return
	}
	d, ok := metrics.Describe(ev)
	if !ok || len(d.Work) == 0 && !d.EndsRun {
		return
	}
	run, _ := runctx.ID(ctx)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if run != l.run || l.tracker == nil {
		l.finishLocked() // another run: the last one's line ends here
		l.run, l.tracker, l.started, l.plainAt = run, NewTracker(l.model), now, now
	}
	l.tracker.Observe(now, d, &p)
	if d.EndsRun {
		l.finishLocked()
	}
}

// loop redraws the line every interval.
func (l *Line) loop() {
	defer close(l.done)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		l.drawLocked(false)
		l.mu.Unlock()
	}
}

// drawLocked draws the current run's line, when it is due.
func (l *Line) drawLocked(final bool) {
	if l.tracker == nil {
		return
	}
	now := l.now()
	if !final && now.Sub(l.started) < l.delay {
		return
	}
	text := render(l.tracker.Estimate(now), now.Sub(l.started))
	switch {
	case l.terminal:
		if text != l.drawn || final {
			fmt.Fprint(l.w, "\r"+text+"\x1b[K")
			l.drawn = text
		}
		if final && l.drawn != "" {
			fmt.Fprint(l.w, "\n")
		}
	case final || now.Sub(l.plainAt) >= l.plain:
		fmt.Fprintln(l.w, text)
		l.plainAt, l.drawn = now, text
	}
}

// finishLocked ends the current run's line: its last state, then a
// newline, when the line has appeared (or on a plain writer, when the run
// lasted long enough to report).
func (l *Line) finishLocked() {
	if l.tracker == nil {
		return
	}
	if l.drawn != "" || l.now().Sub(l.started) >= l.delay {
		l.drawLocked(true)
	}
	l.tracker, l.drawn = nil, ""
}

// Close ends the line (drawing the run's last state when it had
// appeared) and stops the Line's goroutine. Emit after Close does nothing.
func (l *Line) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.finishLocked()
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return nil
}

// barWidth is the bar's width in cells.
const barWidth = 24

// render is one line of an estimate.
func render(e Estimate, elapsed time.Duration) string {
	filled := int(e.Fraction*barWidth + 0.5)
	var b strings.Builder
	b.WriteString("[" + strings.Repeat("#", filled) + strings.Repeat("-", barWidth-filled) + "] ")
	fmt.Fprintf(&b, "%5.1f%%", 100*e.Fraction)
	if e.Stage != "" && !e.Ended {
		fmt.Fprintf(&b, "  %s %s/%s %s", e.Stage, count(e.Done), count(e.Total), e.Unit)
	}
	switch {
	case e.Ended:
		fmt.Fprintf(&b, "  done in %s", elapsed.Round(10*time.Millisecond))
	case e.Stalled:
		b.WriteString("  stalled")
	case e.ETA >= 0:
		fmt.Fprintf(&b, "  %s  ETA %s", rate(e, elapsed), e.ETA.Round(100*time.Millisecond))
	default:
		b.WriteString("  ETA ?")
	}
	return b.String()
}

// rate is the run's pace: percent per second.
func rate(e Estimate, elapsed time.Duration) string {
	if elapsed <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f%%/s", 100*e.Fraction/elapsed.Seconds())
}

// count writes n with a k, M or G suffix.
func count(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fG", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", n/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}
