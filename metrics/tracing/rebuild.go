package tracing

import (
	"bufio"
	"bytes"
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
}

// read returns the event of one line; ok is false for a line that is not
// an event (event_log_started, events_dropped).
func (lr *lineReader) read(line []byte) (id ident, e evt, at time.Time, ok bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return id, e, at, false, err
	}
	name, _ := fields["event"].(string)
	switch name {
	case "":
		return id, e, at, false, fmt.Errorf("no event name")
	case "event_log_started":
		if k, ok := fields["run_key"].(string); ok && k != "" {
			lr.runKey = k
		}
		if ends, ok := fields["ends_run"].([]any); ok {
			for _, w := range ends {
				if s, ok := w.(string); ok {
					lr.endsRun[s] = true
				}
			}
		}
		return id, e, at, false, nil
	case "events_dropped":
		return id, e, at, false, nil
	}
	ts, _ := fields["ts"].(string)
	if at, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return id, e, at, false, fmt.Errorf("ts %q: %w", ts, err)
	}
	run, _ := fields[lr.runKey].(string)
	id, err = lr.ident(fields, run)
	if err != nil {
		return id, e, at, false, err
	}
	e = lr.event(name, fields)
	if e.hasDur && id.step {
		id.ends = !lr.ended[id.span]
		lr.ended[id.span] = true
	}
	return id, e, at, true, nil
}

// ident reads a line's place in its trace: the ids it carries, or the ids
// derived from its run for a line written before lines carried them.
func (lr *lineReader) ident(fields map[string]any, run string) (ident, error) {
	id := ident{run: run}
	hexID := func(key string, into []byte) (bool, error) {
		s, ok := fields[key].(string)
		if !ok || s == "" {
			return false, nil
		}
		var v []byte
		if _, err := fmt.Sscanf(s, "%x", &v); err != nil || len(v) != len(into) {
			return false, fmt.Errorf("%s %q is not %d hex bytes", key, s, len(into))
		}
		copy(into, v)
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
func (lr *lineReader) event(name string, fields map[string]any) evt {
	e := evt{name: name, endsRun: lr.endsRun[name]}
	skip := map[string]bool{"event": true, "ts": true, lr.runKey: true, "trace_id": true, "span_id": true,
		"parent_span_id": true, "trace_parent_id": true}
	d := lookup(name)
	durField, durScale := "", int64(0)
	if d != nil {
		e.group, e.endsRun = string(d.Group), d.EndsRun || e.endsRun
		for _, f := range d.Fields {
			if f.Role == metrics.RoleDuration {
				durField, durScale = f.Name, int64(f.Unit.Scale())
			}
		}
		level := d.Level
		if d.LevelBy != nil {
			if v, ok := fields[d.LevelBy.Name].(string); ok {
				level = d.LevelOfValue(v)
			}
		}
		if level >= slog.LevelError {
			e.errType = name
		}
	} else {
		e.group = groupOf(name)
		for _, k := range []string{"duration_ms", "wall_time_s", "duration_s"} {
			if _, ok := fields[k]; ok {
				durField, durScale = k, 1e6
				if !strings.HasSuffix(k, "_ms") {
					durScale = 1e9
				}
				break
			}
		}
		if s, _ := fields["status"].(string); s == "error" || s == "failed" || s == "failure" {
			e.errType = name
		}
	}
	if e.errType != "" {
		if t, _ := fields["error_type"].(string); t != "" {
			e.errType = t
		}
	}
	if n, ok := fields[durField].(json.Number); ok && durField != "" {
		e.dur, e.hasDur = exactDuration(string(n), durScale), true
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if !skip[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if d != nil {
		keys = keys[:0]
		for _, f := range d.Fields {
			if _, ok := fields[f.Name]; ok {
				keys = append(keys, f.Name)
			}
		}
	}
	for _, k := range keys {
		switch v := fields[k].(type) {
		case json.Number:
			if i, err := v.Int64(); err == nil {
				e.attrs = append(e.attrs, attribute.Int64(k, i))
			} else if f, err := v.Float64(); err == nil {
				e.attrs = append(e.attrs, attribute.Float64(k, f))
			}
		case bool:
			e.attrs = append(e.attrs, attribute.Bool(k, v))
		case string:
			if len(v) > maxAttrLen {
				v = v[:maxAttrLen]
			}
			e.attrs = append(e.attrs, attribute.String(k, v))
		}
	}
	return e
}

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
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		f, _ := strconv.ParseFloat(num, 64)
		return time.Duration(f * float64(scale))
	}
	r.Mul(r, new(big.Rat).SetInt64(scale))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	return time.Duration(q.Int64())
}
