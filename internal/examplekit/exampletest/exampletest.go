package exampletest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/milestone-go/milestone/internal/examplekit/appkit"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/otelcol"
)

// Line is one JSON line, decoded.
type Line map[string]any

// Str returns the string at key k, or "".
func (l Line) Str(k string) string { s, _ := l[k].(string); return s }

// Num returns the number at key k, or 0.
func (l Line) Num(k string) float64 { f, _ := l[k].(float64); return f }

// Lines decodes data as JSON lines, failing t on a line that is not JSON.
func Lines(t testing.TB, data []byte) []Line {
	t.Helper()
	var out []Line
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// Counter returns the value of the counter name whose label values, in
// the order of its label names (sorted), are values.
func Counter(reg prometheus.Gatherer, name string, values ...string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := make([]string, 0, len(m.GetLabel()))
			for _, lp := range m.GetLabel() {
				got = append(got, lp.GetValue())
			}
			if slices.Equal(got, values) {
				return m.GetCounter().GetValue(), nil
			}
		}
		return 0, fmt.Errorf("%s has no series with label values %q", name, values)
	}
	return 0, fmt.Errorf("no metric %s", name)
}

// OTel returns, for the instrument name of rm, the sum of its counter
// points or the count of its histogram points whose attribute key has
// value (all points when key is ""), and whether the instrument was found.
func OTel(rm *metricdata.ResourceMetrics, name, key, value string) (float64, bool) {
	match := func(set attribute.Set) bool {
		v, ok := set.Value(attribute.Key(key))
		return key == "" || ok && v.AsString() == value
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			var total float64
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if match(p.Attributes) {
						total += float64(p.Value)
					}
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					if match(p.Attributes) {
						total += p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					if match(p.Attributes) {
						total += float64(p.Count)
					}
				}
			}
			return total, true
		}
	}
	return 0, false
}

// Result is what one run of a program left in every backend.
type Result struct {
	// ID and Err are what the run returned.
	ID  string
	Err error
	// Backends are the program's own, with Registry's series.
	Backends *appkit.Backends
	// OTel is a collection of the real OTel SDK the run also fed.
	OTel metricdata.ResourceMetrics
	// EventLog and JSONLog are the run's event-log lines (the header
	// first) and every JSON log line written while it ran, at debug level.
	EventLog, JSONLog []Line
	// Path is the run's events.jsonl.
	Path string
}

// Run runs fn on the program's backends for cat (appkit.NewBackends, the
// event log under events with runs named by runKey) and a real OTel SDK
// read by a ManualReader, with the JSON log captured at debug level, then
// closes the backends and reads back what each holds. fn returns the run's
// id and error.
func Run(t testing.TB, cat *metrics.Catalog, runKey, events string, fn func(c metrics.Collector) (string, error)) *Result {
	t.Helper()
	var logs testutil.SyncBuffer
	logctx.SetHandler(jsonlog.NewHandler(&logs, &jsonlog.Options{Level: slog.LevelDebug}))
	t.Cleanup(func() { logctx.SetHandler(nil) })
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	oc, err := otelcol.New(otelcol.WithOwnedMeterProvider(mp, mp.Shutdown), otelcol.WithCatalog(cat))
	if err != nil {
		t.Fatal(err)
	}
	b, err := appkit.NewBackends(cat, runKey, events, oc)
	if err != nil {
		t.Fatal(err)
	}
	r := &Result{Backends: b}
	r.ID, r.Err = fn(b.All)
	if err := reader.Collect(context.Background(), &r.OTel); err != nil {
		t.Fatal(err)
	}
	if err := metrics.Close(b.All); err != nil {
		t.Fatal(err)
	}
	r.Path = b.EventLog.Path(r.ID)
	data, err := os.ReadFile(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	r.EventLog = Lines(t, data)
	r.JSONLog = Lines(t, logs.Bytes())
	return r
}
