package runs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"strings"
	"time"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
	"github.com/milestone-go/milestone/metrics"
)

// Event is one event of a run, as its line in the event log holds it.
type Event struct {
	// Name is the event's wire name.
	Name string
	// Time is when it was emitted (the line's ts, to the millisecond).
	Time time.Time
	// RunID is the run the line names.
	RunID string
	// TraceID, SpanID and ParentSpanID place the event in its run's trace
	// (empty in a log written before events carried them; ParentSpanID is
	// set for a step's events).
	TraceID, SpanID, ParentSpanID string
	// Fields are the line's other keys, the event's own fields, as raw
	// JSON.
	Fields map[string]json.RawMessage
	// Desc is the event's declaration when this program declares it, else
	// nil.
	Desc *metrics.Descriptor
}

// Events yields the events of an event log's lines (its own lines,
// event_log_started and events_dropped, left out), in order. A line that
// is not JSON, or has no event name or time, ends it with an error naming
// the line.
func Events(r io.Reader) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		describe := describer{}
		runKey := "run_id"
		var members []jsonscan.Member
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var err error
			if members, err = jsonscan.Object(members[:0], line); err != nil {
				yield(Event{}, fmt.Errorf("runs: line %d: %w", n, err))
				return
			}
			fields := make(map[string]json.RawMessage, len(members))
			for _, m := range members {
				fields[strings.Clone(m.Key)] = bytes.Clone(m.Raw)
			}
			var e Event
			_ = json.Unmarshal(fields["event"], &e.Name)
			switch e.Name {
			case "":
				yield(Event{}, fmt.Errorf("runs: line %d: no event name", n))
				return
			case "event_log_started":
				var key string
				if json.Unmarshal(fields["run_key"], &key) == nil && key != "" {
					runKey = key
				}
				continue
			case "events_dropped":
				continue
			}
			var ts string
			_ = json.Unmarshal(fields["ts"], &ts)
			at, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				yield(Event{}, fmt.Errorf("runs: line %d: ts %q: %w", n, ts, err))
				return
			}
			e.Time = at
			_ = json.Unmarshal(fields[runKey], &e.RunID)
			_ = json.Unmarshal(fields["trace_id"], &e.TraceID)
			_ = json.Unmarshal(fields["span_id"], &e.SpanID)
			_ = json.Unmarshal(fields["parent_span_id"], &e.ParentSpanID)
			for _, k := range []string{"event", "ts", runKey, "trace_id", "span_id", "parent_span_id", "trace_parent_id"} {
				delete(fields, k)
			}
			e.Fields, e.Desc = fields, describe.lookup(e.Name)
			if !yield(e, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(Event{}, fmt.Errorf("runs: %w", err))
		}
	}
}

// Decode returns the events of the declared type T in an event log's
// lines, in order, as the structs they were emitted as: the typed view of
// a finished run, as metrics.Recorded is of a Recorder. Durations come back
// to the precision the log keeps them (a nanosecond of milliseconds); the
// fields a timing helper filled come back as written. It fails when T is
// not a declared event or a line cannot be read.
func Decode[T any](r io.Reader) ([]T, error) {
	t := metrics.TypeOf[T]()
	if t == nil {
		var zero T
		return nil, fmt.Errorf("runs: Decode: %T is not a declared event", zero)
	}
	d := t.Descriptor()
	var out []T
	for e, err := range Events(r) {
		if err != nil {
			return out, err
		}
		if e.Desc != d {
			continue
		}
		p, err := payloadOf(d, e.Fields)
		if err != nil {
			return out, fmt.Errorf("runs: Decode: %s at %s: %w", e.Name, e.Time.Format(time.RFC3339Nano), err)
		}
		out = append(out, t.Unpack(p))
	}
	return out, nil
}

// payloadOf rebuilds an event's payload from its line's fields. A field
// the line lacks stays zero.
func payloadOf(d *metrics.Descriptor, fields map[string]json.RawMessage) (metrics.Payload, error) {
	var p metrics.Payload
	for _, f := range d.Fields {
		raw, ok := fields[f.Name]
		if !ok {
			continue
		}
		var err error
		switch f.Kind {
		case metrics.KindString:
			var v string
			if err = json.Unmarshal(raw, &v); err == nil {
				p.SetText(f, v)
			}
		case metrics.KindBool:
			var v bool
			if err = json.Unmarshal(raw, &v); err == nil {
				p.SetBool(f, v)
			}
		case metrics.KindInt:
			var v int64
			if err = json.Unmarshal(raw, &v); err == nil {
				p.SetInt(f, v)
			}
		default: // a float, or a duration in its unit
			var v float64
			if err = json.Unmarshal(raw, &v); err == nil {
				if f.Kind == metrics.KindDuration {
					p.SetDuration(f, time.Duration(math.Round(v*f.Unit.Scale())))
				} else {
					p.SetFloat(f, v)
				}
			}
		}
		if err != nil {
			return p, fmt.Errorf("field %s: %w", f.Name, err)
		}
	}
	return p, nil
}
