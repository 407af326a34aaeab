package runs

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
)

// An event this binary does not declare (another program's catalog, read
// by `milestone summarize`) is still put in the event table, from its
// field names and JSON types, the way eventlog writes them:
//
//   - a string of at most maxLabelLen bytes groups the rows, as a declared
//     event's labels do (and a field asked for with GroupBy);
//   - a number named *_ms, *_s or *_seconds is a duration (elapsed_ms, the
//     run clock, left out);
//   - any other integer is a count, and is summed.
//
// Fields keep the order of their first appearance in the file.

// maxLabelLen is the longest string an undeclared event groups by; longer
// strings are messages or paths, not label values.
const maxLabelLen = 64

// skipped are the keys of every line, which are not fields of the event:
// its name, time and run, and its place in the run's trace.
func (a *accumulator) skipped(key string) bool {
	switch key {
	case "event", "ts", "run_id", "elapsed_ms", "trace_id", "span_id", "parent_span_id", "trace_parent_id":
		return true
	}
	return key == a.runKey
}

// durationScale returns the factor to milliseconds of a field named name,
// or 0 when the name is not a duration's.
func durationScale(name string) float64 {
	switch {
	case strings.HasSuffix(name, "_ms"):
		return 1
	case strings.HasSuffix(name, "_seconds"), strings.HasSuffix(name, "_s"):
		return 1000
	}
	return 0
}

// isInt reports whether raw is a JSON integer.
func isInt(raw json.RawMessage) bool {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return false
	}
	return !bytes.ContainsAny(raw, ".eE")
}

// addUndeclared adds one line of an undeclared event to the table.
func (a *accumulator) addUndeclared(wire string) {
	var key strings.Builder
	key.WriteString(wire)
	var labels map[string]string
	for _, f := range a.line {
		if a.skipped(f.Key) {
			continue
		}
		var v string
		switch {
		case len(f.Raw) > 0 && f.Raw[0] == '"':
			var ok bool
			if v, ok = jsonscan.Str(f.Raw); !ok || len(v) > maxLabelLen {
				continue
			}
		case a.by[f.Key] && isInt(f.Raw):
			v = string(f.Raw)
		default:
			continue
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[strings.Clone(f.Key)] = strings.Clone(v)
		key.WriteByte(0)
		key.WriteString(f.Key)
		key.WriteByte('=')
		key.WriteString(v)
	}
	g := a.group(key.String(), wire, "", -1, labels)
	g.stats.Count++
	for _, f := range a.line {
		if a.skipped(f.Key) || strings.HasSuffix(f.Key, "_id") {
			continue
		}
		if scale := durationScale(f.Key); scale != 0 {
			if v, err := strconv.ParseFloat(unsafeString(f.Raw), 64); err == nil {
				g.addDuration(f.Key, v*scale)
			}
			continue
		}
		if isInt(f.Raw) {
			if v, err := strconv.ParseInt(unsafeString(f.Raw), 10, 64); err == nil {
				g.sums(f.Key).Sum += v
			}
		}
	}
}

// group returns the table row of key, creating it; code is the event's
// code in its catalog, -1 when it is undeclared.
func (a *accumulator) group(key, wire, catalog string, code int, labels map[string]string) *genericAcc {
	g := a.generic[key]
	if g == nil {
		wire = strings.Clone(wire) // it may point into the line
		if _, seen := a.eventOrder[wire]; !seen {
			a.eventOrder[wire] = len(a.eventOrder)
		}
		g = &genericAcc{stats: EventStats{Event: wire, Catalog: catalog, Labels: labels},
			code: code, order: a.eventOrder[wire], key: key}
		a.generic[key] = g
	}
	return g
}

// addDuration adds v milliseconds to the duration field name.
func (g *genericAcc) addDuration(name string, v float64) {
	i := 0
	for i < len(g.stats.Durations) && g.stats.Durations[i].Field != name {
		i++
	}
	if i == len(g.stats.Durations) {
		g.stats.Durations = append(g.stats.Durations, FieldLatency{Field: strings.Clone(name)})
		g.durations = append(g.durations, nil)
	}
	g.durations[i] = append(g.durations[i], v)
	g.stats.Durations[i].TotalMS += v
}

// sums returns the sum of the count field name, adding it.
func (g *genericAcc) sums(name string) *FieldSum {
	for i := range g.stats.Sums {
		if g.stats.Sums[i].Field == name {
			return &g.stats.Sums[i]
		}
	}
	g.stats.Sums = append(g.stats.Sums, FieldSum{Field: strings.Clone(name)})
	return &g.stats.Sums[len(g.stats.Sums)-1]
}
