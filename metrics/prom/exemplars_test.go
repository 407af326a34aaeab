package prom_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// expose renders reg in the OpenMetrics or the text format.
func expose(t *testing.T, reg *prometheus.Registry, format expfmt.Format) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		_ = c.Close()
	}
	return buf.String()
}

// TestHistogramsCarryExemplarsInASpan: an observation made in a step's
// context leaves an exemplar with its trace_id and span_id, on prom's own
// histograms and on client_golang's labeled ones, exposed over OpenMetrics
// and not in the text format; outside any span, none.
func TestHistogramsCarryExemplarsInASpan(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, err := prom.New(prom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, run := metrics.StartRun(runctx.With(context.Background(), "exemplar-run"), c)
	sctx, step := run.Step(ctx)
	metrics.End(sctx, step, shardyfusion.ShardWriteCompleted{DBID: 1, Rows: 10})
	metrics.Emit(sctx, c, collectortest.Sample{Duration: 2 * time.Second, Status: "ok", Kind: "a"})
	metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Duration: time.Millisecond})
	span := runctx.SpanOf(sctx)
	// client_golang writes the exemplar's labels in no set order.
	hasExemplar := func(line string) bool {
		return strings.Contains(line, " # {") && strings.Contains(line, `span_id="`+span.SpanID().String()+`"`) &&
			strings.Contains(line, `trace_id="`+span.TraceID().String()+`"`)
	}
	om := expose(t, reg, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for _, family := range []string{"shardyfusion_shard_write_duration_seconds_bucket", "collectortest_sample_duration_seconds_bucket"} {
		found := false
		for _, line := range strings.Split(om, "\n") {
			if strings.HasPrefix(line, family) && hasExemplar(line) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s line with an exemplar of span %s in:\n%s", family, span.SpanID(), om)
		}
	}
	for _, line := range strings.Split(om, "\n") {
		if strings.HasPrefix(line, "shardyfusion_reader_get_duration_seconds_bucket") && strings.Contains(line, "# {") {
			t.Errorf("an observation outside any span has an exemplar: %s", line)
		}
	}
	if text := expose(t, reg, expfmt.NewFormat(expfmt.TypeTextPlain)); strings.Contains(text, "trace_id") {
		t.Error("the text format carries exemplars")
	}
}
