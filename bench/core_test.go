package bench

import (
	"context"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// The event most benchmarks emit, as its struct and as the Payload the
// struct packs into. Emit benchmarks go through the typed handle, the way an
// application's hot path emits (metrics.TypeOf once, then EventType.Emit).
var (
	shardEvent   = metrics.TypeOf[shardyfusion.ShardWriteCompleted]()
	getEvent     = metrics.TypeOf[shardyfusion.ReaderGet]()
	shardValue   = shardyfusion.ShardWriteCompleted{Elapsed: 3 * time.Second, DBID: 3, Rows: 5000, Duration: 1500 * time.Millisecond}
	getValue     = shardyfusion.ReaderGet{Duration: 700 * time.Microsecond, Found: true}
	shardPayload = shardEvent.Pack(shardValue)
)

// BenchmarkEmitNop is the floor of a backend: one Collector.Emit call that
// does nothing, with a packed payload.
func BenchmarkEmitNop(b *testing.B) {
	c := metrics.Nop
	ctx := context.Background()
	ev := shardEvent.Event()
	b.ReportAllocs()
	for b.Loop() {
		c.Emit(ctx, ev, shardPayload)
	}
}

// BenchmarkEmitTypedNop is what an application pays to emit into Nop: the
// struct packed into the Payload, then the interface call.
func BenchmarkEmitTypedNop(b *testing.B) {
	c := metrics.Nop
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		shardEvent.Emit(ctx, c, shardValue)
	}
}

// BenchmarkEmitByTypeNop is metrics.Emit, which finds the declaration by
// the struct's type on every call, into Nop.
func BenchmarkEmitByTypeNop(b *testing.B) {
	c := metrics.Nop
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		metrics.Emit(ctx, c, shardValue)
	}
}

// BenchmarkInterfaceCallFloor is the machine's floor for BenchmarkEmitNop, in
// the same run: an interface call to an empty method with the same context
// and event but no Payload. EmitNop minus this is what passing the 128-byte
// Payload by value costs. On the shared 2-core machines here the floor alone
// measured 2.1 to 3.8 ns across runs of one day, so compare the two, not
// either with a fixed figure.
//
// The callee is read from a package-level variable, as metrics.Nop is: the
// compiler cannot prove its concrete type, so it makes a real interface call
// (a local variable holding &floorNop{} is devirtualized and inlined away,
// which once made this floor read 0.25 ns).
func BenchmarkInterfaceCallFloor(b *testing.B) {
	ctx := context.Background()
	ev := shardEvent.Event()
	b.ReportAllocs()
	for b.Loop() {
		floorTarget.Call(ctx, ev)
	}
}

var floorTarget floorCaller = &floorNop{}

type floorCaller interface {
	Call(ctx context.Context, ev metrics.Event)
}

type floorNop struct{}

func (*floorNop) Call(context.Context, metrics.Event) {}

// BenchmarkEmitMulti3Nop is the cost of fan-out with panic isolation.
func BenchmarkEmitMulti3Nop(b *testing.B) {
	c := metrics.Multi(metrics.Nop, metrics.Nop, metrics.Nop)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.Emit(ctx, shardEvent.Event(), shardPayload)
	}
}

// BenchmarkEmitRecorder records into a slice that is reset now and then so
// that memory stays bounded.
func BenchmarkEmitRecorder(b *testing.B) {
	r := metrics.NewRecorder()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		shardEvent.Emit(ctx, r, shardValue)
		if i++; i == 1<<16 {
			r.Reset()
			i = 0
		}
	}
}

var walkSink float64

// BenchmarkPayloadWalk walks every field of an event as the log backends do.
func BenchmarkPayloadWalk(b *testing.B) {
	d := shardEvent.Descriptor()
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range d.Fields {
			walkSink += shardPayload.Number(f)
		}
	}
}
