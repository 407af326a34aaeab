package prom

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// counter is prom's own prometheus.Counter for an unlabeled family (see
// docs/design/prom-own-metrics.md): one atomic integer, since every count
// a catalog adds is a whole number. Write reports it as client_golang's
// counters do, with the time it was created.
type counter struct {
	desc    *prometheus.Desc
	val     atomic.Uint64
	created time.Time
}

func newCounter(opts prometheus.CounterOpts) *counter {
	return &counter{desc: prometheus.NewDesc(opts.Name, opts.Help, nil, opts.ConstLabels), created: time.Now()}
}

// Inc adds 1.
func (c *counter) Inc() { c.val.Add(1) }

// Add adds v, a whole number that is not negative (prom's Emit adds
// nothing else); a fractional part is dropped, and a negative or NaN v is
// ignored, as a counter cannot go down.
func (c *counter) Add(v float64) {
	if v >= 0 {
		c.val.Add(uint64(v))
	}
}

// Desc returns the counter's descriptor.
func (c *counter) Desc() *prometheus.Desc { return c.desc }

// Write writes the counter's value and creation time to m.
func (c *counter) Write(m *dto.Metric) error {
	return prometheus.MustNewConstMetricWithCreatedTimestamp(c.desc, prometheus.CounterValue,
		float64(c.val.Load()), c.created).Write(m)
}

// Describe sends the counter's descriptor.
func (c *counter) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends the counter.
func (c *counter) Collect(ch chan<- prometheus.Metric) { ch <- c }

// histogram is prom's own prometheus.Histogram with classic buckets for an
// unlabeled family: one atomic count per bucket and an atomic sum. Write
// derives the total count from the buckets, so that it always equals the
// +Inf bucket; a scrape racing an Observe may see that observation in the
// counts but not yet in the sum, or the reverse.
type histogram struct {
	desc    *prometheus.Desc
	upper   []float64       // the bucket upper bounds, increasing, +Inf not included
	counts  []atomic.Uint64 // per bucket, not cumulative; the last for +Inf
	sum     atomic.Uint64   // math.Float64bits of the sum
	created time.Time
	// exemplars holds the last exemplar of each bucket, the last for +Inf.
	exemplars []exemplarSlot
}

// exemplarSlot is one bucket's last exemplar: the observed value, the span
// it was observed in and when, in atomic words under a sequence number
// (odd while a writer fills it), so that recording one allocates nothing
// and a scrape reads a consistent one.
type exemplarSlot struct {
	seq                    atomic.Uint64
	value, nanos           atomic.Uint64
	trace0, trace1, spanID atomic.Uint64
}

// store records an exemplar, unless another goroutine is recording one in
// the same bucket at this instant (the bucket keeps one or the other).
func (e *exemplarSlot) store(v float64, sc trace.SpanContext, now time.Time) {
	seq := e.seq.Load()
	if seq&1 == 1 || !e.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	t, s := sc.TraceID(), sc.SpanID()
	e.value.Store(math.Float64bits(v))
	e.nanos.Store(uint64(now.UnixNano()))
	e.trace0.Store(binary.BigEndian.Uint64(t[:8]))
	e.trace1.Store(binary.BigEndian.Uint64(t[8:]))
	e.spanID.Store(binary.BigEndian.Uint64(s[:]))
	e.seq.Store(seq + 2)
}

// load returns the slot's exemplar, and false when it has none.
func (e *exemplarSlot) load() (*dto.Exemplar, bool) {
	for range 4 {
		seq := e.seq.Load()
		if seq == 0 {
			return nil, false
		}
		if seq&1 == 1 {
			continue
		}
		v, nanos := e.value.Load(), e.nanos.Load()
		var t [16]byte
		var s [8]byte
		binary.BigEndian.PutUint64(t[:8], e.trace0.Load())
		binary.BigEndian.PutUint64(t[8:], e.trace1.Load())
		binary.BigEndian.PutUint64(s[:], e.spanID.Load())
		if e.seq.Load() != seq {
			continue
		}
		return &dto.Exemplar{
			Label: []*dto.LabelPair{
				{Name: proto.String("span_id"), Value: proto.String(hex.EncodeToString(s[:]))},
				{Name: proto.String("trace_id"), Value: proto.String(hex.EncodeToString(t[:]))},
			},
			Value:     proto.Float64(math.Float64frombits(v)),
			Timestamp: timestamppb.New(time.Unix(0, int64(nanos))),
		}, true
	}
	return nil, false
}

func newHistogram(opts prometheus.HistogramOpts) *histogram {
	upper := opts.Buckets
	if len(upper) == 0 {
		upper = prometheus.DefBuckets // as client_golang does
	}
	if n := len(upper); n > 0 && math.IsInf(upper[n-1], 1) {
		upper = upper[:n-1]
	}
	return &histogram{
		desc:    prometheus.NewDesc(opts.Name, opts.Help, nil, opts.ConstLabels),
		upper:   upper,
		counts:  make([]atomic.Uint64, len(upper)+1),
		created: time.Now(),

		exemplars: make([]exemplarSlot, len(upper)+1),
	}
}

// linearBuckets is the number of bounds up to which Observe scans them in
// order rather than searching: a scan of a few bounds is faster.
const linearBuckets = 35

// ObserveInSpan is Observe made in the span sc: the bucket keeps v as its
// exemplar, labeled with sc's trace_id and span_id (exported over
// OpenMetrics only, as client_golang does).
func (h *histogram) ObserveInSpan(v float64, sc trace.SpanContext) {
	h.Observe(v)
	// The bucket Observe chose: the first whose bound is v or more.
	h.exemplars[sort.SearchFloat64s(h.upper, v)].store(v, sc, time.Now())
}

// Observe adds v to its bucket, the first whose upper bound is v or more,
// and to the sum.
func (h *histogram) Observe(v float64) {
	i := len(h.upper)
	if i <= linearBuckets {
		for j, u := range h.upper {
			if v <= u {
				i = j
				break
			}
		}
	} else {
		i = sort.SearchFloat64s(h.upper, v)
	}
	h.counts[i].Add(1)
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// Desc returns the histogram's descriptor.
func (h *histogram) Desc() *prometheus.Desc { return h.desc }

// Write writes the histogram's cumulative buckets, count, sum, creation
// time and exemplars to m. The +Inf bucket is written explicitly only when
// it holds an exemplar, as client_golang does.
func (h *histogram) Write(m *dto.Metric) error {
	buckets := make(map[float64]uint64, len(h.upper))
	var count uint64
	for i, u := range h.upper {
		count += h.counts[i].Load()
		buckets[u] = count
	}
	count += h.counts[len(h.upper)].Load()
	if err := prometheus.MustNewConstHistogramWithCreatedTimestamp(h.desc, count,
		math.Float64frombits(h.sum.Load()), buckets, h.created).Write(m); err != nil {
		return err
	}
	for i, b := range m.Histogram.Bucket {
		if i < len(h.upper) {
			if e, ok := h.exemplars[i].load(); ok {
				b.Exemplar = e
			}
		}
	}
	if e, ok := h.exemplars[len(h.upper)].load(); ok {
		m.Histogram.Bucket = append(m.Histogram.Bucket, &dto.Bucket{
			CumulativeCount: proto.Uint64(count), UpperBound: proto.Float64(math.Inf(1)), Exemplar: e})
	}
	return nil
}

// Describe sends the histogram's descriptor.
func (h *histogram) Describe(ch chan<- *prometheus.Desc) { ch <- h.desc }

// Collect sends the histogram.
func (h *histogram) Collect(ch chan<- prometheus.Metric) { ch <- h }

var (
	_ prometheus.Counter   = (*counter)(nil)
	_ prometheus.Histogram = (*histogram)(nil)
)
