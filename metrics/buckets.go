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
// a histogram of catalog cat.
func (o *BucketOverrides) CheckNames(cat *Catalog) error {
	names := make([]string, 0, len(o.byName))
	for name := range o.byName {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if in, ok := cat.Instrument(name); !ok || in.Kind != Histogram {
			return fmt.Errorf("the catalog has no histogram named %q", name)
		}
	}
	return nil
}
