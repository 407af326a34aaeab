package runs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// TestDecodeGivesBackTheEmittedStructs: events written by the event log
// come back from its file as the structs that were emitted.
func TestDecodeGivesBackTheEmittedStructs(t *testing.T) {
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "decode-run")
	want := []shardyfusion.ShardWriteCompleted{
		{Elapsed: 852400 * time.Microsecond, DBID: 3, Rows: 5000, Duration: 12500 * time.Microsecond},
		{Elapsed: 2 * time.Second, DBID: 7, Rows: 1, Duration: 1234567 * time.Nanosecond},
	}
	for _, v := range want {
		metrics.Emit(ctx, ev, v)
	}
	sample := collectortest.Sample{Duration: 1500 * time.Microsecond, Count: -4, Ratio: 0.25, OK: true, Status: "error", Kind: "k-not-admitted", Note: "a \"note\"\n<b>"}
	collectortest.SampleEvent.Emit(ctx, ev, sample)
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	lines, err := os.ReadFile(filepath.Join(dir, "decode-run", runs.FileName))
	if err != nil {
		t.Fatal(err)
	}
	got, err := runs.Decode[shardyfusion.ShardWriteCompleted](bytes.NewReader(lines))
	if err != nil || len(got) != len(want) {
		t.Fatalf("Decode: %v, %d events", err, len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	samples, err := runs.Decode[collectortest.Sample](bytes.NewReader(lines))
	if err != nil || len(samples) != 1 || samples[0] != sample {
		t.Errorf("Decode Sample: %v %+v, want %+v", err, samples, sample)
	}
	if _, err := runs.Decode[struct{ X int }](bytes.NewReader(lines)); err == nil || !strings.Contains(err.Error(), "not a declared event") {
		t.Errorf("Decode of an undeclared type: %v", err)
	}
	n := 0
	for e, err := range runs.Events(bytes.NewReader(lines)) {
		if err != nil {
			t.Fatal(err)
		}
		if e.RunID != "decode-run" || e.TraceID == "" || e.SpanID == "" || e.Desc == nil || e.Fields["event"] != nil {
			t.Errorf("event %+v", e)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d events, want 3", n)
	}
	if _, err := runs.Decode[shardyfusion.ShardWriteCompleted](strings.NewReader("{\"event\":\"x\",\"ts\":\"2026\"}\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad line: %v", err)
	}
}
