package tracing

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// This file rebuilds a finished run's trace from its event log: the lines
// carry the ids the live spans had (trace_id, span_id, parent_span_id), so
// the same builder, fed each line's timestamp instead of the clock, makes
// the same spans.

// Rebuilt says what Rebuild sent.
type Rebuilt struct {
	// Traces lists the trace ids of the runs rebuilt, in order of
	// appearance.
	Traces []trace.TraceID
	// Spans is the number of spans handed to the exporter.
	Spans int
	// Events is the number of event lines read.
	Events int
}

// Rebuild reads an event log (as metrics/eventlog writes it: one run's
// events.jsonl, or several runs' lines) and sends the trace of each run to
// the collector's exporter, on the ids its lines carry, with the lines'
// times: the spans a live tracing collector made, within the event log's
// millisecond timestamps. An event this program declares is read through
// its declaration (which field is its duration, its level, its group); any
// other by the event log's conventions (a duration_ms, wall_time_s or
// duration_s field; a status field "error" or "failed" for an error; the
// ending events listed in event_log_started). A run that never ended is
// sent as a root span in error ("not_ended") when the reader is exhausted.
// Call Shutdown (or Flush) afterwards to make sure every span left.
func (c *Collector) Rebuild(r io.Reader) (Rebuilt, error) {
	var out Rebuilt
	if c == nil {
		return out, fmt.Errorf("tracing: Rebuild on a nil Collector")
	}
	st := &stats{}
	b := newBuilder(c.b.maxEvents, c.b.maxRuns, st)
	lr := &lineReader{runKey: runctx.Field, endsRun: map[string]bool{}, roots: map[string]rootInfo{}, ended: map[trace.SpanID]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var last time.Time
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		id, e, at, ok, err := lr.read(sc.Bytes())
		if err != nil {
			return out, fmt.Errorf("tracing: Rebuild: line %d: %w", line, err)
		}
		if !ok {
			continue
		}
		out.Events++
		if !slices.Contains(out.Traces, id.trace) {
			out.Traces = append(out.Traces, id.trace)
		}
		last = at
		for _, f := range b.add(nil, id, &e, at) {
			export(c.tracer, f)
			out.Spans++
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("tracing: Rebuild: %w", err)
	}
	for _, f := range b.drain(last) {
		export(c.tracer, f)
		out.Spans++
	}
	c.st.spans.Add(uint64(out.Spans))
	return out, nil
}

// rootInfo is a run's root span as its lines named it.
type rootInfo struct{ span, parent trace.SpanID }

// lineReader turns event-log lines into events with their identity.
type lineReader struct {
	runKey  string
	endsRun map[string]bool
	roots   map[string]rootInfo
	ended   map[trace.SpanID]bool // steps already ended
	members []jsonscan.Member     // the current line's, reused
	decls   map[string]*metrics.Descriptor
}

// lookup finds the declaration of an event by its wire name, remembering
// the answer (nil for an event this program does not declare).
func (lr *lineReader) lookup(wire string) *metrics.Descriptor {
	if d, ok := lr.decls[wire]; ok {
		return d
	}
	if lr.decls == nil {
		lr.decls = map[string]*metrics.Descriptor{}
	}
	d := lookup(wire)
	lr.decls[wire] = d
	return d
}

// fields are a line's members, read without a map.
type fields []jsonscan.Member

// str returns key's string value ("" when absent or not a string). It may
// point into the line: clone it to keep it.
func (f fields) str(key string) string {
	raw, _ := jsonscan.Get(f, key)
	s, _ := jsonscan.Str(raw)
	return s
}

// read returns the event of one line; ok is false for a line that is not
// an event (event_log_started, events_dropped).
func (lr *lineReader) read(line []byte) (id ident, e evt, at time.Time, ok bool, err error) {
	members, err := jsonscan.Object(lr.members[:0], line)
	lr.members = members
	if err != nil {
		return id, e, at, false, err
	}
	f := fields(members)
	name := f.str("event")
	switch name {
	case "":
		return id, e, at, false, fmt.Errorf("no event name")
	case "event_log_started":
		if k := f.str("run_key"); k != "" {
			lr.runKey = strings.Clone(k)
		}
		if raw, ok := jsonscan.Get(f, "ends_run"); ok {
			var ends []string
			_ = json.Unmarshal(raw, &ends)
			for _, w := range ends {
				lr.endsRun[w] = true
			}
		}
		return id, e, at, false, nil
	case "events_dropped":
		return id, e, at, false, nil
	}
	ts := f.str("ts")
	if at, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return id, e, at, false, fmt.Errorf("ts %q: %w", ts, err)
	}
	id, err = lr.ident(f, strings.Clone(f.str(lr.runKey)))
	if err != nil {
		return id, e, at, false, err
	}
	e = lr.event(strings.Clone(name), f)
	if e.hasDur && id.step {
		id.ends = !lr.ended[id.span]
		lr.ended[id.span] = true
	}
	return id, e, at, true, nil
}

// ident reads a line's place in its trace: the ids it carries, or the ids
// derived from its run for a line written before lines carried them.
func (lr *lineReader) ident(f fields, run string) (ident, error) {
	id := ident{run: run}
	hexID := func(key string, into []byte) (bool, error) {
		s := f.str(key)
		if s == "" {
			return false, nil
		}
		if len(s) != 2*len(into) {
			return false, fmt.Errorf("%s %q is not %d hex bytes", key, s, len(into))
		}
		if _, err := hex.Decode(into, []byte(s)); err != nil {
			return false, fmt.Errorf("%s %q is not %d hex bytes", key, s, len(into))
		}
		return true, nil
	}
	hasTrace, err := hexID("trace_id", id.trace[:])
	if err != nil {
		return id, err
	}
	if !hasTrace {
		id.trace, id.span = runctx.Derive(run)
	} else if _, err := hexID("span_id", id.span[:]); err != nil {
		return id, err
	}
	step, err := hexID("parent_span_id", id.parent[:])
	if err != nil {
		return id, err
	}
	id.step = step
	if !step {
		var joined trace.SpanID
		if _, err := hexID("trace_parent_id", joined[:]); err != nil {
			return id, err
		}
		lr.roots[run] = rootInfo{span: id.span, parent: joined}
		id.parent = joined
	}
	root, ok := lr.roots[run]
	if !ok {
		_, derived := runctx.Derive(run)
		root = rootInfo{span: derived}
	}
	id.root, id.rootParent = root.span, root.parent
	return id, nil
}

// event reads the event's name, group, duration, error and fields, through
// its declaration when this program declares it.
func (lr *lineReader) event(name string, f fields) evt {
	e := evt{name: name, endsRun: lr.endsRun[name]}
	d := lr.lookup(name)
	durField, durScale := "", int64(0)
	if d != nil {
		e.group, e.endsRun = string(d.Group), d.EndsRun || e.endsRun
		for _, fd := range d.Fields {
			if fd.Role == metrics.RoleDuration {
				durField, durScale = fd.Name, int64(fd.Unit.Scale())
			}
		}
		level := d.Level
		if d.LevelBy != nil {
			if v := f.str(d.LevelBy.Name); v != "" {
				level = d.LevelOfValue(v)
			}
		}
		if level >= slog.LevelError {
			e.errType = name
		}
	} else {
		e.group = groupOf(name)
		for _, k := range []string{"duration_ms", "wall_time_s", "duration_s"} {
			if _, ok := jsonscan.Get(f, k); ok {
				durField, durScale = k, 1e6
				if !strings.HasSuffix(k, "_ms") {
					durScale = 1e9
				}
				break
			}
		}
		if s := f.str("status"); s == "error" || s == "failed" || s == "failure" {
			e.errType = name
		}
	}
	if e.errType != "" {
		if t := f.str("error_type"); t != "" {
			e.errType = strings.Clone(t)
		}
	}
	if raw, ok := jsonscan.Get(f, durField); ok && durField != "" && isNumber(raw) {
		e.dur, e.hasDur = exactDuration(string(raw), durScale), true
	}
	if d != nil {
		for _, fd := range d.Fields {
			if raw, ok := jsonscan.Get(f, fd.Name); ok {
				e.attrs = appendAttr(e.attrs, fd.Name, raw)
			}
		}
		return e
	}
	keys := make([]string, 0, len(f))
	for _, m := range f {
		if !lineKeys[m.Key] && m.Key != lr.runKey {
			keys = append(keys, m.Key)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		raw, _ := jsonscan.Get(f, k)
		e.attrs = appendAttr(e.attrs, strings.Clone(k), raw)
	}
	return e
}

// appendAttr appends the attribute of a raw JSON value: an integer, a
// float, a boolean or a string (cut at maxAttrLen); anything else is left
// out.
func appendAttr(attrs []attribute.KeyValue, key string, raw []byte) []attribute.KeyValue {
	switch {
	case len(raw) == 0:
	case raw[0] == '"':
		if v, ok := jsonscan.Str(raw); ok {
			if len(v) > maxAttrLen {
				v = v[:maxAttrLen]
			}
			attrs = append(attrs, attribute.String(key, strings.Clone(v)))
		}
	case string(raw) == "true" || string(raw) == "false":
		attrs = append(attrs, attribute.Bool(key, raw[0] == 't'))
	case isNumber(raw):
		if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			attrs = append(attrs, attribute.Int64(key, i))
		} else if x, err := strconv.ParseFloat(string(raw), 64); err == nil {
			attrs = append(attrs, attribute.Float64(key, x))
		}
	}
	return attrs
}

// isNumber reports whether raw starts like a JSON number.
func isNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9')
}

// lineKeys are the keys of every line that are not the event's fields.
var lineKeys = map[string]bool{"event": true, "ts": true, "trace_id": true, "span_id": true, "parent_span_id": true, "trace_parent_id": true}

// lookup finds the declaration of an event by its wire name, in any
// catalog of the program.
func lookup(wire string) *metrics.Descriptor {
	for _, c := range metrics.Catalogs() {
		if d, ok := c.Lookup(wire); ok {
			return d
		}
	}
	return nil
}

// groupOf guesses an undeclared event's group from its name: what comes
// before its first dot ("write.completed"), else before its last
// underscore ("query_ended").
func groupOf(name string) string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	if i := strings.LastIndexByte(name, '_'); i > 0 {
		return name[:i]
	}
	return name
}

// exactDuration converts a decimal number of units (scale nanoseconds
// each) to a Duration without float rounding: "15.737257" ms is
// 15,737,257 ns, as the event log wrote it.
func exactDuration(num string, scale int64) time.Duration {
	if d, ok := decimalDuration(num, scale); ok {
		return d
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		f, _ := strconv.ParseFloat(num, 64)
		return time.Duration(f * float64(scale))
	}
	r.Mul(r, new(big.Rat).SetInt64(scale))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	return time.Duration(q.Int64())
}

// decimalDuration is exactDuration's fast path: a plain decimal ("12",
// "15.737257", "-0.5") whose fractional digits scale divides into whole
// nanoseconds. It reports false for anything else (an exponent, too many
// digits), which the exact path handles.
func decimalDuration(num string, scale int64) (time.Duration, bool) {
	neg := strings.HasPrefix(num, "-")
	if neg {
		num = num[1:]
	}
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" || len(whole) > 12 || len(frac) > 9 {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	ns := w * scale
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
		div := int64(1)
		for range len(frac) {
			div *= 10
		}
		if scale%div != 0 {
			return 0, false
		}
		ns += f * (scale / div)
	}
	if neg {
		ns = -ns
	}
	return time.Duration(ns), true
}
