package metrics_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

func TestCatalogCodesAreStableAndOrdered(t *testing.T) {
	evs := builtins()
	if len(evs) != 20 {
		t.Fatalf("catalog has %d events, want the 20 built-in ones", len(evs))
	}
	for i, ev := range evs {
		if want := metrics.Event(i + 1); ev != want {
			t.Errorf("Events()[%d] = %d, want code %d", i, ev, want)
		}
	}
	// Spot-check codes that are part of the wire contract.
	if metrics.WriteStarted != 1 || metrics.ReaderGet != 11 || metrics.RateLimiterDenied != 20 {
		t.Error("built-in event codes changed; they are stable and must never be renumbered")
	}
	all := metrics.Events()
	all[0] = 0
	if metrics.Events()[0] != metrics.WriteStarted {
		t.Error("Events returned the catalog's own slice; it must be a copy")
	}
}

// builtins returns the built-in events; tests in this package may Define more.
func builtins() []metrics.Event {
	var evs []metrics.Event
	for _, ev := range metrics.Events() {
		if ev < metrics.FirstCustomEvent {
			evs = append(evs, ev)
		}
	}
	return evs
}

func TestEventNamesRoundTrip(t *testing.T) {
	wire := regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)
	seen := map[string]bool{}
	for _, ev := range metrics.Events() {
		d, ok := metrics.Describe(ev)
		if !ok || d.Event != ev {
			t.Fatalf("Describe(%d) = %v, %v", ev, d, ok)
		}
		if !wire.MatchString(d.Wire) {
			t.Errorf("%s: wire name %q is not dotted snake_case", d.Name, d.Wire)
		}
		if seen[d.Wire] {
			t.Errorf("wire name %q declared twice", d.Wire)
		}
		seen[d.Wire] = true
		if ev.String() != d.Wire {
			t.Errorf("%s.String() = %q, want %q", d.Name, ev.String(), d.Wire)
		}
		if got, ok := metrics.Lookup(d.Wire); !ok || got != ev {
			t.Errorf("Lookup(%q) = %d, %v", d.Wire, got, ok)
		}
		if d.Help == "" || d.Group == "" || d.Name == "" {
			t.Errorf("event %d lacks a name, group or help", ev)
		}
	}
	if metrics.ShardWriteCompleted.String() != "write.shard.completed" {
		t.Errorf("ShardWriteCompleted.String() = %q", metrics.ShardWriteCompleted.String())
	}
}

func TestUnknownEvents(t *testing.T) {
	for _, ev := range []metrics.Event{0, 21, 9999, ^metrics.Event(0)} {
		if ev.Known() {
			t.Errorf("Event(%d).Known() = true", ev)
		}
		if _, ok := metrics.Describe(ev); ok {
			t.Errorf("Describe(%d) found a descriptor", ev)
		}
		if ev.Keys() != nil {
			t.Errorf("Event(%d).Keys() = %v, want nil", ev, ev.Keys())
		}
		if !strings.HasPrefix(ev.String(), "Event(") {
			t.Errorf("Event(%d).String() = %q", ev, ev.String())
		}
	}
	if _, ok := metrics.Lookup("write.nope"); ok {
		t.Error("Lookup found an undeclared wire name")
	}
}

// The rules every instrument follows (names, units, keys, buckets) are
// checked by validate when the package initialises; this test pins what the
// original design promised dashboards.
func TestInstrumentDeclarations(t *testing.T) {
	byName := map[string]metrics.Instrument{}
	for _, ev := range builtins() {
		d, _ := metrics.Describe(ev)
		for _, in := range d.Instruments {
			byName[in.Name] = in
		}
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
	if byName["write_duration_seconds"].Value != metrics.KeyElapsed {
		t.Error("write_duration_seconds must observe elapsed_ms, as the original did")
	}
}

func TestFieldConvertsUnits(t *testing.T) {
	p := metrics.Payload{
		Elapsed: 1500 * time.Millisecond, Duration: 12500 * time.Microsecond, DBID: 3, Rows: 5000,
		BatchSize: 7, Found: true, Keys: 9, Changed: true, Handles: 4, Attempt: 2, Attempts: 5,
		MaxRetries: 6, Backoff: 250 * time.Millisecond, Delay: 2 * time.Second, Wait: 1500 * time.Microsecond, Tokens: 11,
	}
	floats := map[metrics.Key]float64{
		metrics.KeyElapsed: 1500, metrics.KeyDuration: 12.5, metrics.KeyBackoff: 0.25,
		metrics.KeyDelay: 2, metrics.KeyWait: 0.0015,
	}
	ints := map[metrics.Key]int64{
		metrics.KeyDBID: 3, metrics.KeyRowCount: 5000, metrics.KeyRowsWritten: 5000, metrics.KeyBatchSize: 7,
		metrics.KeyNumKeys: 9, metrics.KeyNumHandles: 4, metrics.KeyAttempt: 2, metrics.KeyAttempts: 5,
		metrics.KeyMaxRetries: 6, metrics.KeyTokens: 11,
	}
	for k, want := range floats {
		if f := p.Field(k); f.Kind != metrics.KindFloat || f.Float != want {
			t.Errorf("Field(%s) = %+v, want float %v", k, f, want)
		}
	}
	for k, want := range ints {
		if f := p.Field(k); f.Kind != metrics.KindInt || f.Int != want {
			t.Errorf("Field(%s) = %+v, want int %v", k, f, want)
		}
	}
	for _, k := range []metrics.Key{metrics.KeyFound, metrics.KeyChanged} {
		if f := p.Field(k); f.Kind != metrics.KindBool || !f.Bool {
			t.Errorf("Field(%s) = %+v, want true", k, f)
		}
	}
	if n := len(floats) + len(ints) + 2; n != 17 {
		t.Fatalf("test covers %d keys, the catalog has 17", n)
	}
	if f := p.Field(metrics.KeyRowCount); f.Name() != "row_count" {
		t.Errorf("Field(KeyRowCount).Name() = %q", f.Name())
	}
}

func TestPayloadWalkAllocatesNothing(t *testing.T) {
	p := metrics.Payload{DBID: 3, Rows: 5000, Duration: time.Second}
	var sink float64
	allocs := testing.AllocsPerRun(100, func() {
		for _, k := range metrics.ShardWriteCompleted.Keys() {
			f := p.Field(k)
			sink += f.Float + float64(f.Int)
		}
	})
	if allocs != 0 {
		t.Errorf("walking a payload allocated %v times", allocs)
	}
	if sink == 0 {
		t.Error("walk produced no values")
	}
}

func TestInstrumentValues(t *testing.T) {
	get, _ := metrics.Describe(metrics.ReaderGet)
	var misses, hist *metrics.Instrument
	for i := range get.Instruments {
		switch get.Instruments[i].Name {
		case "reader_get_misses_total":
			misses = &get.Instruments[i]
		case "reader_get_duration_seconds":
			hist = &get.Instruments[i]
		}
	}
	if d, ok := misses.Delta(&metrics.Payload{Found: false}); !ok || d != 1 {
		t.Errorf("miss counter on a miss: %d, %v", d, ok)
	}
	if _, ok := misses.Delta(&metrics.Payload{Found: true}); ok {
		t.Error("miss counter fed by a hit")
	}
	if s, ok := hist.Observation(&metrics.Payload{Duration: 1500 * time.Millisecond}); !ok || s != 1.5 {
		t.Errorf("histogram observes %v, %v; want 1.5 s", s, ok)
	}
	shard, _ := metrics.Describe(metrics.ShardWriteCompleted)
	for _, in := range shard.Instruments {
		if in.Name != "shard_rows_written_total" {
			continue
		}
		if d, ok := in.Delta(&metrics.Payload{Rows: 5000}); !ok || d != 5000 {
			t.Errorf("rows counter adds %d, %v", d, ok)
		}
		if _, ok := in.Delta(&metrics.Payload{Rows: -1}); ok {
			t.Error("a counter accepted a negative delta")
		}
	}
}

// TestRunEndingEvents: write.completed and reader.closed, and only they, end a
// run; the event log closes a run's file on them.
func TestRunEndingEvents(t *testing.T) {
	for _, ev := range metrics.Events() {
		if ev >= metrics.FirstCustomEvent {
			continue
		}
		d, _ := metrics.Describe(ev)
		want := ev == metrics.WriteCompleted || ev == metrics.ReaderClosed
		if d.EndsRun != want {
			t.Errorf("%s: EndsRun = %v, want %v", ev, d.EndsRun, want)
		}
	}
}
