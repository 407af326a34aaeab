package metrics_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
)

func TestConformanceNop(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector { return metrics.Nop })
}

func TestConformanceRecorder(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector { return metrics.NewRecorder() })
}

func TestConformanceMulti(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector {
		return metrics.Multi(metrics.NewRecorder(), nil, metrics.Nop, &closing{})
	})
}

// panicky is a collector that panics on every event: the fault Multi isolates.
type panicky struct{}

func (panicky) Emit(context.Context, metrics.Event, metrics.Payload) { panic("boom") }

// closing records Flush and Close calls and fails them when told to.
type closing struct {
	metrics.Recorder
	mu               sync.Mutex
	flushed, closed  int
	flushErr, clsErr error
}

func (c *closing) Flush(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushed++
	return c.flushErr
}

func (c *closing) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed++
	return c.clsErr
}

func captureSlog(t *testing.T) *testutil.SyncBuffer {
	t.Helper()
	var buf testutil.SyncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

func TestMultiIsolatesAPanickingMember(t *testing.T) {
	logs := captureSlog(t)
	before, after := metrics.NewRecorder(), metrics.NewRecorder()
	m := metrics.Multi(before, panicky{}, after)
	for range 3 {
		m.Emit(context.Background(), metrics.WriteStarted, metrics.Payload{})
	}
	if before.Count(metrics.WriteStarted) != 3 || after.Count(metrics.WriteStarted) != 3 {
		t.Fatalf("members received %d and %d events, want 3 each", before.Len(), after.Len())
	}
	if got := m.(*metrics.Fanout).Panics(); got != 3 {
		t.Errorf("Panics() = %d, want 3", got)
	}
	if n := strings.Count(logs.String(), "collector panicked"); n != 1 {
		t.Errorf("panic reported %d times through slog, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "metrics_test.panicky") || !strings.Contains(logs.String(), "boom") {
		t.Errorf("report does not name the collector and the panic:\n%s", logs)
	}
}

func TestMultiSkipsNilAndForwardsFlushAndClose(t *testing.T) {
	if metrics.Multi() != metrics.Nop || metrics.Multi(nil, nil) != metrics.Nop {
		t.Error("Multi with no members is not Nop")
	}
	flushErr, closeErr := errors.New("flush failed"), errors.New("close failed")
	a := &closing{flushErr: flushErr}
	b := &closing{clsErr: closeErr}
	m := metrics.Multi(a, nil, b)
	m.Emit(context.Background(), metrics.ReaderGet, metrics.Payload{Found: true})
	if a.Count(metrics.ReaderGet) != 1 || b.Count(metrics.ReaderGet) != 1 {
		t.Error("members did not receive the event")
	}
	if err := metrics.Flush(context.Background(), m); !errors.Is(err, flushErr) {
		t.Errorf("Flush = %v, want %v", err, flushErr)
	}
	if err := metrics.Close(m); !errors.Is(err, closeErr) {
		t.Errorf("Close = %v, want %v", err, closeErr)
	}
	if a.flushed != 1 || b.flushed != 1 || a.closed != 1 || b.closed != 1 {
		t.Errorf("flushed %d,%d closed %d,%d; want every member once even after a failure", a.flushed, b.flushed, a.closed, b.closed)
	}
}

func TestRecorderKeepsOrderAndFilters(t *testing.T) {
	r := metrics.NewRecorder()
	ctx := context.Background()
	r.Emit(ctx, metrics.WriteStarted, metrics.Payload{})
	r.Emit(ctx, metrics.Event(9999), metrics.Payload{})
	r.Emit(ctx, metrics.ShardWriteCompleted, metrics.Payload{DBID: 1, Rows: 10})
	r.Emit(ctx, metrics.ShardWriteCompleted, metrics.Payload{DBID: 2, Rows: 20})
	want := []metrics.Event{metrics.WriteStarted, metrics.ShardWriteCompleted, metrics.ShardWriteCompleted}
	if got := r.Events(); len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Fatalf("Events() = %v, want %v (unknown events ignored)", got, want)
	}
	ps := r.Payloads(metrics.ShardWriteCompleted)
	if len(ps) != 2 || ps[0].DBID != 1 || ps[1].Rows != 20 {
		t.Errorf("Payloads = %+v", ps)
	}
	big := r.Filter(func(rec metrics.Record) bool { return rec.Payload.Rows > 15 && r.Len() > 0 })
	if len(big) != 1 || big[0].Payload.DBID != 2 {
		t.Errorf("Filter = %+v", big)
	}
	recs := r.Records()
	if recs[0].At.After(recs[2].At) {
		t.Error("records are not in arrival order")
	}
	r.Reset()
	if r.Len() != 0 || r.Count(metrics.WriteStarted) != 0 {
		t.Error("Reset kept records")
	}
}

// TestRecorderManyRecords records across many of the Recorder's chunks and
// reads them back in order, whole and by each accessor.
func TestRecorderManyRecords(t *testing.T) {
	r := metrics.NewRecorder()
	ctx := context.Background()
	const n = 1000
	for i := 0; i < n; i++ {
		ev := metrics.ShardWriteCompleted
		if i%10 == 0 {
			ev = metrics.BatchWritten
		}
		r.Emit(ctx, ev, metrics.Payload{DBID: i})
	}
	recs := r.Records()
	if len(recs) != n || r.Len() != n || len(r.Events()) != n {
		t.Fatalf("%d records, Len %d, %d events; want %d", len(recs), r.Len(), len(r.Events()), n)
	}
	for i, rec := range recs {
		if rec.Payload.DBID != i {
			t.Fatalf("record %d holds DBID %d", i, rec.Payload.DBID)
		}
	}
	if c := r.Count(metrics.BatchWritten); c != n/10 {
		t.Errorf("Count(BatchWritten) = %d, want %d", c, n/10)
	}
	ps := r.Payloads(metrics.BatchWritten)
	if len(ps) != n/10 || ps[len(ps)-1].DBID != n-10 {
		t.Errorf("Payloads(BatchWritten): %d, last %+v", len(ps), ps[len(ps)-1])
	}
	r.Reset()
	r.Emit(ctx, metrics.WriteStarted, metrics.Payload{})
	if got := r.Events(); len(got) != 1 || got[0] != metrics.WriteStarted {
		t.Errorf("after Reset and one Emit: %v", got)
	}
}

func TestRunAndStepFillTimes(t *testing.T) {
	rec := metrics.NewRecorder()
	ctx := context.Background()
	run := metrics.StartRun(rec)
	run.Emit(ctx, metrics.WriteStarted, metrics.Payload{})
	step := run.Step()
	time.Sleep(20 * time.Millisecond)
	d := step.End(ctx, metrics.ShardWriteCompleted, metrics.Payload{DBID: 3, Rows: 5})
	run.Emit(ctx, metrics.WriteCompleted, metrics.Payload{Rows: 5})

	recs := rec.Records()
	if len(recs) != 3 {
		t.Fatalf("recorded %d events, want 3", len(recs))
	}
	shard := recs[1].Payload
	if shard.Duration != d || d < 20*time.Millisecond {
		t.Errorf("step Duration = %v (End returned %v), want ≥ 20ms", shard.Duration, d)
	}
	if shard.DBID != 3 || shard.Rows != 5 {
		t.Errorf("step lost the caller's fields: %+v", shard)
	}
	if !(recs[0].Payload.Elapsed < shard.Elapsed && shard.Elapsed <= recs[2].Payload.Elapsed) {
		t.Errorf("Elapsed not increasing: %v, %v, %v", recs[0].Payload.Elapsed, shard.Elapsed, recs[2].Payload.Elapsed)
	}
}

func TestStepDoneNeverChangesTheCallersError(t *testing.T) {
	captureSlog(t)
	ctx := context.Background()
	failure := errors.New("shard write failed")
	for _, c := range []metrics.Collector{nil, metrics.Nop, panicky{}, metrics.NewRecorder()} {
		run := metrics.StartRun(c)
		if err := run.Step().Done(ctx, metrics.ShardWriteCompleted, metrics.Payload{}, failure); err != failure {
			t.Errorf("%T: Done returned %v, want the caller's error", c, err)
		}
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%T: Done panicked: %v", c, r)
				}
			}()
			err = run.Step().Done(ctx, metrics.ShardWriteCompleted, metrics.Payload{}, nil)
		}()
		if err != nil {
			t.Errorf("%T: Done turned success into %v", c, err)
		}
	}
	rec := metrics.NewRecorder()
	run := metrics.StartRun(rec)
	_ = run.Step().Done(ctx, metrics.ShardWriteCompleted, metrics.Payload{}, failure)
	_ = run.Step().Done(ctx, metrics.ShardWriteCompleted, metrics.Payload{}, nil)
	if rec.Count(metrics.ShardWriteCompleted) != 1 {
		t.Errorf("Done emitted %d completions, want 1 (only the successful step)", rec.Count(metrics.ShardWriteCompleted))
	}
}

func TestNilRunCostsNothing(t *testing.T) {
	run := metrics.StartRun(nil)
	allocs := testing.AllocsPerRun(100, func() {
		run.Emit(context.Background(), metrics.WriteStarted, metrics.Payload{})
		run.Step().End(context.Background(), metrics.ShardWriteCompleted, metrics.Payload{})
	})
	if allocs != 0 {
		t.Errorf("a Run with no collector allocated %v times per event", allocs)
	}
}
