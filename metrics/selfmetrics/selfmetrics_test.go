package selfmetrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/selfmetrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/metrics/slogcol"
)

type panicky struct{}

func (panicky) Emit(context.Context, metrics.Event, metrics.Payload) { panic("boom") }

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

var _ io.Writer = failingWriter{}

// TestEveryLossShowsOnTheRegistry causes each kind of loss for real and
// reads it back from a registry as milestone_* families.
func TestEveryLossShowsOnTheRegistry(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { slog.SetDefault(prev) })

	reg := prometheus.NewRegistry()
	pc, err := prom.New(prom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	h := jsonlog.NewHandler(failingWriter{}, &jsonlog.Options{MaxLineBytes: jsonlog.MinMaxLineBytes})
	sc, err := slogcol.New(slogcol.WithLogger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	fan := metrics.Multi(pc, panicky{}, ev, sc)
	// What Multi returns is enough: Register reaches every member; a
	// member given again is read once.
	if err := selfmetrics.Register(reg, fan, h, pc); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	metrics.Emit(ctx, fan, shardyfusion.ShardWriteCompleted{Rows: -5, Duration: time.Second}) // invalid, panic, log line
	metrics.Emit(ctx, fan, shardyfusion.ReaderGet{Duration: -time.Second})                    // invalid, panic (DEBUG: no line)
	before := overflows(t, reg)
	metrics.Emit(ctx, fan, shardyfusion.WriteFailed{ErrorType: "e"})
	type never struct{}
	metrics.Emit(ctx, fan, never{})
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	metrics.Emit(ctx, fan, shardyfusion.WriteStarted{})   // dropped after Close
	slog.New(h).Info("m", "level", "x", "a", 1, "a.b", 2) // two fields renamed (failed write)

	want := map[string]float64{
		`milestone_invalid_values_total{backend="prom"}`:                             2,
		`milestone_collector_panics_total{collector="multi"}`:                        4,
		`milestone_events_dropped_total{sink="eventlog"}`:                            1,
		`milestone_events_lost_total{sink="eventlog"}`:                               0,
		`milestone_log_lines_failed_total{handler="jsonlog"}`:                        4,
		`milestone_log_fields_renamed_total{handler="jsonlog"}`:                      2,
		`milestone_log_lines_failed_total{handler="slogcol"}`:                        3,
		`milestone_collector_panics_total{collector="slogcol"}`:                      0,
		`milestone_undeclared_events_total`:                                          1,
		`milestone_label_overflows_total{catalog="shardyfusion",label="error_type"}`: before,
	}
	got := samples(t, reg)
	for name, w := range want {
		if v, ok := got[name]; !ok || v != w {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, w)
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func overflows(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	return samples(t, reg)[`milestone_label_overflows_total{catalog="shardyfusion",label="error_type"}`]
}

// samples gathers reg into name{labels} → value, for milestone_* families.
func samples(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "milestone_") {
			continue
		}
		for _, m := range mf.Metric {
			var labels []string
			for _, lp := range m.Label {
				labels = append(labels, lp.GetName()+`="`+lp.GetValue()+`"`)
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			if m.Counter != nil {
				out[name] = m.Counter.GetValue()
			} else {
				out[name] = m.Gauge.GetValue()
			}
		}
	}
	return out
}

func TestRegisterRefusesUnknownSources(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := selfmetrics.Register(reg, "a string"); err == nil || !strings.Contains(err.Error(), "string") {
		t.Errorf("a string source: %v", err)
	}
	var nilLog *eventlog.Collector
	if err := selfmetrics.Register(reg, nilLog); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("a nil source: %v", err)
	}
	if err := selfmetrics.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := selfmetrics.Register(reg); err == nil {
		t.Error("a second registration on one registry succeeded")
	}
}

// TestRegisterTwiceSaysSo: a second Register on one registry is refused
// with an error that names milestone's self-metrics.
func TestRegisterTwiceSaysSo(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := selfmetrics.Register(reg); err != nil {
		t.Fatal(err)
	}
	err := selfmetrics.Register(reg)
	if err == nil || !strings.Contains(err.Error(), "milestone's self-metrics are already registered") {
		t.Errorf("second Register: %v", err)
	}
	ev, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	err = selfmetrics.Register(reg, ev)
	if err == nil || !strings.Contains(err.Error(), "milestone's self-metrics are already registered") {
		t.Errorf("second Register with other sources: %v", err)
	}
}

// TestRegisterRefusesWhatHasNoHealth: a nil source, or a value that is
// neither a collector nor a health reporter, is an error naming it; a
// collector with nothing to report is accepted.
func TestRegisterRefusesWhatHasNoHealth(t *testing.T) {
	var nilLog *eventlog.Collector
	for _, tc := range []struct {
		src  any
		want string
	}{
		{nil, "source 0 is a nil"},
		{nilLog, "source 0 is a nil *eventlog.Collector"},
		{"text", "source 0 is a string"},
	} {
		if err := selfmetrics.Register(prometheus.NewRegistry(), tc.src); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Register(%#v): %v, want %q", tc.src, err, tc.want)
		}
	}
	if err := selfmetrics.Register(prometheus.NewRegistry(), metrics.Nop, panicky{}); err != nil {
		t.Errorf("collectors without health: %v", err)
	}
}
