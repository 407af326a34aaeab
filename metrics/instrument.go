package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// InstrumentKind says whether an instrument counts or records a distribution.
type InstrumentKind uint8

// The kinds of instruments an event can feed.
const (
	// Counter is a monotonically increasing count. Its Name ends in _total.
	Counter InstrumentKind = iota + 1
	// Histogram records the distribution of a duration, in seconds.
	Histogram
)

// String returns "counter" or "histogram".
func (k InstrumentKind) String() string {
	switch k {
	case Counter:
		return "counter"
	case Histogram:
		return "histogram"
	}
	return "unknown"
}

// Instrument declares one metric that an event feeds. Backends create one
// instrument per distinct Name of a catalog when they are constructed; two
// events of a catalog may feed the same Name only with identical
// declarations. Build them with Count, Sum, CountIf and Hist.
type Instrument struct {
	// Kind is Counter or Histogram.
	Kind InstrumentKind
	// Name is the Prometheus-style name without the backend's prefix, in
	// snake_case with the base unit: "shard_writes_completed_total",
	// "shard_write_duration_seconds". Backends derive their own spelling
	// from it (OTel drops _total and _seconds and joins with a dot).
	Name string
	// Help describes the metric in one sentence.
	Help string
	// Unit is the UCUM unit: "s" for histograms, "" for counts. Declare
	// sets it.
	Unit string
	// Value names the field the instrument reads. A counter with no Value
	// counts events (adds 1); a counter with a Value adds that integer
	// field; a histogram observes that duration field in seconds.
	Value string
	// If, when set, names a boolean field; the instrument is fed only when
	// it equals IfValue (reader_get_misses_total counts found == false).
	If string
	// IfValue is the value If must have.
	IfValue bool
	// Labels names the label fields the instrument is broken down by, in
	// order: its Prometheus labels and OTel attributes.
	Labels []string
	// Buckets are the default histogram upper bounds in seconds, increasing,
	// chosen for the range the observed duration usually spans.
	Buckets []float64

	value  *Field
	cond   *Field
	labels []*Field
	series int
	// bySlot is the stride of the label in each string slot of the
	// event's payload, 0 for a slot that is not one of the instrument's
	// labels, so that SeriesIndex is four multiply-adds and no loop.
	bySlot [StrSlots]uint32
}

// Count declares a counter that adds 1 per event, broken down by labels.
func Count(name, help string, labels ...string) Instrument {
	return Instrument{Kind: Counter, Name: name, Help: help, Labels: labels}
}

// Sum declares a counter that adds the integer field's value per event.
func Sum(name, help, field string, labels ...string) Instrument {
	return Instrument{Kind: Counter, Name: name, Help: help, Value: field, Labels: labels}
}

// CountIf declares a counter that adds 1 per event whose boolean field
// equals want.
func CountIf(name, help, field string, want bool, labels ...string) Instrument {
	return Instrument{Kind: Counter, Name: name, Help: help, If: field, IfValue: want, Labels: labels}
}

// Hist declares a histogram of the duration field, in seconds, with default
// bucket upper bounds.
func Hist(name, help, field string, buckets []float64, labels ...string) Instrument {
	return Instrument{Kind: Histogram, Name: name, Help: help, Value: field, Buckets: buckets, Labels: labels}
}

// ValueField returns the field the instrument reads, or nil for a counter
// that counts events.
func (in *Instrument) ValueField() *Field { return in.value }

// CondField returns the boolean field of the If condition, or nil.
func (in *Instrument) CondField() *Field { return in.cond }

// LabelFields returns the instrument's label fields, in order. The slice is
// shared and must not be modified.
func (in *Instrument) LabelFields() []*Field { return in.labels }

// Series returns how many label combinations the instrument can have: the
// product of its labels' sizes, 1 without labels. A backend keeps at most
// this many series of the instrument.
func (in *Instrument) Series() int { return in.series }

// SeriesIndex returns the label combination of p, from 0 to Series()-1.
func (in *Instrument) SeriesIndex(p *Payload) int {
	m := &in.bySlot
	// StrSlots terms; this fails to compile if StrSlots changes.
	var _ [4]byte = [StrSlots]byte{}
	return int(uint32(p.lbl[0])*m[0] + uint32(p.lbl[1])*m[1] + uint32(p.lbl[2])*m[2] + uint32(p.lbl[3])*m[3])
}

// SeriesLabels returns the label values of combination i, in the order of
// LabelFields. It allocates; backends call it once per series they create.
func (in *Instrument) SeriesLabels(i int) []string {
	out := make([]string, len(in.labels))
	for j, f := range in.labels {
		out[j] = f.Label.Value(i / int(in.bySlot[f.slot]) % f.Label.Size())
	}
	return out
}

// Applies reports whether the instrument is fed by an event with payload p:
// true unless its If condition does not hold.
func (in *Instrument) Applies(p *Payload) bool {
	return in.cond == nil || p.Bool(in.cond) == in.IfValue
}

// Delta returns what a counter adds for payload p: 1 for a counter with no
// Value, else the field's value. ok is false when the counter is not fed by
// p, or the value is negative, which a counter cannot add (backends count
// it as invalid then: delta < 0).
func (in *Instrument) Delta(p *Payload) (delta int64, ok bool) {
	if !in.Applies(p) {
		return 0, false
	}
	if in.value == nil {
		return 1, true
	}
	delta = p.Int(in.value)
	return delta, delta >= 0
}

// Observation returns what a histogram observes for payload p, in seconds.
// ok is false when the histogram is not fed by p, or when the duration is
// negative: a negative duration is refused, never observed (it would make
// the histogram's sum fall), and backends count it as invalid (seconds < 0).
func (in *Instrument) Observation(p *Payload) (seconds float64, ok bool) {
	if !in.Applies(p) {
		return 0, false
	}
	seconds = p.Seconds(in.value)
	return seconds, seconds >= 0
}

// CheckBuckets reports why bounds cannot be histogram bucket upper bounds:
// they must be non-empty, finite (the +Inf bucket is implicit) and strictly
// increasing. Backends check the buckets their options are given with it.
func CheckBuckets(bounds []float64) error {
	if len(bounds) == 0 {
		return errors.New("no bucket bounds")
	}
	for i, b := range bounds {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return fmt.Errorf("bound %v is not finite (the +Inf bucket is implicit)", b)
		}
		if i > 0 && b <= bounds[i-1] {
			return fmt.Errorf("bounds are not strictly increasing: %v after %v", b, bounds[i-1])
		}
	}
	return nil
}

// resolve checks in against the event d and binds its field names.
func (in *Instrument) resolve(d *Descriptor) error {
	if !fieldNameRE.MatchString(in.Name) || in.Help == "" {
		return errors.New("needs a snake_case name and help text")
	}
	if in.Value != "" {
		f, ok := d.Field(in.Value)
		if !ok {
			return fmt.Errorf("reads field %q, which the event does not have", in.Value)
		}
		in.value = f
	}
	if in.If != "" {
		f, ok := d.Field(in.If)
		if !ok || f.Kind != KindBool {
			return fmt.Errorf("condition %q is not a bool field of the event", in.If)
		}
		in.cond = f
	}
	switch in.Kind {
	case Counter:
		if !strings.HasSuffix(in.Name, "_total") || in.Unit != "" || in.Buckets != nil {
			return errors.New("a counter's name ends in _total and it has no unit or buckets")
		}
		if in.value != nil && in.value.Kind != KindInt {
			return fmt.Errorf("a counter adds an int field, and %q is a %s", in.Value, in.value.Kind)
		}
	case Histogram:
		if in.value == nil || in.value.Kind != KindDuration {
			return fmt.Errorf("a histogram observes a duration field, and %q is not one", in.Value)
		}
		if !strings.HasSuffix(in.Name, "_seconds") {
			return errors.New("a histogram's name ends in _seconds")
		}
		in.Unit = "s"
		if err := CheckBuckets(in.Buckets); err != nil {
			return fmt.Errorf("default buckets: %w", err)
		}
	default:
		return fmt.Errorf("unknown kind %d", in.Kind)
	}
	in.series = 1
	for i, name := range in.Labels {
		f, ok := d.Field(name)
		if !ok || f.Label == nil {
			return fmt.Errorf("label %q is not a label field of the event (tag it label with values= or cap=)", name)
		}
		if slices.Contains(in.Labels[:i], name) {
			return fmt.Errorf("label %q listed twice", name)
		}
		in.labels = append(in.labels, f)
	}
	for j := len(in.labels) - 1; j >= 0; j-- {
		in.bySlot[in.labels[j].slot] = uint32(in.series)
		in.series *= in.labels[j].Label.Size()
		if in.series > MaxSeries {
			return fmt.Errorf("its labels allow more than %d combinations", MaxSeries)
		}
	}
	return nil
}

// sameDeclaration reports whether two instruments of one catalog with one
// name may share a family.
func sameDeclaration(a, b *Instrument) bool {
	return a.Kind == b.Kind && a.Help == b.Help && a.Unit == b.Unit && a.Value == b.Value &&
		a.If == b.If && a.IfValue == b.IfValue && slices.Equal(a.Buckets, b.Buckets) &&
		slices.Equal(a.Labels, b.Labels) && sameLabels(a.labels, b.labels)
}

func sameLabels(a, b []*Field) bool {
	for i := range a {
		x, y := a[i].Label, b[i].Label
		if x.Cap != y.Cap || !slices.Equal(x.Values, y.Values) {
			return false
		}
	}
	return true
}
