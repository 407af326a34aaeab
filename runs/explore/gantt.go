package explore

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/milestone-go/milestone/runs"
)

// The timeline's geometry, in SVG user units (pixels at 100%).
const (
	labelWidth = 360
	plotWidth  = 820
	rowHeight  = 20
	axisHeight = 24
	// maxMarks is the most marks drawn on one bar.
	maxMarks = 60
)

// gantt is a run's timeline, laid out.
type gantt struct {
	Width, Height int
	Bars          []bar
	Ticks         []tick
	// Collapsed counts the spans drawn inside aggregate bars.
	Collapsed int
}

// bar is one step on the timeline.
type bar struct {
	SpanID, ParentID    string
	StartMS, DurationMS string // as the profile has them, for data attributes
	Y, LabelX, X, W     float64
	Label, Title, Class string
	Marks               []mark
	Aggregate, Critical bool
	Depth               int
	TextY, BarY, BarH   float64
}

// mark is a tick on a bar: a retry, a throttle, another event.
type mark struct {
	X     float64
	Class string
	Title string
}

// tick is a time label on the axis.
type tick struct {
	X      float64
	Label  string
	Anchor string // the label's text-anchor: start, middle or end
}

// layout places the profile's spans on the timeline, one row each, in the
// profile's order (depth first).
func layout(p *runs.Profile) gantt {
	spans := collapse(p.Spans)
	g := gantt{Width: labelWidth + plotWidth + 20, Height: axisHeight + rowHeight*len(spans) + 8}
	scale := 0.0
	if p.WallMS > 0 {
		scale = plotWidth / p.WallMS
	}
	for i, s := range spans {
		y := float64(axisHeight + i*rowHeight)
		b := bar{SpanID: s.ID, ParentID: s.ParentID, StartMS: num(s.StartMS), DurationMS: num(s.DurationMS),
			Y: y, BarY: y + 3, BarH: rowHeight - 6, TextY: y + rowHeight - 6, Depth: s.Depth, LabelX: float64(4 + 12*s.Depth),
			X: labelWidth + s.StartMS*scale, W: max(s.DurationMS*scale, 1), Label: s.Title(), Critical: s.Critical, Aggregate: s.aggregate > 0}
		b.Title = fmt.Sprintf("%s\nstart %s, duration %s (%.1f%% of the run)", s.Title(), runs.Millis(s.StartMS), runs.Millis(s.DurationMS), 100*s.Share)
		switch {
		case s.Error:
			b.Class, b.Title = "bar error", b.Title+"\nerror: "+s.ErrorType
		case s.aggregate > 0:
			b.Class, b.Title = "bar aggregate", b.Title+"\n"+s.note
			g.Collapsed += s.aggregate
		case s.Critical:
			b.Class = "bar critical"
		default:
			b.Class = "bar"
		}
		for j, m := range s.Marks {
			if j == maxMarks {
				break
			}
			b.Marks = append(b.Marks, mark{X: labelWidth + m.AtMS*scale, Class: markClass(m.Name), Title: m.Name + " at " + runs.Millis(m.AtMS)})
		}
		g.Bars = append(g.Bars, b)
	}
	for i := 0; i <= 5; i++ {
		ms := p.WallMS * float64(i) / 5
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 5:
			anchor = "end"
		}
		g.Ticks = append(g.Ticks, tick{X: labelWidth + ms*scale, Label: runs.Millis(ms), Anchor: anchor})
	}
	return g
}

// markClass is the class of a mark for the event name: a retry (s3.retry,
// write.shard.retried), a throttle (rate_limiter.throttled, .denied) or
// another event.
func markClass(name string) string {
	switch {
	case strings.Contains(name, "retr"):
		return "mark retry"
	case strings.Contains(name, "throttle"), strings.Contains(name, "denied"):
		return "mark throttle"
	}
	return "mark"
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// drawn is a span to draw: one of the profile's, or an aggregate of its
// siblings of one name.
type drawn struct {
	*runs.Span
	aggregate int // spans it stands for, when an aggregate
	note      string
}

// collapse returns the spans to draw: all of them when they are at most
// MaxBars, else each group of siblings of one name as one aggregate bar
// (from the first start to the last end, with the group's count, min,
// median and max in its tooltip), largest groups first, until they fit.
func collapse(spans []*runs.Span) []drawn {
	out := make([]drawn, len(spans))
	for i, s := range spans {
		out[i] = drawn{Span: s}
	}
	if len(spans) <= MaxBars {
		return out
	}
	type key struct{ parent, name string }
	groups := map[key][]int{}
	for i, s := range spans {
		if s.Depth > 0 {
			k := key{s.ParentID, s.Name}
			groups[k] = append(groups[k], i)
		}
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return len(groups[keys[a]]) > len(groups[keys[b]]) })
	gone := map[int]bool{}
	n := len(spans)
	for _, k := range keys {
		idx := groups[k]
		if n <= MaxBars || len(idx) < 2 {
			break
		}
		first := spans[idx[0]]
		agg := *first
		agg.ID, agg.Labels, agg.Marks, agg.Critical, agg.Error = first.ID+"+", nil, nil, false, false
		ds := make([]float64, 0, len(idx))
		for _, i := range idx {
			s := spans[i]
			ds = append(ds, s.DurationMS)
			if s.Start.Before(agg.Start) {
				agg.Start, agg.StartMS = s.Start, s.StartMS
			}
			if s.End.After(agg.End) {
				agg.End = s.End
			}
			gone[i] = true
			for j := i + 1; j < len(spans) && spans[j].Depth > s.Depth; j++ {
				gone[j] = true // drawn inside the aggregate
				n--
			}
		}
		agg.DurationMS = float64(agg.End.Sub(agg.Start)) / 1e6
		sort.Float64s(ds)
		note := fmt.Sprintf("%d steps drawn as one: min %s, median %s, max %s", len(idx), runs.Millis(ds[0]), runs.Millis(runs.Percentile(ds, 50)), runs.Millis(ds[len(ds)-1]))
		out[idx[0]] = drawn{Span: &agg, aggregate: len(idx), note: note}
		delete(gone, idx[0])
		n -= len(idx) - 1
	}
	kept := out[:0]
	for i, d := range out {
		if !gone[i] {
			kept = append(kept, d)
		}
	}
	if len(kept) > MaxBars {
		kept = kept[:MaxBars]
	}
	return kept
}
