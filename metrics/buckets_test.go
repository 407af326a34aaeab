package metrics_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

func TestBucketOverrides(t *testing.T) {
	hist, ok := shardyfusion.Catalog.Instrument("shard_write_duration_seconds")
	if !ok {
		t.Fatal("no shard_write_duration_seconds")
	}
	var o metrics.BucketOverrides
	if got := o.For(hist); !slices.Equal(got, hist.Buckets) {
		t.Errorf("zero overrides give %v, want the catalog's %v", got, hist.Buckets)
	}
	all := []float64{1, 2}
	if err := o.SetAll(all); err != nil {
		t.Fatal(err)
	}
	all[0] = 99 // Set copies
	if got := o.For(hist); !slices.Equal(got, []float64{1, 2}) {
		t.Errorf("SetAll gives %v", got)
	}
	if err := o.Set(hist.Name, []float64{0.5}); err != nil {
		t.Fatal(err)
	}
	if got := o.For(hist); !slices.Equal(got, []float64{0.5}) {
		t.Errorf("Set gives %v, want it to win over SetAll", got)
	}
	if err := o.CheckNames(shardyfusion.Catalog); err != nil {
		t.Errorf("CheckNames on a catalog histogram: %v", err)
	}
	for _, bad := range [][]float64{nil, {2, 1}, {1, 1}} {
		if err := o.Set(hist.Name, bad); err == nil {
			t.Errorf("Set accepted %v", bad)
		}
	}
	if err := o.Set("shard_writes_completed_total", []float64{1}); err != nil {
		t.Fatal(err)
	}
	if err := o.CheckNames(shardyfusion.Catalog); err == nil || !strings.Contains(err.Error(), "shard_writes_completed_total") {
		t.Errorf("CheckNames accepted a counter's name: %v", err)
	}
}
