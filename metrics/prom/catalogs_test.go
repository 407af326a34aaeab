package prom_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// late is declared by the test, after the collector is built.
type appLate struct{}

var declareLate = sync.OnceValue(func() *metrics.EventType[appLate] {
	return metrics.MustDeclare[appLate](collectortest.Catalog, metrics.Spec{
		Code: 100, Wire: "job.late", Group: "job", Help: "Declared after New.",
		Instruments: []metrics.Instrument{metrics.Count("late_total", "Late events.")},
	})
})

// TestEveryCatalogCarriedByDefault: prom.New with no catalog option carries
// another catalog (collectortest's) and the built-in one, each under its prefix; an
// event declared after New is ignored, counted and logged once.
func TestEveryCatalogCarriedByDefault(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	c, err := prom.New(prom.WithRegisterer(reg), prom.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	metrics.Emit(ctx, c, collectortest.Sample{Count: 7, Status: "ok"})
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	if got := counterValue(t, reg, "collectortest_sample_count_total"); got != 7 {
		t.Errorf("collectortest_sample_count_total = %v, want 7", got)
	}
	if got := counterValue(t, reg, "shardyfusion_writes_started_total"); got != 1 {
		t.Errorf("shardyfusion_writes_started_total = %v, want 1", got)
	}

	// With -count above 1, a later run finds appLate declared before New:
	// then it is carried, neither ignored nor logged.
	lateNow := metrics.EventOf[appLate]() == 0
	declareLate()
	metrics.Emit(ctx, c, appLate{})
	metrics.Emit(ctx, c, appLate{})
	var late float64
	for _, v := range c.Health() {
		if v.Family == metrics.FamilyIgnored && v.Labels[0] == "prom" && v.Labels[1] == "declared_after_new" {
			late = v.Value
		}
	}
	wantLate, wantLogged := 2.0, 1
	if !lateNow {
		wantLate, wantLogged = 0, 0
	}
	if late != wantLate {
		t.Errorf("declared_after_new = %v, want %v", late, wantLate)
	}
	if n := strings.Count(logs.String(), "event=job.late"); n != wantLogged {
		t.Errorf("the late event was logged %d times, want %d:\n%s", n, wantLogged, logs.String())
	}
	if lateNow && !strings.Contains(logs.String(), "declare events (import their catalog) before building collectors") {
		t.Errorf("the log line does not say what to do:\n%s", logs.String())
	}
}

func TestRenamingOptionsNeedOneCatalog(t *testing.T) {
	_, err := prom.New(prom.WithRegisterer(prometheus.NewRegistry()), prom.WithPrefix("x_"))
	if err == nil || !strings.Contains(err.Error(), "WithPrefix") || !strings.Contains(err.Error(), "WithCatalog") {
		t.Errorf("WithPrefix over every catalog: %v, want an error naming WithPrefix and WithCatalog", err)
	}
	if _, err := prom.New(prom.WithCatalog()); err == nil || !strings.Contains(err.Error(), "WithCatalog()") {
		t.Errorf("WithCatalog(): %v", err)
	}
	if _, err := prom.New(prom.WithCatalog(nil)); err == nil || !strings.Contains(err.Error(), "catalog 0 is nil") {
		t.Errorf("WithCatalog(nil): %v", err)
	}
}

// counterValue reads the one series of the counter family name on reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			return mf.Metric[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no family %s with one series", name)
	return 0
}
