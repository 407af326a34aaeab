package metrics_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

var (
	evWriteStarted        = metrics.EventOf[shardyfusion.WriteStarted]()
	evReaderGet           = metrics.EventOf[shardyfusion.ReaderGet]()
	evShardWriteCompleted = metrics.EventOf[shardyfusion.ShardWriteCompleted]()
	evBatchWritten        = metrics.EventOf[shardyfusion.BatchWritten]()
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
		metrics.Emit(context.Background(), m, shardyfusion.WriteStarted{})
	}
	if before.Count(evWriteStarted) != 3 || after.Count(evWriteStarted) != 3 {
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
	metrics.Emit(context.Background(), m, shardyfusion.ReaderGet{Found: true})
	if a.Count(evReaderGet) != 1 || b.Count(evReaderGet) != 1 {
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
	metrics.Emit(ctx, r, shardyfusion.WriteStarted{})
	r.Emit(ctx, metrics.Event(9999), metrics.Payload{})
	metrics.Emit(ctx, r, shardyfusion.ShardWriteCompleted{DBID: 1, Rows: 10})
	metrics.Emit(ctx, r, shardyfusion.ShardWriteCompleted{DBID: 2, Rows: 20})
	want := []metrics.Event{evWriteStarted, evShardWriteCompleted, evShardWriteCompleted}
	if got := r.Events(); len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Fatalf("Events() = %v, want %v (unknown events ignored)", got, want)
	}
	ps := metrics.Recorded[shardyfusion.ShardWriteCompleted](r)
	if len(ps) != 2 || ps[0].DBID != 1 || ps[1].Rows != 20 {
		t.Errorf("Recorded = %+v", ps)
	}
	if len(r.Payloads(evShardWriteCompleted)) != 2 {
		t.Errorf("Payloads = %+v", r.Payloads(evShardWriteCompleted))
	}
	shard := metrics.TypeOf[shardyfusion.ShardWriteCompleted]()
	big := r.Filter(func(rec metrics.Record) bool {
		return rec.Event == shard.Event() && shard.Unpack(rec.Payload).Rows > 15 && r.Len() > 0
	})
	if len(big) != 1 || shard.Unpack(big[0].Payload).DBID != 2 {
		t.Errorf("Filter = %+v", big)
	}
	recs := r.Records()
	if recs[0].At.After(recs[2].At) {
		t.Error("records are not in arrival order")
	}
	r.Reset()
	if r.Len() != 0 || r.Count(evWriteStarted) != 0 {
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
		if i%10 == 0 {
			metrics.Emit(ctx, r, shardyfusion.BatchWritten{DBID: i})
		} else {
			metrics.Emit(ctx, r, shardyfusion.ShardWriteCompleted{DBID: i})
		}
	}
	recs := r.Records()
	if len(recs) != n || r.Len() != n || len(r.Events()) != n {
		t.Fatalf("%d records, Len %d, %d events; want %d", len(recs), r.Len(), len(r.Events()), n)
	}
	for i, rec := range recs {
		d, _ := metrics.Describe(rec.Event)
		f, _ := d.Field("db_id")
		if got := rec.Payload.Int(f); got != int64(i) {
			t.Fatalf("record %d holds db_id %d", i, got)
		}
	}
	if c := r.Count(evBatchWritten); c != n/10 {
		t.Errorf("Count(BatchWritten) = %d, want %d", c, n/10)
	}
	ps := metrics.Recorded[shardyfusion.BatchWritten](r)
	if len(ps) != n/10 || ps[len(ps)-1].DBID != n-10 {
		t.Errorf("Recorded[BatchWritten]: %d, last %+v", len(ps), ps[len(ps)-1])
	}
	r.Reset()
	metrics.Emit(ctx, r, shardyfusion.WriteStarted{})
	if got := r.Events(); len(got) != 1 || got[0] != evWriteStarted {
		t.Errorf("after Reset and one Emit: %v", got)
	}
}

func TestRunAndStepFillTimes(t *testing.T) {
	rec := metrics.NewRecorder()
	ctx := context.Background()
	ctx, run := metrics.StartRun(ctx, rec)
	metrics.Emit(ctx, run, shardyfusion.WriteStarted{Elapsed: time.Hour}) // overridden by the run
	_, step := run.Step(ctx)
	time.Sleep(20 * time.Millisecond)
	d := metrics.End(ctx, step, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5})
	metrics.Emit(ctx, run, shardyfusion.WriteCompleted{Rows: 5})

	starts := metrics.Recorded[shardyfusion.WriteStarted](rec)
	shards := metrics.Recorded[shardyfusion.ShardWriteCompleted](rec)
	ends := metrics.Recorded[shardyfusion.WriteCompleted](rec)
	if len(starts) != 1 || len(shards) != 1 || len(ends) != 1 {
		t.Fatalf("recorded %d events, want 3", rec.Len())
	}
	shard := shards[0]
	if shard.Duration != d || d < 20*time.Millisecond {
		t.Errorf("step Duration = %v (End returned %v), want ≥ 20ms", shard.Duration, d)
	}
	if shard.DBID != 3 || shard.Rows != 5 {
		t.Errorf("step lost the caller's fields: %+v", shard)
	}
	if !(starts[0].Elapsed < shard.Elapsed && shard.Elapsed <= ends[0].Elapsed) {
		t.Errorf("Elapsed not increasing: %v, %v, %v", starts[0].Elapsed, shard.Elapsed, ends[0].Elapsed)
	}
}

type cpuStep struct {
	Wall time.Duration `milestone:"wall_time_s,duration"`
	CPU  time.Duration `milestone:"process_time_s,cpu"`
}

var _ = metrics.MustDeclare[cpuStep](testCatalog, metrics.Spec{
	Code: 3, Wire: "test.cpu_step", Group: "test", Help: "A step timed with CPU.",
	Instruments: []metrics.Instrument{metrics.Hist("cpu_step_seconds", "Step time.", "wall_time_s", metrics.BucketsStep)},
})

func TestStepCPUMeasuresProcessTime(t *testing.T) {
	rec := metrics.NewRecorder()
	ctx, run := metrics.StartRun(context.Background(), rec)
	_, step := run.StepCPU(ctx)
	x := 0.0
	for i := range 20_000_000 {
		x += float64(i % 7)
	}
	metrics.End(ctx, step, cpuStep{})
	_, plain := run.Step(ctx)
	metrics.End(ctx, plain, cpuStep{CPU: time.Hour}) // no CPU clock: kept as given
	got := metrics.Recorded[cpuStep](rec)
	if len(got) != 2 || x == 0 {
		t.Fatalf("recorded %d steps", len(got))
	}
	if runtime.GOOS == "linux" && (got[0].CPU <= 0 || got[0].CPU > 10*got[0].Wall+50*time.Millisecond) {
		t.Errorf("CPU time %v for a busy loop of wall time %v", got[0].CPU, got[0].Wall)
	}
	if got[1].CPU != time.Hour {
		t.Errorf("a step without the CPU clock changed the cpu field to %v", got[1].CPU)
	}
}

func TestStepDoneNeverChangesTheCallersError(t *testing.T) {
	captureSlog(t)
	ctx := context.Background()
	failure := errors.New("shard write failed")
	for _, c := range []metrics.Collector{nil, metrics.Nop, panicky{}, metrics.NewRecorder()} {
		rctx, run := metrics.StartRun(ctx, c)
		if err := metrics.Done(rctx, step(rctx, run), shardyfusion.ShardWriteCompleted{}, failure); err != failure {
			t.Errorf("%T: Done returned %v, want the caller's error", c, err)
		}
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%T: Done panicked: %v", c, r)
				}
			}()
			err = metrics.Done(rctx, step(rctx, run), shardyfusion.ShardWriteCompleted{}, nil)
		}()
		if err != nil {
			t.Errorf("%T: Done turned success into %v", c, err)
		}
	}
	rec := metrics.NewRecorder()
	rctx, run := metrics.StartRun(ctx, rec)
	_ = metrics.Done(rctx, step(rctx, run), shardyfusion.ShardWriteCompleted{}, failure)
	_ = metrics.Done(rctx, step(rctx, run), shardyfusion.ShardWriteCompleted{}, nil)
	if rec.Count(evShardWriteCompleted) != 1 {
		t.Errorf("Done emitted %d completions, want 1 (only the successful step)", rec.Count(evShardWriteCompleted))
	}
}

// step starts a step of run in ctx.
func step(ctx context.Context, run *metrics.Run) metrics.Step {
	_, s := run.Step(ctx)
	return s
}

func TestNilRunCostsNothing(t *testing.T) {
	_, run := metrics.StartRun(context.Background(), nil)
	allocs := testing.AllocsPerRun(100, func() {
		metrics.Emit(context.Background(), run, shardyfusion.WriteStarted{})
		metrics.End(context.Background(), step(context.Background(), run), shardyfusion.ShardWriteCompleted{})
	})
	if allocs != 0 {
		t.Errorf("a Run with no collector allocated %v times per event", allocs)
	}
}
