package prom_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// newCollector builds a collector on a fresh registry.
func newCollector(t testing.TB, opts ...prom.Option) (*prom.Collector, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	c, err := prom.New(append([]prom.Option{prom.WithRegisterer(reg)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, reg
}

// samples gathers g into a map from sample name (with labels) to value:
// counters as they are, histograms as _count, _sum and one _bucket per bound.
func samples(t testing.TB, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			labels := labelString(m.Label)
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[mf.GetName()+wrap(labels)] = m.Counter.GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.Histogram
				out[mf.GetName()+"_count"+wrap(labels)] = float64(h.GetSampleCount())
				out[mf.GetName()+"_sum"+wrap(labels)] = h.GetSampleSum()
				for _, b := range h.Bucket {
					le := `le="` + strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64) + `"`
					if labels != "" {
						le = labels + "," + le
					}
					out[mf.GetName()+"_bucket"+wrap(le)] = float64(b.GetCumulativeCount())
				}
				out[mf.GetName()+"_bucket"+wrap(join(labels, `le="+Inf"`))] = float64(h.GetSampleCount())
			default:
				t.Fatalf("unexpected %v family %s", mf.GetType(), mf.GetName())
			}
		}
	}
	return out
}

func labelString(lps []*dto.LabelPair) string {
	parts := make([]string, 0, len(lps))
	for _, lp := range lps {
		parts = append(parts, lp.GetName()+"="+strconv.Quote(lp.GetValue()))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

func wrap(labels string) string {
	if labels == "" {
		return ""
	}
	return "{" + labels + "}"
}

// diff returns the samples whose value changed from before to after (a
// sample that appeared counts from 0).
func diff(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out[k+" (gone)"] = math.NaN()
		}
	}
	return out
}

// change declares what one emission should do to one instrument: a counter
// adds Add, a histogram observes Observe seconds.
type change struct {
	name    string
	add     float64
	observe float64
	hist    bool
}

func inc(name string, n float64) change { return change{name: name, add: n} }
func obs(name string, seconds float64) change {
	return change{name: name, observe: seconds, hist: true}
}

// expected turns changes into sample deltas, using the histogram bounds in
// defaults.
func expected(t *testing.T, prefix string, changes []change) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, ch := range changes {
		name := prefix + ch.name
		if !ch.hist {
			out[name] = ch.add
			continue
		}
		out[name+"_count"] = 1
		if ch.observe != 0 {
			out[name+"_sum"] = ch.observe
		}
		in, ok := shardyfusion.Catalog.Instrument(ch.name)
		if !ok || in.Kind != metrics.Histogram {
			t.Fatalf("no histogram %s in the built-in catalog", ch.name)
		}
		bounds := in.Buckets
		for _, b := range bounds {
			if ch.observe <= b {
				out[name+`_bucket{le="`+strconv.FormatFloat(b, 'g', -1, 64)+`"}`] = 1
			}
		}
		out[name+`_bucket{le="+Inf"}`] = 1
	}
	return out
}

// fullPayloadChanges is what each built-in event does to the metrics when
// emitted with collectortest.FullPayload: every duration 1.5 s, every
// integer 3, every boolean true, every string "x". Written out by hand from the design's table, so
// that a change to a name, type or meaning fails here.
var fullPayloadChanges = map[string][]change{
	"write.started":            {inc("writes_started_total", 1)},
	"write.sharding_completed": {obs("sharding_duration_seconds", 1.5)},
	"write.shard.started":      {inc("shard_writes_started_total", 1)},
	"write.sharding_progress":  {inc("rows_sharded_total", 3)},
	"write.shard.completed": {
		inc("shard_writes_completed_total", 1),
		obs("shard_write_duration_seconds", 1.5),
		inc("shard_rows_written_total", 3),
	},
	"write.shards_completed": {obs("shard_writes_phase_duration_seconds", 1.5)},
	"write.batch_written": {
		inc("batches_written_total", 1),
		inc("batch_rows_total", 3),
	},
	"write.manifest_published": {inc("manifests_published_total", 1)},
	"write.current_published":  {inc("current_published_total", 1)},
	"write.completed": {
		inc("writes_completed_total", 1),
		obs("write_duration_seconds", 1.5), // elapsed_ms 1500 → 1.5 s
		inc("rows_written_total", 3),
	},
	"reader.initialized": {inc("reader_initialized_total", 1)},
	"reader.get": { // Found is true: no miss
		inc("reader_gets_total", 1),
		obs("reader_get_duration_seconds", 1.5),
	},
	"reader.multi_get": {
		inc("reader_multi_gets_total", 1),
		obs("reader_multi_get_duration_seconds", 1.5),
		inc("reader_multi_get_keys_total", 3),
	},
	"reader.refreshed": { // Changed is true
		inc("reader_refreshes_total", 1),
		inc("reader_snapshot_changes_total", 1),
	},
	"reader.closed": {inc("reader_closed_total", 1)},
	"write.shard.retried": {
		inc("shard_write_retries_total", 1),
		obs("shard_write_backoff_seconds", 1.5),
	},
	"write.shard.retry_exhausted": {inc("shard_write_retries_exhausted_total", 1)},
	"s3.retry": {
		inc("s3_retries_total", 1),
		obs("s3_retry_delay_seconds", 1.5),
	},
	"s3.retry_exhausted": {inc("s3_retries_exhausted_total", 1)},
	"rate_limiter.throttled": {
		inc("rate_limiter_throttled_total", 1),
		obs("rate_limiter_wait_seconds", 1.5),
	},
	"rate_limiter.denied": {inc("rate_limiter_denied_total", 1)},
	"write.failed":        {inc(`writes_failed_total{error_type="x"}`, 1)},
}

// emitDiff emits ev with p on a fresh collector and returns the samples that
// changed.
func emitDiff(t *testing.T, ev metrics.Event, p metrics.Payload, opts ...prom.Option) map[string]float64 {
	t.Helper()
	c, reg := newCollector(t, opts...)
	before := samples(t, reg)
	c.Emit(context.Background(), ev, p)
	return diff(before, samples(t, reg))
}

// emitTyped emits v on a fresh collector and returns the samples that
// changed.
func emitTyped[T any](t *testing.T, v T, opts ...prom.Option) map[string]float64 {
	t.Helper()
	c, reg := newCollector(t, opts...)
	before := samples(t, reg)
	metrics.Emit(context.Background(), c, v)
	return diff(before, samples(t, reg))
}

func compare(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s did not change, want +%v", k, w)
		} else if math.Abs(g-w) > 1e-12 {
			t.Errorf("%s changed by %v, want %v", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s changed by %v, want no change", k, g)
		}
	}
}

func TestEveryEventFullPayload(t *testing.T) {
	ds := shardyfusion.Catalog.Descriptors()
	for _, d := range ds {
		t.Run(d.Wire, func(t *testing.T) {
			changes, ok := fullPayloadChanges[d.Wire]
			if !ok {
				t.Fatalf("the test does not know event %v; add it to fullPayloadChanges", d.Wire)
			}
			got := emitDiff(t, d.Event, collectortest.FullPayload(d))
			compare(t, got, expected(t, shardyfusion.Catalog.PromPrefix(), changes))
		})
	}
	if len(fullPayloadChanges) != len(ds) {
		t.Errorf("fullPayloadChanges has %d events, the catalog %d", len(fullPayloadChanges), len(ds))
	}
}

func TestFifteenOriginalInstruments(t *testing.T) {
	_, reg := newCollector(t)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]dto.MetricType{}
	for _, mf := range mfs {
		types[mf.GetName()] = mf.GetType()
		if mf.GetHelp() == "" {
			t.Errorf("%s has no HELP", mf.GetName())
		}
	}
	counter, hist := dto.MetricType_COUNTER, dto.MetricType_HISTOGRAM
	for name, want := range map[string]dto.MetricType{
		"writes_started_total": counter, "writes_completed_total": counter,
		"write_duration_seconds": hist, "shard_writes_completed_total": counter,
		"shard_write_duration_seconds": hist, "batches_written_total": counter,
		"reader_gets_total": counter, "reader_get_duration_seconds": hist,
		"reader_multi_gets_total": counter, "reader_multi_get_duration_seconds": hist,
		"s3_retries_total": counter, "s3_retries_exhausted_total": counter,
		"rate_limiter_throttled_total": counter, "rate_limiter_wait_seconds": hist,
		"rate_limiter_denied_total": counter,
	} {
		got, ok := types["shardyfusion_"+name]
		if !ok {
			t.Errorf("shardyfusion_%s is missing", name)
		} else if got != want {
			t.Errorf("shardyfusion_%s is a %v, want %v", name, got, want)
		}
	}
}

func TestMillisecondsBecomeSeconds(t *testing.T) {
	got := emitTyped(t, shardyfusion.ShardWriteCompleted{Duration: 1500 * time.Millisecond, Rows: 7})
	compare(t, got, expected(t, shardyfusion.Catalog.PromPrefix(), []change{
		inc("shard_writes_completed_total", 1),
		obs("shard_write_duration_seconds", 1.5),
		inc("shard_rows_written_total", 7),
	}))
}

func TestConditionalCounters(t *testing.T) {
	miss := emitTyped(t, shardyfusion.ReaderGet{Duration: 2 * time.Millisecond, Found: false})
	compare(t, miss, expected(t, shardyfusion.Catalog.PromPrefix(), []change{
		inc("reader_gets_total", 1),
		obs("reader_get_duration_seconds", 0.002),
		inc("reader_get_misses_total", 1),
	}))
	hit := emitTyped(t, shardyfusion.ReaderGet{Duration: 2 * time.Millisecond, Found: true})
	compare(t, hit, expected(t, shardyfusion.Catalog.PromPrefix(), []change{
		inc("reader_gets_total", 1),
		obs("reader_get_duration_seconds", 0.002),
	}))

	changed := emitTyped(t, shardyfusion.ReaderRefreshed{Changed: true})
	compare(t, changed, expected(t, shardyfusion.Catalog.PromPrefix(), []change{
		inc("reader_refreshes_total", 1),
		inc("reader_snapshot_changes_total", 1),
	}))
	same := emitTyped(t, shardyfusion.ReaderRefreshed{Changed: false})
	compare(t, same, expected(t, shardyfusion.Catalog.PromPrefix(), []change{
		inc("reader_refreshes_total", 1),
	}))
}

// A negative duration is refused, never observed (it would make _sum fall),
// and counted like a negative count.
func TestNegativeDurationIsRefused(t *testing.T) {
	c, _ := newCollector(t)
	metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Duration: -3 * time.Second, Found: true})
	if c.Invalid() != 1 {
		t.Errorf("Invalid() = %d, want 1", c.Invalid())
	}
	got := emitTyped(t, shardyfusion.ReaderGet{Duration: -3 * time.Second, Found: true})
	compare(t, got, expected(t, shardyfusion.Catalog.PromPrefix(), []change{
		inc("reader_gets_total", 1),
	}))
}

func TestNegativeCountIsCountedNotAdded(t *testing.T) {
	got := emitTyped(t, shardyfusion.ShardWriteCompleted{Duration: time.Second, Rows: -5})
	compare(t, got, expected(t, shardyfusion.Catalog.PromPrefix(), []change{
		inc("shard_writes_completed_total", 1),
		obs("shard_write_duration_seconds", 1),
	}))
}

func TestUnknownEventsIgnored(t *testing.T) {
	c, reg := newCollector(t, prom.WithCatalog(shardyfusion.Catalog))
	before := samples(t, reg)
	full := collectortest.FullPayload(shardyfusion.Catalog.Descriptors()[3])
	for _, ev := range append(slices.Clone(collectortest.Unknown), metrics.Event(len(metrics.Events())+1)) {
		c.Emit(context.Background(), ev, full)
	}
	// An event of another catalog is not this collector's.
	c.Emit(context.Background(), collectortest.SampleEvent.Event(), collectortest.FullPayload(collectortest.SampleEvent.Descriptor()))
	if d := diff(before, samples(t, reg)); len(d) != 0 {
		t.Errorf("unknown events changed %v", d)
	}
	ignored := map[string]float64{}
	for _, v := range c.Health() {
		if v.Family == metrics.FamilyIgnored {
			ignored[v.Labels[1]] = v.Value
		}
	}
	if want := float64(len(collectortest.Unknown) + 1); ignored["undeclared"] != want || ignored["other_catalog"] != 1 {
		t.Errorf("ignored by reason %v, want %v undeclared and 1 other_catalog", ignored, want)
	}
	var zero prom.Collector
	metrics.Emit(context.Background(), &zero, shardyfusion.WriteStarted{})
	var nilc *prom.Collector
	metrics.Emit(context.Background(), nilc, shardyfusion.WriteStarted{})
}

func TestEmitAllocatesNothing(t *testing.T) {
	c, _ := newCollector(t, prom.WithNativeHistograms(1.1))
	ctx := context.Background()
	for _, d := range shardyfusion.Catalog.Descriptors() {
		p := collectortest.FullPayload(d)
		c.Emit(ctx, d.Event, p) // creates a labeled series once
		if n := testing.AllocsPerRun(200, func() { c.Emit(ctx, d.Event, p) }); n != 0 {
			t.Errorf("Emit(%v) allocates %v times", d.Wire, n)
		}
	}
}

func TestCollectorContract(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector {
		c, _ := newCollector(t)
		return c
	})
	t.Run("collectortest.Catalog", func(t *testing.T) {
		collectortest.Run(t, func() metrics.Collector {
			c, _ := newCollector(t, prom.WithCatalog(collectortest.Catalog))
			return c
		})
	})
}

// exposition returns what promhttp serves for reg in the text format.
func exposition(t *testing.T, reg *prometheus.Registry) []byte {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want the text format", ct)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestLint(t *testing.T) {
	c, reg := newCollector(t, prom.WithConstLabels(prometheus.Labels{"service": "shardkv"}))
	for _, d := range metrics.Descriptors() {
		c.Emit(context.Background(), d.Event, collectortest.FullPayload(d))
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) < 30 {
		t.Errorf("only %d families gathered", len(families))
	}
}

func TestPromtoolCheckMetrics(t *testing.T) {
	promserver.RequirePromtool(t)
	for _, opts := range [][]prom.Option{
		nil,
		{prom.WithConstLabels(prometheus.Labels{"service": "shardkv"}), prom.WithNativeHistograms(1.1)},
	} {
		c, reg := newCollector(t, opts...)
		for _, d := range metrics.Descriptors() {
			c.Emit(context.Background(), d.Event, collectortest.FullPayload(d))
		}
		text := exposition(t, reg)
		if !strings.Contains(string(text), "shardyfusion_writes_started_total") ||
			!strings.Contains(string(text), "shardyfusion_write_duration_seconds_bucket") {
			t.Errorf("exposition lacks the catalog's families:\n%s", text)
		}
		promserver.CheckMetrics(t, text)
	}
}

func TestSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := prom.New(prom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	b, err := prom.New(prom.WithRegisterer(reg))
	if err != nil {
		t.Fatalf("second New on one registry: %v", err)
	}
	for range 3 {
		metrics.Emit(context.Background(), a, shardyfusion.ShardWriteCompleted{Duration: time.Second})
	}
	for range 4 {
		metrics.Emit(context.Background(), b, shardyfusion.ShardWriteCompleted{Duration: time.Second})
	}
	s := samples(t, reg)
	if got := s["shardyfusion_shard_writes_completed_total"]; got != 7 {
		t.Errorf("shared counter = %v, want 7", got)
	}
	if got := s["shardyfusion_shard_write_duration_seconds_sum"]; got != 7 {
		t.Errorf("shared histogram sum = %v, want 7", got)
	}

	// Const labels with other names than the shared families' cannot
	// join them: Prometheus wants one set of label names per name.
	if _, err := prom.New(prom.WithRegisterer(reg), prom.WithConstLabels(prometheus.Labels{"shard_set": "b"})); err == nil ||
		!strings.Contains(err.Error(), "label names") {
		t.Errorf("New with other const label names on a shared registry: %v", err)
	}

	// Another const label value makes other series beside the first ones.
	reg2 := prometheus.NewRegistry()
	var cs []*prom.Collector
	for _, set := range []string{"a", "b"} {
		c, err := prom.New(prom.WithRegisterer(reg2), prom.WithConstLabels(prometheus.Labels{"shard_set": set}))
		if err != nil {
			t.Fatalf("New with shard_set=%s: %v", set, err)
		}
		cs = append(cs, c)
	}
	metrics.Emit(context.Background(), cs[0], shardyfusion.WriteStarted{})
	metrics.Emit(context.Background(), cs[1], shardyfusion.WriteStarted{})
	metrics.Emit(context.Background(), cs[1], shardyfusion.WriteStarted{})
	s = samples(t, reg2)
	if a, b := s[`shardyfusion_writes_started_total{shard_set="a"}`], s[`shardyfusion_writes_started_total{shard_set="b"}`]; a != 1 || b != 2 {
		t.Errorf("labelled series: a = %v, b = %v; want 1 and 2", a, b)
	}

	// Another prefix makes other families.
	if _, err := prom.New(prom.WithRegisterer(reg), prom.WithPrefix("other_"), prom.WithCatalog(shardyfusion.Catalog)); err != nil {
		t.Fatalf("New with another prefix: %v", err)
	}
}

func TestConflictingRegistration(t *testing.T) {
	cases := []struct {
		name    string
		taken   prometheus.Collector
		opts    []prom.Option
		wantErr []string
	}{
		{
			name: "gauge",
			taken: prometheus.NewGauge(prometheus.GaugeOpts{
				Name: "shardyfusion_reader_gets_total", Help: "Single-key lookups.",
			}),
			wantErr: []string{"shardyfusion_reader_gets_total", "gauge"},
		},
		{
			name: "summary",
			taken: prometheus.NewSummary(prometheus.SummaryOpts{
				Name: "shardyfusion_rate_limiter_wait_seconds", Help: "Time a request waited for the rate limiter, in seconds.",
			}),
			wantErr: []string{"shardyfusion_rate_limiter_wait_seconds", "summary"},
		},
		{
			name: "help",
			taken: prometheus.NewCounter(prometheus.CounterOpts{
				Name: "shardyfusion_s3_retries_total", Help: "Something else.",
			}),
			wantErr: []string{"shardyfusion_s3_retries_total", "help"},
		},
		{
			name: "labels",
			taken: func() prometheus.Collector {
				v := prometheus.NewCounterVec(prometheus.CounterOpts{
					Name: "shardyfusion_reader_closed_total", Help: "Readers closed.",
				}, []string{"db_id"})
				v.WithLabelValues("1").Inc()
				return v
			}(),
			wantErr: []string{"shardyfusion_reader_closed_total", "label"},
		},
		{
			name: "buckets",
			taken: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name: "shardyfusion_reader_get_duration_seconds", Help: "Time of a single-key lookup, in seconds.",
				Buckets: []float64{1, 2},
			}),
			wantErr: []string{"shardyfusion_reader_get_duration_seconds", "buckets"},
		},
		{
			name: "native",
			taken: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name: "shardyfusion_reader_get_duration_seconds", Help: "Time of a single-key lookup, in seconds.",
				Buckets: metrics.BucketsLookup, // the built-in reader_get_duration_seconds's
			}),
			opts:    []prom.Option{prom.WithNativeHistograms(1.1)},
			wantErr: []string{"shardyfusion_reader_get_duration_seconds", "native"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(tc.taken)
			c, err := prom.New(append([]prom.Option{prom.WithRegisterer(reg)}, tc.opts...)...)
			if err == nil {
				t.Fatal("New succeeded on a registry where a name is taken")
			}
			if c != nil {
				t.Error("New returned a collector with its error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			// New rolled back: only the taken family is left.
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			if len(mfs) != 1 {
				names := []string{}
				for _, mf := range mfs {
					names = append(names, mf.GetName())
				}
				t.Errorf("after a failed New the registry holds %v, want only the taken family", names)
			}
			// With another prefix the same registry is fine.
			if _, err := prom.New(prom.WithRegisterer(reg), prom.WithPrefix("app_"), prom.WithCatalog(shardyfusion.Catalog)); err != nil {
				t.Errorf("New with another prefix: %v", err)
			}
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	cases := []struct {
		opt  prom.Option
		want string
	}{
		{prom.WithRegisterer(nil), "WithRegisterer"},
		{prom.WithPrefix("1abc_"), "WithPrefix"},
		{prom.WithPrefix("my-app_"), "WithPrefix"},
		{prom.WithPrefix("app:"), "WithPrefix"},
		{prom.WithPrefix("__app_"), "WithPrefix"},
		{prom.WithConstLabels(prometheus.Labels{"bad-name": "x"}), "WithConstLabels"},
		{prom.WithConstLabels(prometheus.Labels{"__reserved": "x"}), "WithConstLabels"},
		{prom.WithConstLabels(prometheus.Labels{"le": "x"}), "WithConstLabels"},
		{prom.WithConstLabels(prometheus.Labels{"": "x"}), "WithConstLabels"},
		{prom.WithConstLabels(prometheus.Labels{"ok": "\xff"}), "WithConstLabels"},
		{prom.WithBuckets("shard_write_duration_seconds"), "WithBuckets"},
		{prom.WithBuckets("shard_write_duration_seconds", 1, 1), "WithBuckets"},
		{prom.WithBuckets("shard_write_duration_seconds", 2, 1), "WithBuckets"},
		{prom.WithBuckets("shard_write_duration_seconds", 1, math.NaN()), "WithBuckets"},
		{prom.WithBuckets("shard_write_duration_seconds", 1, math.Inf(1)), "WithBuckets"},
		{prom.WithBuckets("no_such_seconds", 1, 2), "WithBuckets"},
		{prom.WithBuckets("shard_writes_completed_total", 1, 2), "WithBuckets"}, // a counter
		{prom.WithAllBuckets(), "WithAllBuckets"},
		{prom.WithAllBuckets(0.5, 0.1), "WithAllBuckets"},
		{prom.WithNativeHistograms(1), "WithNativeHistograms"},
		{prom.WithNativeHistograms(0.5), "WithNativeHistograms"},
		{prom.WithNativeHistograms(math.NaN()), "WithNativeHistograms"},
		{prom.WithNativeHistograms(math.Inf(1)), "WithNativeHistograms"},
		{nil, "option 1"},
	}
	for _, tc := range cases {
		reg := prometheus.NewRegistry()
		c, err := prom.New(prom.WithRegisterer(reg), tc.opt)
		if err == nil {
			t.Errorf("New with a bad %s succeeded", tc.want)
			continue
		}
		if c != nil {
			t.Errorf("New returned a collector with error %v", err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %q does not name %s", err, tc.want)
		}
		if mfs, _ := reg.Gather(); len(mfs) != 0 {
			t.Errorf("New with a bad %s registered %d families", tc.want, len(mfs))
		}
	}
}

func histogramOf(t *testing.T, reg *prometheus.Registry, name string) *dto.Histogram {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.Metric[0].Histogram
		}
	}
	t.Fatalf("no family %s", name)
	return nil
}

func boundsOf(h *dto.Histogram) []float64 {
	var out []float64
	for _, b := range h.Bucket {
		out = append(out, b.GetUpperBound())
	}
	return out
}

func TestBucketOptions(t *testing.T) {
	// The per-histogram option wins over the all-histograms one, given
	// before or after it.
	for _, opts := range [][]prom.Option{
		{prom.WithBuckets("shard_write_duration_seconds", 1, 10, 100), prom.WithAllBuckets(0.5, 5)},
		{prom.WithAllBuckets(0.5, 5), prom.WithBuckets("shard_write_duration_seconds", 1, 10, 100)},
	} {
		_, reg := newCollector(t, opts...)
		if got := boundsOf(histogramOf(t, reg, "shardyfusion_shard_write_duration_seconds")); !slices.Equal(got, []float64{1, 10, 100}) {
			t.Errorf("WithBuckets: bounds %v", got)
		}
		if got := boundsOf(histogramOf(t, reg, "shardyfusion_reader_get_duration_seconds")); !slices.Equal(got, []float64{0.5, 5}) {
			t.Errorf("WithAllBuckets: bounds %v", got)
		}
	}

	// Defaults come from the catalog, chosen per range.
	_, reg := newCollector(t)
	for _, name := range []string{"reader_get_duration_seconds", "shard_write_duration_seconds", "write_duration_seconds", "rate_limiter_wait_seconds"} {
		in, ok := shardyfusion.Catalog.Instrument(name)
		if !ok || len(in.Buckets) == 0 {
			t.Fatalf("the built-in catalog has no buckets for %q", name)
		}
		want := in.Buckets
		if got := boundsOf(histogramOf(t, reg, "shardyfusion_"+name)); !slices.Equal(got, want) {
			t.Errorf("%s: bounds %v, want %v", name, got, want)
		}
	}
	bucketsOf := func(name string) []float64 {
		in, _ := shardyfusion.Catalog.Instrument(name)
		return in.Buckets
	}
	if got := bucketsOf("reader_get_duration_seconds"); got[0] > 0.001 {
		t.Errorf("read buckets start at %v, want sub-millisecond", got[0])
	}
	if got := bucketsOf("write_duration_seconds"); got[len(got)-1] < 600 {
		t.Errorf("write buckets end at %v, want minutes or more", got[len(got)-1])
	}
}

func TestNativeHistograms(t *testing.T) {
	c, reg := newCollector(t, prom.WithNativeHistograms(1.1))
	metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Duration: 3 * time.Millisecond})
	h := histogramOf(t, reg, "shardyfusion_reader_get_duration_seconds")
	if h.Schema == nil {
		t.Error("no native histogram schema")
	}
	if len(h.PositiveSpan) == 0 {
		t.Error("the observation is not in a native bucket")
	}
	if got, want := boundsOf(h), metrics.BucketsLookup; !slices.Equal(got, want) {
		t.Errorf("classic buckets %v, want %v kept", got, want)
	}
	// Two collectors with the same native settings share their families.
	if _, err := prom.New(prom.WithRegisterer(reg), prom.WithNativeHistograms(1.1)); err != nil {
		t.Errorf("second native collector: %v", err)
	}
}

func TestPrefixAndConstLabels(t *testing.T) {
	c, reg := newCollector(t, prom.WithCatalog(shardyfusion.Catalog), prom.WithPrefix("app_"), prom.WithConstLabels(prometheus.Labels{"env": "test"}),
		prom.WithConstLabels(prometheus.Labels{"zone": "a"}))
	before := samples(t, reg)
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	compare(t, diff(before, samples(t, reg)), map[string]float64{`app_writes_started_total{env="test",zone="a"}`: 1})

	c, reg = newCollector(t, prom.WithCatalog(shardyfusion.Catalog), prom.WithPrefix(""))
	before = samples(t, reg)
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	compare(t, diff(before, samples(t, reg)), map[string]float64{"writes_started_total": 1})
}

func TestDefaultRegisterer(t *testing.T) {
	reg := prometheus.NewRegistry()
	saved := prometheus.DefaultRegisterer
	prometheus.DefaultRegisterer = reg
	defer func() { prometheus.DefaultRegisterer = saved }()
	c, err := prom.New()
	if err != nil {
		t.Fatal(err)
	}
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	if got := samples(t, reg)["shardyfusion_writes_started_total"]; got != 1 {
		t.Errorf("counter on the default registerer = %v, want 1", got)
	}
}

// A registerer that panics (a buggy wrapper, say) makes New return an error.
type panicky struct{ prometheus.Registerer }

func (panicky) Register(prometheus.Collector) error  { panic("boom") }
func (panicky) Unregister(prometheus.Collector) bool { panic("boom again") }

func TestNewNeverPanics(t *testing.T) {
	c, err := prom.New(prom.WithRegisterer(panicky{}))
	if err == nil || c != nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("New with a panicking registerer = %v, %v", c, err)
	}
}

// TestPrometheusServerScrapes runs a real Prometheus server that scrapes the
// collector's registry and checks what an instant query returns.
func TestPrometheusServerScrapes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	promserver.Require(t)
	c, reg := newCollector(t)
	target := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer target.Close()

	ctx := context.Background()
	var sum float64
	for i := 1; i <= 7; i++ {
		d := time.Duration(i) * 150 * time.Millisecond
		sum += d.Seconds()
		metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: i, Rows: 1000, Duration: d})
	}
	metrics.Emit(ctx, c, shardyfusion.ReaderGet{Duration: time.Millisecond, Found: false})
	metrics.Emit(ctx, c, shardyfusion.ReaderGet{Duration: time.Millisecond, Found: true})

	srv := promserver.Start(t, strings.TrimPrefix(target.URL, "http://"))
	const wait = 30 * time.Second
	srv.WaitFor(t, `shardyfusion_shard_writes_completed_total{job="test"}`, 7, wait)
	srv.WaitFor(t, `shardyfusion_shard_write_duration_seconds_sum{job="test"}`, sum, wait)
	srv.WaitFor(t, `shardyfusion_shard_write_duration_seconds_count{job="test"}`, 7, wait)
	srv.WaitFor(t, `shardyfusion_shard_rows_written_total{job="test"}`, 7000, wait)
	srv.WaitFor(t, `shardyfusion_reader_gets_total{job="test"}`, 2, wait)
	srv.WaitFor(t, `shardyfusion_reader_get_misses_total{job="test"}`, 1, wait)
	// 150, 300 and 450 ms fall in the 0.5 s bucket; the rest do not.
	srv.WaitFor(t, `shardyfusion_shard_write_duration_seconds_bucket{job="test",le="0.5"}`, 3, wait)

	// A later emission shows up in a later scrape.
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{Duration: time.Second})
	srv.WaitFor(t, `shardyfusion_shard_writes_completed_total{job="test"}`, 8, wait)
}

func TestWithBucketsPrefixHint(t *testing.T) {
	_, err := prom.New(prom.WithRegisterer(prometheus.NewRegistry()),
		prom.WithBuckets("shardyfusion_reader_get_duration_seconds", 1, 2))
	if err == nil || !strings.Contains(err.Error(), "without the prefix") {
		t.Errorf("WithBuckets with the prefixed name: %v", err)
	}
}
