package otelcol_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

type appLate struct{}

var declareLate = sync.OnceValue(func() *metrics.EventType[appLate] {
	return metrics.MustDeclare[appLate](collectortest.Catalog, metrics.Spec{
		Code: 100, Wire: "job.late", Group: "job", Help: "Declared after New.",
		Instruments: []metrics.Instrument{metrics.Count("late_total", "Late events.")},
	})
})

// TestEveryCatalogCarriedByDefault: otelcol.New with no catalog option
// carries another catalog (collectortest's) on a meter named after it, and the
// built-in one on its own; an event declared after New is ignored, counted
// and logged once.
func TestEveryCatalogCarriedByDefault(t *testing.T) {
	mp, reader := sdk(t)
	var logs bytes.Buffer
	c := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	ctx := context.Background()
	metrics.Emit(ctx, c, collectortest.Sample{Count: 7, Status: "ok"})
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	got := collect(t, reader)
	if p := got.sum(t, "collectortest.sample_count"); p.Value != 7 || got["collectortest.sample_count"].scope != "collectortest" {
		t.Errorf("collectortest.sample_count = %d on meter %q, want 7 on collectortest", p.Value, got["collectortest.sample_count"].scope)
	}
	if p := got.sum(t, "shardyfusion.writes_started"); p.Value != 1 || got["shardyfusion.writes_started"].scope != "shardyfusion" {
		t.Errorf("shardyfusion.writes_started = %d on meter %q, want 1 on shardyfusion", p.Value, got["shardyfusion.writes_started"].scope)
	}

	// With -count above 1, a later run finds appLate declared before New:
	// then it is carried, neither ignored nor logged.
	lateNow := metrics.EventOf[appLate]() == 0
	declareLate()
	metrics.Emit(ctx, c, appLate{})
	metrics.Emit(ctx, c, appLate{})
	var late float64
	for _, v := range c.Health() {
		if v.Family == metrics.FamilyIgnored && v.Labels[0] == "otelcol" && v.Labels[1] == "declared_after_new" {
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
}

func TestRenamingOptionsNeedOneCatalog(t *testing.T) {
	for _, opt := range []otelcol.Option{otelcol.WithNamespace("x"), otelcol.WithMeterName("x")} {
		_, err := otelcol.New(opt)
		if err == nil || !strings.Contains(err.Error(), "WithCatalog") {
			t.Errorf("a renaming option over every catalog: %v, want an error naming WithCatalog", err)
		}
	}
}

// TestHistogramExemplarsFromTheStep: the SDK's trace-based exemplar filter
// sees milestone's step spans, so a histogram measurement made in a step's
// context carries an exemplar with the step's trace and span ids.
func TestHistogramExemplarsFromTheStep(t *testing.T) {
	mp, reader := sdk(t)
	c := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithCatalog(shardyfusion.Catalog))
	ctx, run := metrics.StartRun(runctx.With(context.Background(), "otel-exemplar"), c)
	sctx, step := run.Step(ctx)
	metrics.End(sctx, step, shardyfusion.ShardWriteCompleted{DBID: 2, Rows: 5})
	span := runctx.SpanOf(sctx)
	h := collect(t, reader).hist(t, "shardyfusion.shard_write_duration")
	if len(h.Exemplars) != 1 {
		t.Fatalf("%d exemplars, want 1", len(h.Exemplars))
	}
	e := h.Exemplars[0]
	tid, sid := span.TraceID(), span.SpanID()
	if string(e.TraceID) != string(tid[:]) || string(e.SpanID) != string(sid[:]) {
		t.Errorf("exemplar trace %x span %x, want %s %s", e.TraceID, e.SpanID, span.TraceID(), span.SpanID())
	}
}
