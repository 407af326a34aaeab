package runs

import (
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
	"github.com/milestone-go/milestone/metrics"
)

// unsafeString is b as a string without a copy, for a lookup or a parse
// that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// EventStats is one row of the generic, EXPLAIN ANALYZE-style table: the
// events of one wire name and one set of label values, with the
// distribution of each duration field and the sum of each integer field.
// It is built from the events' declarations, for any catalog.
type EventStats struct {
	Event string `json:"event"`
	// Catalog is the namespace of the catalog that declares the event.
	Catalog string `json:"catalog"`
	// Labels holds the values of the event's label fields, as logged, and
	// of its integer fields named *_id (node_id, db_id), which the table
	// also groups by.
	Labels map[string]string `json:"labels,omitempty"`
	Count  int               `json:"count"`
	// Durations has one entry per duration field (the run clock, elapsed,
	// left out), in declaration order.
	Durations []FieldLatency `json:"durations,omitempty"`
	// Sums has one entry per count field (an integer field a counter of
	// the event adds), in declaration order.
	Sums []FieldSum `json:"sums,omitempty"`
}

// FieldLatency is the distribution of one duration field, in milliseconds.
type FieldLatency struct {
	Field   string  `json:"field"`
	TotalMS float64 `json:"total_ms"`
	P50MS   float64 `json:"p50_ms"`
	P99MS   float64 `json:"p99_ms"`
	MaxMS   float64 `json:"max_ms"`
}

// FieldSum is the sum of one integer field.
type FieldSum struct {
	Field string `json:"field"`
	Sum   int64  `json:"sum"`
}

// genericAcc accumulates one EventStats.
type genericAcc struct {
	stats     EventStats
	durations [][]float64 // by duration field, in milliseconds
	code      int         // the event's code in its catalog; -1 when undeclared
	order     int         // the event's first appearance in the file
	key       string      // the group's label values, for a stable order
}

// describer finds the declaration of a wire name in the catalogs this
// binary knows, caching the answer (nil for an unknown name).
type describer map[string]*metrics.Descriptor

func (d describer) lookup(wire string) *metrics.Descriptor {
	if desc, ok := d[wire]; ok {
		return desc
	}
	var found *metrics.Descriptor
	for _, cat := range metrics.Catalogs() {
		if desc, ok := cat.Lookup(wire); ok {
			found = desc
			break
		}
	}
	d[strings.Clone(wire)] = found
	return found
}

// groups reports whether the table groups rows by f: a label, or a field
// asked for (GroupBy).
func (a *accumulator) groups(f *metrics.Field) bool {
	return f.IsLabel() || a.by[f.Name]
}

// durationFields and sumFields are the fields the table reports.
func durationFields(d *metrics.Descriptor) []*metrics.Field {
	var out []*metrics.Field
	for _, f := range d.Fields {
		if f.Kind == metrics.KindDuration && f.Role != metrics.RoleElapsed {
			out = append(out, f)
		}
	}
	return out
}

// sumFields are the integer fields that are counts: those a counter of the
// event adds up (an id such as db_id is not summed).
func sumFields(d *metrics.Descriptor) []*metrics.Field {
	var out []*metrics.Field
	for _, f := range d.Fields {
		if f.Kind != metrics.KindInt {
			continue
		}
		for _, in := range d.Instruments {
			if in.Kind == metrics.Counter && in.ValueField() == f {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// addGeneric adds one line of event d, whose raw JSON is body, to the table.
func (a *accumulator) addGeneric(d *metrics.Descriptor) {
	fields := a.line
	// The group's key is the wire name and the grouped values, each after
	// a 0 byte; its labels are made only for a new group.
	key := append(a.key[:0], d.Wire...)
	for _, f := range d.Fields {
		if a.groups(f) {
			key = append(key, 0)
			key = append(key, groupValue(f, fields)...)
		}
	}
	a.key = key
	g := a.generic[string(key)]
	if g == nil {
		var labels map[string]string
		for _, f := range d.Fields {
			if a.groups(f) {
				if labels == nil {
					labels = map[string]string{}
				}
				labels[f.Name] = strings.Clone(groupValue(f, fields))
			}
		}
		g = a.group(string(key), d.Wire, d.Catalog.Namespace(), int(d.Code), labels)
	}
	if g.durations == nil && g.stats.Sums == nil {
		for _, f := range durationFields(d) {
			g.stats.Durations = append(g.stats.Durations, FieldLatency{Field: f.Name})
			g.durations = append(g.durations, nil)
		}
		for _, f := range sumFields(d) {
			g.stats.Sums = append(g.stats.Sums, FieldSum{Field: f.Name})
		}
	}
	g.stats.Count++
	for i, f := range durationFields(d) {
		raw, _ := jsonscan.Get(fields, f.Name)
		v, err := strconv.ParseFloat(unsafeString(raw), 64)
		if err != nil {
			continue
		}
		if f.Unit == metrics.Seconds {
			v *= 1000
		}
		g.durations[i] = append(g.durations[i], v)
		g.stats.Durations[i].TotalMS += v
	}
	for i, f := range sumFields(d) {
		raw, _ := jsonscan.Get(fields, f.Name)
		if v, err := strconv.ParseInt(unsafeString(raw), 10, 64); err == nil {
			g.stats.Sums[i].Sum += v
		}
	}
}

// groupValue is f's value as the table groups by it: an integer's digits,
// a string's text. It may point into the line.
func groupValue(f *metrics.Field, fields []jsonscan.Member) string {
	raw, _ := jsonscan.Get(fields, f.Name)
	if f.Kind == metrics.KindInt {
		return unsafeString(raw)
	}
	v, _ := jsonscan.Str(raw)
	return v
}

// finishGeneric returns the table's rows: declared events by catalog and
// code (a catalog numbers its events in the order of its lifecycle), then
// undeclared ones in order of first appearance, and an event's groups by
// their label values. Nothing depends on how concurrent events
// interleaved, so two sources of one run (a file and a table, each seeing
// the events in its own order) give the same table.
func (a *accumulator) finishGeneric() []EventStats {
	accs := make([]*genericAcc, 0, len(a.generic))
	for _, g := range a.generic {
		accs = append(accs, g)
	}
	sort.Slice(accs, func(i, j int) bool {
		x, y := accs[i], accs[j]
		if (x.code < 0) != (y.code < 0) {
			return x.code >= 0
		}
		if x.code >= 0 && (x.stats.Catalog != y.stats.Catalog || x.code != y.code) {
			if x.stats.Catalog != y.stats.Catalog {
				return x.stats.Catalog < y.stats.Catalog
			}
			return x.code < y.code
		}
		if x.order != y.order {
			return x.order < y.order
		}
		return x.key < y.key
	})
	out := make([]EventStats, len(accs))
	for i, g := range accs {
		for j, vs := range g.durations {
			if len(vs) == 0 {
				continue
			}
			sort.Float64s(vs)
			d := &g.stats.Durations[j]
			d.P50MS, d.P99MS, d.MaxMS = Percentile(vs, 50), Percentile(vs, 99), vs[len(vs)-1]
		}
		out[i] = g.stats
	}
	return out
}
