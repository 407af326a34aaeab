package prom

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// written returns what m writes, without its created timestamp (the two
// implementations are created at different instants).
func written(t *testing.T, m prometheus.Metric) *dto.Metric {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != nil {
		if out.Counter.CreatedTimestamp == nil {
			t.Error("the counter has no created timestamp")
		}
		out.Counter.CreatedTimestamp = nil
	}
	if out.Histogram != nil {
		if out.Histogram.CreatedTimestamp == nil {
			t.Error("the histogram has no created timestamp")
		}
		out.Histogram.CreatedTimestamp = nil
	}
	return &out
}

// TestOwnMetricsExposeWhatClientGolangDid feeds prom's own counter and
// histogram and client_golang's the same values, and requires the same
// metric from both: value, count, sum, every cumulative bucket and the
// const labels, through Write and through a registry's text exposition.
func TestOwnMetricsExposeWhatClientGolangDid(t *testing.T) {
	constLabels := prometheus.Labels{"shard_set": "a"}
	cOpts := prometheus.CounterOpts{Name: "test_things_total", Help: "Things.", ConstLabels: constLabels}
	hOpts := prometheus.HistogramOpts{Name: "test_thing_seconds", Help: "Thing time.", ConstLabels: constLabels,
		Buckets: []float64{0.001, 0.01, 0.1, 1, 10}}
	ours, theirs := newCounter(cOpts), prometheus.NewCounter(cOpts)
	ourH, theirH := newHistogram(hOpts), prometheus.NewHistogram(hOpts)
	// Values on the bounds (le counts them in), between, below the first,
	// above the last, and zero.
	values := []float64{0, 0.0005, 0.001, 0.005, 0.01, 0.1, 0.5, 1, 1.5, 10, 11, 1e9}
	for i, v := range values {
		ours.Inc()
		theirs.Inc()
		ours.Add(float64(i * 1000))
		theirs.Add(float64(i * 1000))
		ourH.Observe(v)
		theirH.Observe(v)
	}
	for _, pair := range []struct {
		name         string
		ours, theirs prometheus.Metric
	}{{"counter", ours, theirs}, {"histogram", ourH, theirH}} {
		if got, want := written(t, pair.ours), written(t, pair.theirs); !proto.Equal(got, want) {
			t.Errorf("%s: prom writes\n%v\nclient_golang writes\n%v", pair.name, got, want)
		}
		if pair.ours.Desc().String() != pair.theirs.Desc().String() {
			t.Errorf("%s: descriptor %v, want %v", pair.name, pair.ours.Desc(), pair.theirs.Desc())
		}
	}
	ourReg, theirReg := prometheus.NewRegistry(), prometheus.NewRegistry()
	ourReg.MustRegister(ours, ourH)
	theirReg.MustRegister(theirs, theirH)
	want, err := testutil.CollectAndFormat(theirReg, expfmt.TypeTextPlain, "test_things_total", "test_thing_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(ourReg, strings.NewReader(string(want))); err != nil {
		t.Error(err)
	}
}

// TestOwnHistogramCountIsTheInfBucket: under concurrent Observes, every
// Write has a count equal to its +Inf bucket and buckets that never fall;
// at the end the count and sum are exact.
func TestOwnHistogramCountIsTheInfBucket(t *testing.T) {
	h := newHistogram(prometheus.HistogramOpts{Name: "race_seconds", Help: "h.", Buckets: []float64{0.5, 1, 2}})
	const goroutines, each = 4, 5000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h.Observe(float64((g+i)%4) * 0.75) // 0, 0.75, 1.5, 2.25
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for stop := false; !stop; {
		select {
		case <-done:
			stop = true
		default:
		}
		var m dto.Metric
		if err := h.Write(&m); err != nil {
			t.Fatal(err)
		}
		prev := uint64(0)
		for _, b := range m.Histogram.Bucket {
			if b.GetCumulativeCount() < prev {
				t.Fatalf("cumulative buckets fall: %v", m.Histogram.Bucket)
			}
			prev = b.GetCumulativeCount()
		}
		if m.Histogram.GetSampleCount() < prev {
			t.Fatalf("count %d below the last bucket %d", m.Histogram.GetSampleCount(), prev)
		}
	}
	var m dto.Metric
	_ = h.Write(&m)
	if n := m.Histogram.GetSampleCount(); n != goroutines*each {
		t.Errorf("count = %d, want %d", n, goroutines*each)
	}
	if s, want := m.Histogram.GetSampleSum(), float64(goroutines*each)/4*(0+0.75+1.5+2.25); math.Abs(s-want) > 1e-6 {
		t.Errorf("sum = %v, want %v", s, want)
	}
}
