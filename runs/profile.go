package runs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/milestone-go/milestone/metrics/tracing"
)

// A run's profile is its trace: the spans metrics/tracing makes of its
// steps, live or rebuilt from its event log on the same ids, so the bars of
// `milestone serve`, the rows of `milestone profile` and the spans in a
// trace store are the same spans. See docs/design/see-a-run.md.

// Span is one step of a run, or the run itself (its root).
type Span struct {
	ID       string `json:"span_id"`
	ParentID string `json:"parent_span_id,omitempty"`
	// Name is the span's name: the run's group for the root ("write",
	// "query", "task"), the ending event's wire name for a step.
	Name string `json:"name"`
	// Labels are the span's label and id attributes (db_id, step, operator),
	// which tell siblings of one name apart.
	Labels map[string]string `json:"labels,omitempty"`
	Start  time.Time         `json:"start"`
	End    time.Time         `json:"end"`
	// StartMS and DurationMS place the span on the run's timeline, in
	// milliseconds from the run's start.
	StartMS    float64 `json:"start_ms"`
	DurationMS float64 `json:"duration_ms"`
	// SelfMS is the span's time not covered by its children.
	SelfMS float64 `json:"self_ms"`
	// Share is DurationMS over the run's wall time.
	Share float64 `json:"share"`
	// Depth is 0 for the root, 1 for its children, and so on.
	Depth int `json:"depth"`
	// Error is set when the span ended in error, with its error type.
	Error     bool   `json:"error,omitempty"`
	ErrorType string `json:"error_type,omitempty"`
	// Critical marks the spans of the critical path.
	Critical bool `json:"critical,omitempty"`
	// Marks are the span's events: retries, throttles, batches.
	Marks []Mark `json:"marks,omitempty"`
	// MarksDropped counts the events past the span's limit.
	MarksDropped int `json:"marks_dropped,omitempty"`
}

// Mark is an event inside a span that has no duration of its own.
type Mark struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
	// AtMS is its place on the run's timeline, in milliseconds.
	AtMS float64 `json:"at_ms"`
}

// Warning is something a person looking at the run would want pointed out.
type Warning struct {
	// Kind is one of "skew", "retry_storm", "stall", "not_ended".
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// SpanID is the span it is about, if one.
	SpanID string `json:"span_id,omitempty"`
}

// Profile is where a run's time went, step by step.
type Profile struct {
	RunID   string    `json:"run_id"`
	TraceID string    `json:"trace_id"`
	Start   time.Time `json:"start"`
	// WallMS is the root span's duration.
	WallMS float64 `json:"wall_ms"`
	// Spans are the root then its descendants, depth first, children by
	// start time.
	Spans []*Span `json:"spans"`
	// CriticalPath lists the ids of the spans that made the run as long as
	// it was: from the root, each time the child that ended last.
	CriticalPath []string  `json:"critical_path"`
	Warnings     []Warning `json:"warnings"`
	// Events is the number of events read.
	Events int `json:"events"`
}

// Thresholds of the warnings.
const (
	// SkewRatio: siblings of one name whose longest is more than this many
	// times their median are skewed.
	SkewRatio = 3
	// RetryStormMin: a run with at least this many retries, a third or
	// more of its marks, is in a retry storm.
	RetryStormMin = 10
	// StallMin: a gap of more than half the run's wall time, and at least
	// this long, with no event, is a stall.
	StallMin = time.Second
)

// ProfileOf reads one run's event-log lines and returns its profile: its
// spans, each one's share and self time, the critical path and the
// warnings. It fails when the lines hold no run.
func ProfileOf(r io.Reader) (*Profile, error) {
	exp := &spanCollector{}
	tc, err := tracing.New(tracing.WithExporter(exp), tracing.WithSyncExport(), tracing.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, err
	}
	gw := &gapWatch{r: r}
	got, err := tc.Rebuild(gw)
	_ = tc.Shutdown(context.Background())
	if err != nil {
		return nil, err
	}
	if len(exp.spans) == 0 {
		return nil, fmt.Errorf("runs: profile: no run in %d events", got.Events)
	}
	p := build(exp.spans)
	p.Events, p.RunID = got.Events, exp.runID
	if len(got.Traces) > 0 {
		p.TraceID = got.Traces[0].String()
	}
	p.warn(gw)
	return p, nil
}

// spanCollector is the exporter ProfileOf rebuilds into.
type spanCollector struct {
	mu    sync.Mutex
	spans []*Span
	runID string
}

func (c *spanCollector) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range spans {
		sp := &Span{ID: s.SpanContext().SpanID().String(), Name: s.Name(), Start: s.StartTime(), End: s.EndTime(),
			Error: s.Status().Code == codes.Error}
		if p := s.Parent(); p.IsValid() && p.TraceID() == s.SpanContext().TraceID() {
			sp.ParentID = p.SpanID().String()
		}
		for _, kv := range s.Attributes() {
			switch {
			case kv.Key == "error.type":
				sp.ErrorType = kv.Value.Emit()
			case kv.Key == "milestone.run_id" && c.runID == "":
				c.runID = kv.Value.AsString()
			case kv.Key == "milestone.span_events_dropped":
				sp.MarksDropped = int(kv.Value.AsInt64())
			case isLabelAttr(kv):
				if sp.Labels == nil {
					sp.Labels = map[string]string{}
				}
				sp.Labels[string(kv.Key)] = kv.Value.Emit()
			}
		}
		for _, e := range s.Events() {
			sp.Marks = append(sp.Marks, Mark{Name: e.Name, At: e.Time})
		}
		c.spans = append(c.spans, sp)
	}
	return nil
}

func (c *spanCollector) Shutdown(context.Context) error { return nil }

// isLabelAttr reports whether an attribute tells siblings apart: a short
// string (a label), or an integer named *_id.
func isLabelAttr(kv attribute.KeyValue) bool {
	k := string(kv.Key)
	if strings.HasPrefix(k, "milestone.") || strings.HasPrefix(k, "cicd.") {
		return false
	}
	switch kv.Value.Type() {
	case attribute.STRING:
		return len(kv.Value.AsString()) <= 64 && !strings.HasSuffix(k, "error") && k != "message"
	case attribute.INT64:
		return strings.HasSuffix(k, "_id")
	}
	return false
}

// build orders the spans into a tree and computes the figures.
func build(spans []*Span) *Profile {
	byID := map[string]*Span{}
	for _, s := range spans {
		byID[s.ID] = s
	}
	children := map[string][]*Span{}
	var root *Span
	for _, s := range spans {
		if parent, ok := byID[s.ParentID]; ok && s.ParentID != "" {
			children[parent.ID] = append(children[parent.ID], s)
		} else if root == nil || s.Start.Before(root.Start) || s.End.Sub(s.Start) > root.End.Sub(root.Start) {
			root = s
		}
	}
	// Spans whose parent is not in the run (another trace's) hang from the
	// root.
	for _, s := range spans {
		if _, ok := byID[s.ParentID]; (!ok || s.ParentID == "") && s != root {
			children[root.ID] = append(children[root.ID], s)
		}
	}
	p := &Profile{Start: root.Start, WallMS: ms(root.End.Sub(root.Start))}
	var walk func(s *Span, depth int)
	walk = func(s *Span, depth int) {
		s.Depth = depth
		s.StartMS, s.DurationMS = ms(s.Start.Sub(p.Start)), ms(s.End.Sub(s.Start))
		if p.WallMS > 0 {
			s.Share = s.DurationMS / p.WallMS
		}
		for i := range s.Marks {
			s.Marks[i].AtMS = ms(s.Marks[i].At.Sub(p.Start))
		}
		kids := children[s.ID]
		// By start, then by id: two sources of one run (a file, a table)
		// that saw concurrent steps in other orders list them alike.
		sort.SliceStable(kids, func(i, j int) bool {
			if !kids[i].Start.Equal(kids[j].Start) {
				return kids[i].Start.Before(kids[j].Start)
			}
			return kids[i].ID < kids[j].ID
		})
		s.SelfMS = s.DurationMS - covered(s, kids)
		p.Spans = append(p.Spans, s)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	walk(root, 0)
	for s := root; s != nil; {
		s.Critical = true
		p.CriticalPath = append(p.CriticalPath, s.ID)
		var last *Span
		for _, k := range children[s.ID] {
			if last == nil || k.End.After(last.End) {
				last = k
			}
		}
		s = last
	}
	p.skew(children)
	return p
}

// covered returns the milliseconds of s that the union of kids covers.
func covered(s *Span, kids []*Span) float64 {
	var total time.Duration
	var end time.Time
	for _, k := range kids { // sorted by start
		a, b := maxTime(k.Start, s.Start), minTime(k.End, s.End)
		if a.Before(end) {
			a = end
		}
		if b.After(a) {
			total += b.Sub(a)
			end = b
		}
	}
	return ms(total)
}

// skew warns about siblings of one name, three or more, whose longest
// takes more than SkewRatio times their median.
func (p *Profile) skew(children map[string][]*Span) {
	for _, parent := range p.Spans {
		byName := map[string][]*Span{}
		var names []string
		for _, k := range children[parent.ID] {
			if byName[k.Name] == nil {
				names = append(names, k.Name)
			}
			byName[k.Name] = append(byName[k.Name], k)
		}
		for _, name := range names {
			sibs := byName[name]
			if len(sibs) < 3 {
				continue
			}
			ds := make([]float64, len(sibs))
			longest := sibs[0]
			for i, s := range sibs {
				ds[i] = s.DurationMS
				if s.DurationMS > longest.DurationMS {
					longest = s
				}
			}
			slices.Sort(ds)
			med := Percentile(ds, 50)
			if med > 0 && longest.DurationMS > SkewRatio*med {
				p.Warnings = append(p.Warnings, Warning{Kind: "skew", SpanID: longest.ID,
					Message: fmt.Sprintf("%d %s steps are skewed: %s%s took %s, %.1f× their median %s",
						len(sibs), name, name, labelText(longest.Labels), Millis(longest.DurationMS), longest.DurationMS/med, Millis(med))})
			}
		}
	}
}

// warn adds the warnings of the whole run: a retry storm, a stall, a run
// that never ended.
func (p *Profile) warn(g *gapWatch) {
	root := p.Spans[0]
	if root.Error && root.ErrorType == "not_ended" {
		p.Warnings = append(p.Warnings, Warning{Kind: "not_ended", SpanID: root.ID,
			Message: "the run has not ended: its last event is " + Millis(p.WallMS) + " after its first (still running, or its process stopped)"})
	}
	marks, retries := 0, 0
	for _, s := range p.Spans {
		for _, m := range s.Marks {
			marks++
			if strings.Contains(m.Name, "retry") {
				retries++
			}
		}
	}
	if retries >= RetryStormMin && 3*retries >= marks {
		p.Warnings = append(p.Warnings, Warning{Kind: "retry_storm",
			Message: fmt.Sprintf("a retry storm: %d retries, %d%% of the run's %d marked events", retries, 100*retries/marks, marks)})
	}
	if g.gap > StallMin && ms(g.gap) > p.WallMS/2 {
		p.Warnings = append(p.Warnings, Warning{Kind: "stall",
			Message: fmt.Sprintf("a stall: no event for %s, from %s into the run", Millis(ms(g.gap)), Millis(ms(g.gapAt.Sub(p.Start))))})
	}
}

func labelText(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + labels[k])
	}
	return b.String() + "}"
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// gapWatch passes an event log through, noting the longest gap between
// two consecutive lines' timestamps (the ts that follows the event name at
// the start of every line metrics/eventlog writes).
type gapWatch struct {
	r     io.Reader
	head  []byte // the start of the current line, up to headLen bytes
	skip  bool   // the current line's head is full
	last  time.Time
	gap   time.Duration
	gapAt time.Time // where the longest gap began
}

const headLen = 256

func (g *gapWatch) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			g.line()
			g.head, g.skip = g.head[:0], false
			continue
		}
		if !g.skip {
			g.head = append(g.head, c)
			g.skip = len(g.head) >= headLen
		}
	}
	if err == io.EOF {
		g.line()
	}
	return n, err
}

// line notes the timestamp of the line whose head is g.head.
func (g *gapWatch) line() {
	key := []byte(`"ts":"`)
	i := bytes.Index(g.head, key)
	if i < 0 {
		return
	}
	rest := g.head[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return
	}
	at, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	if err != nil {
		return
	}
	if !g.last.IsZero() && at.Sub(g.last) > g.gap {
		g.gap, g.gapAt = at.Sub(g.last), g.last
	}
	if at.After(g.last) {
		g.last = at
	}
}
