package metrics

import (
	"fmt"
	"slices"
)

// BucketOverrides holds the histogram bucket bounds a backend's options set
// in place of the catalog's defaults: bounds for every histogram, and bounds
// for one histogram by name. The zero value overrides nothing. Backends keep
// one in their configuration and read it through For.
type BucketOverrides struct {
	all    []float64
	byName map[string][]float64
}

// Set overrides the bounds of the histogram named name (its catalog name,
// such as "shard_write_duration_seconds"), whatever SetAll says. Set twice
// for one name, the last wins. It returns CheckBuckets's error for invalid
// bounds; CheckNames reports a name the catalog does not have.
func (o *BucketOverrides) Set(name string, bounds []float64) error {
	if err := CheckBuckets(bounds); err != nil {
		return err
	}
	if o.byName == nil {
		o.byName = map[string][]float64{}
	}
	o.byName[name] = slices.Clone(bounds)
	return nil
}

// SetAll overrides the bounds of every histogram that Set does not name.
func (o *BucketOverrides) SetAll(bounds []float64) error {
	if err := CheckBuckets(bounds); err != nil {
		return err
	}
	o.all = slices.Clone(bounds)
	return nil
}

// For returns the bounds histogram in uses: those Set for its name, else
// those of SetAll, else the catalog's Instrument.Buckets. The slice is
// shared; callers that keep it must clone it.
func (o *BucketOverrides) For(in *Instrument) []float64 {
	if bs, ok := o.byName[in.Name]; ok {
		return bs
	}
	if o.all != nil {
		return o.all
	}
	return in.Buckets
}

// CheckNames returns an error naming the first name given to Set that is not
// a histogram of any of the catalogs cats. A name that two catalogs share
// sets the bounds of both.
func (o *BucketOverrides) CheckNames(cats ...*Catalog) error {
	names := make([]string, 0, len(o.byName))
	for name := range o.byName {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		found := false
		for _, cat := range cats {
			if in, ok := cat.Instrument(name); ok && in.Kind == Histogram {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("no catalog carried (%s) has a histogram named %q", namespaces(cats), name)
		}
	}
	return nil
}

// namespaces lists the catalogs' namespaces, comma-separated.
func namespaces(cats []*Catalog) string {
	var b []byte
	for i, c := range cats {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, c.namespace...)
	}
	return string(b)
}

// Default histogram bucket upper bounds, in seconds, one set per range of
// durations a pipeline observes, for any catalog's Hist instruments.
var (
	// BucketsLookup spans a point read: 100 µs to 2.5 s.
	BucketsLookup = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	// BucketsStep spans one step of a run (a shard, a phase): 10 ms to 10 min.
	BucketsStep = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
	// BucketsRun spans a whole run or phase: 100 ms to 2 h.
	BucketsRun = []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
	// BucketsWait spans a backoff, retry delay or throttle wait: 1 ms to 2 min.
	BucketsWait = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
)
