package progress

import (
	"math"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// Estimate is a run's progress at one moment.
type Estimate struct {
	// Fraction is how much of the run is done, from 0 to 1; it is never
	// lower than an earlier estimate of the same run.
	Fraction float64
	// Known is false until some stage's total is known.
	Known bool
	// Stage, Unit, Done and Total describe the stage in progress: "writing",
	// "rows", 120000 of 200000.
	Stage, Unit string
	Done, Total float64
	// Elapsed is the time since the run's first event.
	Elapsed time.Duration
	// ETA is the time left at the run's average pace so far; -1 while
	// unknown (nothing done yet).
	ETA time.Duration
	// Stalled is set when no work has arrived for StallFactor times the
	// run's usual gap between reports (and at least MinStall).
	Stalled bool
	// Ended is set once the run's ending event arrived.
	Ended bool
}

// Model is what a Tracker knows of an application's runs, learned from
// finished ones (Tracker.Model, Learn): the share of a run's time each stage
// takes, and the time one unit of each stage's work takes. With the second,
// a run with more of one stage's work than usual weighs that stage more.
type Model struct {
	Shares Weights
	// PerUnit is the seconds one unit of a stage's work takes, by stage.
	PerUnit map[string]float64
}

// Weights are the shares of a run's time its stages take, by stage name; a
// stage not named weighs the mean of those named (1 when none is). EndStage
// is the time after the last stage completed, until the run's ending event
// (work no event reports); it counts only when named.
type Weights map[string]float64

// EndStage names, in Weights, the time from the last stage's completion to
// the run's end.
const EndStage = "(end)"

// Stall thresholds.
const (
	StallFactor = 5
	MinStall    = time.Second
)

// Tracker estimates one run's progress from its events. It is not safe for
// concurrent use.
type Tracker struct {
	weights  Weights
	perUnit  map[string]float64
	stages   []*stage
	byName   map[string]*stage
	catalogs map[*metrics.Catalog]bool

	start, last, lastWork time.Time
	gaps                  time.Duration // sum of the gaps between reports of work
	reports               int
	fraction              float64
	ended                 bool
	completed             map[string]time.Time // when each stage reached 1
}

// stage is one stage's work.
type stage struct {
	name, unit string
	total      float64 // -1 until announced
	done       float64 // work not in a part
	parts      map[partKey]*part
	complete   bool
}

// part is one part's work.
type part struct{ total, done float64 }

// NewTracker returns a tracker that weighs stages by m: by their work
// times the time per unit when m knows it for every stage and every total
// is known, else by their shares (equally when m is empty).
func NewTracker(m Model) *Tracker {
	return &Tracker{weights: m.Shares, perUnit: m.PerUnit, byName: map[string]*stage{}, catalogs: map[*metrics.Catalog]bool{}}
}

// Observe adds an event of the run, emitted at at.
func (t *Tracker) Observe(at time.Time, d *metrics.Descriptor, p *metrics.Payload) {
	if t.start.IsZero() || at.Before(t.start) {
		t.start = at
	}
	if at.After(t.last) {
		t.last = at
	}
	t.learnCatalog(d.Catalog)
	worked := false
	for i := range d.Work {
		w := &d.Work[i]
		s := t.byName[w.Stage]
		var pt *part
		if w.Part != "" {
			pt = s.part(partOf(d, p, w.Part))
		}
		if w.Total != "" {
			v := number(d, p, w.Total)
			if pt != nil {
				pt.total = v
			} else if v > 0 {
				s.total = v
			}
		}
		if w.Done != "" {
			v := number(d, p, w.Done)
			if pt != nil {
				pt.done += v
			} else {
				s.done += v
			}
			worked = worked || v > 0
		}
		if w.Restart && pt != nil {
			pt.done = 0
		}
		if w.Complete {
			worked = true
			switch {
			case pt != nil:
				if pt.total <= 0 {
					pt.total = pt.done
				}
				pt.done = pt.total
			default:
				if s.total <= 0 {
					s.total = s.progress()
				}
				s.complete = true
			}
		}
	}
	if worked {
		if !t.lastWork.IsZero() && at.After(t.lastWork) {
			t.gaps += at.Sub(t.lastWork)
			t.reports++
		}
		t.lastWork = at
	}
	if d.EndsRun {
		t.ended = true
	}
	if f := t.compute(); f > t.fraction {
		t.fraction = f
	}
	for _, s := range t.stages {
		if _, ok := t.completed[s.name]; !ok && s.fraction() >= 1 {
			if t.completed == nil {
				t.completed = map[string]time.Time{}
			}
			t.completed[s.name] = at
		}
	}
}

// Model returns what the run teaches of its application: each stage's
// share of its time and time per unit (Learn averages them over runs).
func (t *Tracker) Model() Model {
	m := Model{Shares: t.Shares(), PerUnit: map[string]float64{}}
	total := t.last.Sub(t.start).Seconds()
	for _, s := range t.stages {
		if work := s.totalWork(); work > 0 {
			m.PerUnit[s.name] = m.Shares[s.name] * total / work
		}
	}
	return m
}

// Shares returns the share of the run's time each stage took, once it has
// ended: from the previous stage's completion (the run's first event, for
// the first stage) to its own (the run's last event, for a stage that
// never completed).
func (t *Tracker) Shares() Weights {
	total := t.last.Sub(t.start)
	if total <= 0 {
		return nil
	}
	w := Weights{}
	from := t.start
	for _, s := range t.stages {
		to, ok := t.completed[s.name]
		if !ok || to.After(t.last) {
			to = t.last
		}
		if to.Before(from) {
			to = from
		}
		w[s.name] = float64(to.Sub(from)) / float64(total)
		from = to
	}
	w[EndStage] = float64(t.last.Sub(from)) / float64(total)
	return w
}

// learnCatalog registers the stages the catalog's events declare, in the
// order of their first declaration.
func (t *Tracker) learnCatalog(c *metrics.Catalog) {
	if t.catalogs[c] {
		return
	}
	t.catalogs[c] = true
	for _, d := range c.Descriptors() {
		for _, w := range d.Work {
			if _, ok := t.byName[w.Stage]; !ok {
				s := &stage{name: w.Stage, unit: w.Unit, total: -1, parts: map[partKey]*part{}}
				t.byName[w.Stage] = s
				t.stages = append(t.stages, s)
			}
		}
	}
}

func (s *stage) part(key partKey) *part {
	p := s.parts[key]
	if p == nil {
		p = &part{total: -1}
		s.parts[key] = p
	}
	return p
}

// progress is the stage's work done: its own, plus each part's, capped at
// the part's total when it has one.
func (s *stage) progress() float64 {
	done := s.done
	for _, p := range s.parts {
		if p.total > 0 {
			done += math.Min(p.done, p.total)
		} else {
			done += p.done
		}
	}
	return done
}

// totalWork is the stage's total: announced, else the sum of its parts'
// totals (0 while neither is known).
func (s *stage) totalWork() float64 {
	if s.total > 0 {
		return s.total
	}
	sum := 0.0
	for _, p := range s.parts {
		sum += math.Max(p.total, 0)
	}
	return sum
}

// fraction is the stage's share done, 0 while its total is unknown.
func (s *stage) fraction() float64 {
	if s.complete {
		return 1
	}
	total := s.totalWork()
	if total <= 0 {
		return 0
	}
	return math.Min(1, s.progress()/total)
}

// weight is the stage's weight.
func (t *Tracker) weight(name string) float64 {
	if w, ok := t.weights[name]; ok {
		return w
	}
	if len(t.weights) == 0 {
		return 1
	}
	sum, n := 0.0, 0
	for k, w := range t.weights {
		if k != EndStage {
			sum, n = sum+w, n+1
		}
	}
	if n == 0 {
		return 1
	}
	return sum / float64(n)
}

// costWeights returns each stage's expected seconds (its work times its
// time per unit), when the model knows every stage's time per unit and
// every stage's total is known.
func (t *Tracker) costWeights() ([]float64, bool) {
	if len(t.perUnit) == 0 {
		return nil, false
	}
	w := make([]float64, len(t.stages))
	for i, s := range t.stages {
		c, total := t.perUnit[s.name], s.totalWork()
		if c <= 0 || total <= 0 {
			return nil, false
		}
		w[i] = c * total
	}
	return w, true
}

// compute is the run's fraction now, before the never-backwards rule.
func (t *Tracker) compute() float64 {
	if t.ended {
		return 1
	}
	var sum, total float64
	if cw, ok := t.costWeights(); ok {
		for i, s := range t.stages {
			total += cw[i]
			sum += cw[i] * s.fraction()
		}
		// The end's share of the run, in the same seconds.
		if end := t.weights[EndStage]; end > 0 && end < 1 {
			total += total * end / (1 - end)
		}
		if total == 0 {
			return 0
		}
		return math.Min(sum/total, 1)
	}
	for _, s := range t.stages {
		w := t.weight(s.name)
		total += w
		sum += w * s.fraction()
	}
	total += t.weights[EndStage] // done only when the run ends
	if total == 0 {
		return 0
	}
	return math.Min(sum/total, 1)
}

// Estimate returns the run's progress at now.
func (t *Tracker) Estimate(now time.Time) Estimate {
	e := Estimate{Fraction: t.fraction, Ended: t.ended, ETA: -1}
	if !t.start.IsZero() {
		e.Elapsed = now.Sub(t.start)
	}
	for _, s := range t.stages {
		if s.totalWork() > 0 || s.complete {
			e.Known = true
		}
	}
	for _, s := range t.stages {
		if !s.complete && s.fraction() < 1 && (s.totalWork() > 0 || s.progress() > 0) {
			e.Stage, e.Unit, e.Done, e.Total = s.name, s.unit, s.progress(), s.totalWork()
			break
		}
	}
	switch {
	case t.ended:
		e.ETA = 0
	case e.Fraction > 0 && e.Elapsed > 0:
		e.ETA = time.Duration(float64(e.Elapsed) * (1 - e.Fraction) / e.Fraction)
	}
	if !t.ended && !t.lastWork.IsZero() {
		usual := MinStall
		if t.reports > 0 {
			usual = max(MinStall, StallFactor*t.gaps/time.Duration(t.reports))
		}
		e.Stalled = now.Sub(t.lastWork) > usual
	}
	return e
}

// partKey is the value of a part field: a string or an integer. It is a
// comparable struct rather than an interface, so that looking a part up
// boxes nothing.
type partKey struct {
	str string
	num int64
}

// partOf is the part an event's field name names.
func partOf(d *metrics.Descriptor, p *metrics.Payload, name string) partKey {
	f, _ := d.Field(name)
	if f.Kind == metrics.KindString {
		return partKey{str: p.Str(f)}
	}
	return partKey{num: p.Int(f)}
}

// number is the value of a number field.
func number(d *metrics.Descriptor, p *metrics.Payload, name string) float64 {
	f, _ := d.Field(name)
	return p.Number(f)
}
