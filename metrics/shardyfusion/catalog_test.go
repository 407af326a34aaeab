package shardyfusion_test

import (
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// builtin pins the built-in catalog: codes, wire names and fields in order.
// Dashboards, event logs and stored rows depend on every entry.
var builtin = []struct {
	code   uint16
	wire   string
	fields string
}{
	{1, "write.started", "elapsed_ms rows_expected"},
	{2, "write.sharding_completed", "elapsed_ms duration_ms rows"},
	{3, "write.shard.started", "elapsed_ms db_id row_count"},
	{4, "write.shard.completed", "elapsed_ms db_id row_count duration_ms"},
	{5, "write.shards_completed", "elapsed_ms duration_ms rows_written"},
	{6, "write.batch_written", "elapsed_ms db_id batch_size"},
	{7, "write.manifest_published", "elapsed_ms"},
	{8, "write.current_published", "elapsed_ms"},
	{9, "write.completed", "elapsed_ms rows_written"},
	{10, "reader.initialized", ""},
	{11, "reader.get", "duration_ms found"},
	{12, "reader.multi_get", "duration_ms num_keys"},
	{13, "reader.refreshed", "changed"},
	{14, "reader.closed", "num_handles"},
	{15, "write.shard.retried", "elapsed_ms db_id attempt backoff_s"},
	{16, "write.shard.retry_exhausted", "elapsed_ms db_id attempts"},
	{17, "s3.retry", "attempt max_retries delay_s"},
	{18, "s3.retry_exhausted", "attempts"},
	{19, "rate_limiter.throttled", "wait_seconds"},
	{20, "rate_limiter.denied", "tokens_requested"},
	{21, "write.failed", "elapsed_ms error_type"},
	{22, "write.sharding_progress", "elapsed_ms rows"},
}

func TestBuiltinCatalogIsPinned(t *testing.T) {
	ds := shardyfusion.Catalog.Descriptors()
	if len(ds) != len(builtin) {
		t.Fatalf("the built-in catalog has %d events, want %d", len(ds), len(builtin))
	}
	for i, want := range builtin {
		d := ds[i]
		var names []string
		for _, f := range d.Fields {
			names = append(names, f.Name)
		}
		if d.Code != want.code || d.Wire != want.wire || strings.Join(names, " ") != want.fields {
			t.Errorf("event %d = code %d %s (%s), want code %d %s (%s)", i, d.Code, d.Wire, strings.Join(names, " "), want.code, want.wire, want.fields)
		}
		// Declared in one block, the events' handles are consecutive.
		if d.Event != ds[0].Event+metrics.Event(i) {
			t.Errorf("%s: Event = %d, want %d", d.Wire, d.Event, ds[0].Event+metrics.Event(i))
		}
		if d.Catalog != shardyfusion.Catalog || d.Help == "" || d.Group == "" || d.Name == "" || d.Message == "" {
			t.Errorf("%s lacks a catalog, name, group, help or message", d.Wire)
		}
	}
	if shardyfusion.Catalog.Namespace() != "shardyfusion" || shardyfusion.Catalog.PromPrefix() != "shardyfusion_" {
		t.Errorf("built-in namespace %q, prefix %q", shardyfusion.Catalog.Namespace(), shardyfusion.Catalog.PromPrefix())
	}
}

// The rules every instrument follows are checked by Declare; this test pins
// what the original design promised dashboards.
func TestInstrumentDeclarations(t *testing.T) {
	byName := map[string]*metrics.Instrument{}
	for _, in := range shardyfusion.Catalog.Instruments() {
		byName[in.Name] = in
	}
	// The fifteen instruments of the original design keep their names and types.
	original := map[string]metrics.InstrumentKind{
		"writes_started_total": metrics.Counter, "writes_completed_total": metrics.Counter,
		"write_duration_seconds": metrics.Histogram, "shard_writes_completed_total": metrics.Counter,
		"shard_write_duration_seconds": metrics.Histogram, "batches_written_total": metrics.Counter,
		"reader_gets_total": metrics.Counter, "reader_get_duration_seconds": metrics.Histogram,
		"reader_multi_gets_total": metrics.Counter, "reader_multi_get_duration_seconds": metrics.Histogram,
		"s3_retries_total": metrics.Counter, "s3_retries_exhausted_total": metrics.Counter,
		"rate_limiter_throttled_total": metrics.Counter, "rate_limiter_wait_seconds": metrics.Histogram,
		"rate_limiter_denied_total": metrics.Counter,
	}
	for n, kind := range original {
		in, ok := byName[n]
		if !ok || in.Kind != kind {
			t.Errorf("original instrument %s (%v) missing or changed", n, kind)
		}
	}
	if byName["write_duration_seconds"].Value != "elapsed_ms" {
		t.Error("write_duration_seconds must observe elapsed_ms, as the original did")
	}
	failed := byName["writes_failed_total"]
	if failed == nil || len(failed.LabelFields()) != 1 || failed.LabelFields()[0].Name != "error_type" ||
		failed.LabelFields()[0].Label.Cap == 0 {
		t.Errorf("writes_failed_total must count by a capped error_type label: %+v", failed)
	}
	// No other built-in instrument has a label: cardinality stays fixed.
	for name, in := range byName {
		if name != "writes_failed_total" && len(in.Labels) != 0 {
			t.Errorf("%s has labels %v", name, in.Labels)
		}
	}
}

// TestRunEndingEvents: write.completed, write.failed and reader.closed, and
// only they, end a run; the event log closes a run's file on them.
func TestRunEndingEvents(t *testing.T) {
	for _, d := range shardyfusion.Catalog.Descriptors() {
		want := d.Wire == "write.completed" || d.Wire == "write.failed" || d.Wire == "reader.closed"
		if d.EndsRun != want {
			t.Errorf("%s: EndsRun = %v, want %v", d.Wire, d.EndsRun, want)
		}
	}
}
