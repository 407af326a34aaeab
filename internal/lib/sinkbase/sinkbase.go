package sinkbase

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// Message is one queued event: everything a sink's writer needs to encode
// it, with no pointer but the run id's string. Trace is zero when the
// event's context held no span: the writer then writes the ids
// runctx.Derive gives for Run.
type Message struct {
	Ev     metrics.Event
	Nanos  int64
	Run    string
	Trace  trace.TraceID
	Span   trace.SpanID
	Parent trace.SpanID
	Step   bool // Span is a step's (Parent its parent), not a run's root
	P      metrics.Payload
}

// Config is the configuration every queued sink shares. Sink names the sink
// in errors ("eventlog"); MaxQueueSize bounds SetQueueSize.
type Config struct {
	Sink         string
	MaxQueueSize int

	Logger     *slog.Logger
	Clock      func() time.Time
	DefaultRun string
	Host       string
	QueueSize  int
	// RunKey is the logctx field an event's run is read from when the
	// context binds no run with runctx.With (runctx.Field unless set).
	RunKey string
}

// SetLogger sets the logger errors are reported to (default slog.Default()).
func (c *Config) SetLogger(l *slog.Logger) error {
	if l == nil {
		return fmt.Errorf("%s: WithLogger(nil): the logger must not be nil", c.Sink)
	}
	c.Logger = l
	return nil
}

// SetClock sets the function Emit reads the time from (default time.Now).
func (c *Config) SetClock(now func() time.Time) error {
	if now == nil {
		return fmt.Errorf("%s: WithClock(nil): the clock must not be nil", c.Sink)
	}
	c.Clock = now
	return nil
}

// SetDefaultRun sets the run of events whose context carries none (default
// a fresh runctx.NewID()).
func (c *Config) SetDefaultRun(id string) error {
	if id == "" {
		return fmt.Errorf(`%s: WithDefaultRun(""): the default run id must not be empty`, c.Sink)
	}
	c.DefaultRun = id
	return nil
}

// SetHost sets the host name the sink writes (default os.Hostname()).
func (c *Config) SetHost(h string) error {
	c.Host = h
	return nil
}

// SetQueueSize sets how many events may wait for the sink's writer; it must
// be between 1 and MaxQueueSize.
func (c *Config) SetQueueSize(n int) error {
	if n < 1 || n > c.MaxQueueSize {
		return fmt.Errorf("%s: WithQueueSize(%d): the queue size must be between 1 and %d", c.Sink, n, c.MaxQueueSize)
	}
	c.QueueSize = n
	return nil
}

// Fill sets what the options left out to its default.
func (c *Config) Fill() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.DefaultRun == "" {
		c.DefaultRun = runctx.NewID()
	}
	if c.Host == "" {
		c.Host, _ = os.Hostname()
	}
	if c.RunKey == "" {
		c.RunKey = runctx.Field
	}
}

// Run returns the run an event emitted with ctx belongs to: the one bound
// with runctx.With, else the RunKey field bound with logctx.With, else the
// default run. It allocates nothing for a string id.
func (c *Config) Run(ctx context.Context) string {
	if id, ok := runctx.IDOr(ctx, c.RunKey); ok {
		return id
	}
	return c.DefaultRun
}

// Message returns the queued message of event ev emitted with ctx: its run
// and its span's ids (see Run and runctx.From), stamped with the clock. It
// allocates nothing.
func (c *Config) Message(ctx context.Context, ev metrics.Event, p *metrics.Payload) Message {
	id := runctx.From(ctx, c.RunKey)
	if id.Run == "" {
		id.Run = c.DefaultRun
	}
	return Message{Ev: ev, Nanos: c.Clock().UnixNano(), Run: id.Run, Trace: id.Trace, Span: id.Span,
		Parent: id.Parent, Step: id.Step, P: *p}
}

// SpanIDs is what a sink writes of an event's place in its trace: the
// trace and span ids, and the parent span's (valid for a step, or for a
// run's root that joined another trace).
type SpanIDs struct {
	Trace  trace.TraceID
	Span   trace.SpanID
	Parent trace.SpanID
	Step   bool
}

// Deriver gives a message its span ids: those of its context's span, or
// when that held none, the ids runctx.Derive gives for its run (the run's
// root span), remembered for the last run so that a run's events hash its
// id once. A sink's writer goroutine keeps one; it is not safe for
// concurrent use.
type Deriver struct {
	run   string
	trace trace.TraceID
	span  trace.SpanID
}

// IDs returns m's span ids.
func (d *Deriver) IDs(m *Message) SpanIDs {
	if m.Trace.IsValid() {
		return SpanIDs{Trace: m.Trace, Span: m.Span, Parent: m.Parent, Step: m.Step}
	}
	if m.Run != d.run || !d.trace.IsValid() {
		d.run = m.Run
		d.trace, d.span = runctx.Derive(m.Run)
	}
	return SpanIDs{Trace: d.trace, Span: d.span}
}
