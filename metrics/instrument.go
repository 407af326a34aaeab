package metrics

import (
	"errors"
	"fmt"
	"math"
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
// instrument per distinct Name when they are constructed; two events may feed
// the same Name only with identical declarations.
type Instrument struct {
	// Kind is Counter or Histogram.
	Kind InstrumentKind
	// Name is the Prometheus-style name without the backend's prefix, in
	// snake_case with the base unit: "shard_writes_completed_total",
	// "shard_write_duration_seconds". Backends derive their own spelling
	// from it (OTel drops _total and joins with a dot).
	Name string
	// Help describes the metric in one sentence.
	Help string
	// Unit is the UCUM unit: "s" for histograms of durations, "" for counts.
	Unit string
	// Value is the payload key the instrument reads. A counter with no Value
	// counts events (adds 1); a counter with a Value adds that key's whole
	// number; a histogram observes that key's duration in seconds.
	Value Key
	// If, when set, is a boolean payload key; the instrument is fed only when
	// that key equals IfValue (reader_get_misses_total counts Found == false).
	If Key
	// IfValue is the value If must have.
	IfValue bool
	// Buckets are the default histogram upper bounds in seconds, increasing,
	// chosen for the range the observed duration usually spans.
	Buckets []float64
}

// Applies reports whether the instrument is fed by an event with payload p:
// true unless the instrument's If condition does not hold.
func (in *Instrument) Applies(p *Payload) bool {
	if in.If == 0 {
		return true
	}
	return p.Bool(in.If) == in.IfValue
}

// Delta returns what a counter adds for payload p: 1 for a counter with no
// Value key, else the key's whole-number value. ok is false when the counter
// is not fed by p (its If condition fails) or the value is negative, which a
// counter cannot add; backends skip the event then.
func (in *Instrument) Delta(p *Payload) (delta int64, ok bool) {
	if !in.Applies(p) {
		return 0, false
	}
	if in.Value == 0 {
		return 1, true
	}
	delta = p.Int(in.Value)
	return delta, delta >= 0
}

// Observation returns what a histogram observes for payload p, in seconds.
// ok is false when the histogram is not fed by p.
func (in *Instrument) Observation(p *Payload) (seconds float64, ok bool) {
	if !in.Applies(p) {
		return 0, false
	}
	return p.Seconds(in.Value)
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
