package metrics_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// allInts and allKinds have one field of every supported Go type between
// them.
type allInts struct {
	I   int
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	U8  uint8
	U16 uint16
}

type allKinds struct {
	I    int
	U32  uint32
	F32  float32
	F64  float64
	B    bool
	D    time.Duration `milestone:"d_ms"`
	S    string
	L    string `milestone:"l,label,values=a|b"`
	skip int
	Gone int `milestone:"-"`
}

var testCatalog = metrics.MustNewCatalog("metrics_test")

func TestDeclareRejectsBrokenRules(t *testing.T) {
	type tooManyNumbers struct{ A, B, C, D, E, F, G, H int }
	type tooManyStrings struct{ A, B, C, D, E string }
	type badType struct{ U uint64 }
	type badDuration struct{ Wait time.Duration }
	type labelWithoutBound struct {
		S string `milestone:"s,label"`
	}
	type labelNotString struct {
		N int `milestone:"n,label,cap=3"`
	}
	type dupName struct {
		A int `milestone:"x"`
		B int `milestone:"x"`
	}
	type badOption struct {
		A int `milestone:"a,sorted"`
	}
	type overflowDeclared struct {
		S string `milestone:"s,label,values=ok|other"`
	}
	type reservedLabel struct {
		S string `milestone:"le,label,cap=2"`
	}
	type twoElapsed struct {
		A time.Duration `milestone:"a_ms,elapsed"`
		B time.Duration `milestone:"b_ms,elapsed"`
	}
	type ok struct {
		N   int
		D   time.Duration `milestone:"d_ms"`
		Lbl string        `milestone:"lbl,label,cap=2"`
		S   string
	}
	counter := []metrics.Instrument{metrics.Count("oks_total", "Oks.")}
	spec := func(wire string, in ...metrics.Instrument) metrics.Spec {
		if in == nil {
			in = counter
		}
		return metrics.Spec{Code: 900, Wire: wire, Group: "g", Help: "h", Instruments: in}
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"too many numbers", declareErr[tooManyNumbers](spec("a.b")), "at most 7"},
		{"too many strings", declareErr[tooManyStrings](spec("a.b")), "at most 7 and 4"},
		{"unsupported type", declareErr[badType](spec("a.b")), "type uint64 is not supported"},
		{"duration without unit", declareErr[badDuration](spec("a.b")), "must end in _ms, _s or _seconds"},
		{"label without bound", declareErr[labelWithoutBound](spec("a.b")), "needs values=a|b|c"},
		{"label not a string", declareErr[labelNotString](spec("a.b")), "a label must be a string"},
		{"duplicate name", declareErr[dupName](spec("a.b")), `"x" used twice`},
		{"unknown option", declareErr[badOption](spec("a.b")), `unknown tag option "sorted"`},
		{"overflow declared", declareErr[overflowDeclared](spec("a.b")), "overflow value"},
		{"reserved label", declareErr[reservedLabel](spec("a.b")), "reserved by Prometheus"},
		{"two elapsed fields", declareErr[twoElapsed](spec("a.b")), "same timing role"},
		{"not a struct", declareErr[int](spec("a.b")), "must be a struct"},
		{"bad wire", declareErr[ok](spec("A.B")), "wire name"},
		{"no instruments", declareErr[ok](metrics.Spec{Code: 900, Wire: "a.b", Group: "g", Help: "h"}), "at least one instrument"},
		{"no help", declareErr[ok](metrics.Spec{Code: 900, Wire: "a.b", Group: "g", Instruments: counter}), "Help are required"},
		{"code 0", declareErr[ok](metrics.Spec{Wire: "a.b", Group: "g", Help: "h", Instruments: counter}), "code 0"},
		{"template field", declareErr[ok](metrics.Spec{Code: 900, Wire: "a.b", Group: "g", Help: "h", Message: "{nope}", Instruments: counter}), "{nope} is not a field"},
		{"template brace", declareErr[ok](metrics.Spec{Code: 900, Wire: "a.b", Group: "g", Help: "h", Message: "oops {n", Instruments: counter}), "unclosed"},
		{"counter name", declareErr[ok](spec("a.b", metrics.Count("oks", "Oks."))), "ends in _total"},
		{"counter of a string", declareErr[ok](spec("a.b", metrics.Sum("oks_total", "Oks.", "s"))), "adds an int field"},
		{"missing value field", declareErr[ok](spec("a.b", metrics.Sum("oks_total", "Oks.", "nope"))), `field "nope"`},
		{"histogram of an int", declareErr[ok](spec("a.b", metrics.Hist("n_seconds", "N.", "n", []float64{1}))), "observes a duration"},
		{"histogram buckets", declareErr[ok](spec("a.b", metrics.Hist("d_seconds", "D.", "d_ms", []float64{2, 1}))), "strictly increasing"},
		{"label not a label", declareErr[ok](spec("a.b", metrics.Count("oks_total", "Oks.", "s"))), `label "s" is not a label field`},
		{"condition not bool", declareErr[ok](spec("a.b", metrics.CountIf("oks_total", "Oks.", "n", true))), "not a bool field"},
		{"nil catalog", func() error { _, err := metrics.Declare[ok](nil, spec("a.b")); return err }(), "nil catalog"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
		// Every error names the event's type and wire name.
		if c.err != nil && c.name != "nil catalog" && !strings.Contains(c.err.Error(), "metrics: Declare[") {
			t.Errorf("%s: error %q does not name the declaration", c.name, c.err)
		}
	}
}

func declareErr[T any](s metrics.Spec) error {
	_, err := metrics.Declare[T](testCatalog, s)
	return err
}

type twiceA struct{ N int }
type twiceB struct{ N int }

func TestDeclareRejectsReuse(t *testing.T) {
	cat := metrics.MustNewCatalog("metrics_test_reuse")
	spec := metrics.Spec{Code: 1, Wire: "a.one", Group: "g", Help: "h",
		Instruments: []metrics.Instrument{metrics.Count("ones_total", "Ones.")}}
	if _, err := metrics.Declare[twiceA](cat, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.Declare[twiceA](cat, metrics.Spec{Code: 2, Wire: "a.two", Group: "g", Help: "h", Instruments: spec.Instruments}); err == nil || !strings.Contains(err.Error(), "already declared as a.one") {
		t.Errorf("declaring a type twice: %v", err)
	}
	if _, err := metrics.Declare[twiceB](cat, metrics.Spec{Code: 1, Wire: "a.two", Group: "g", Help: "h", Instruments: spec.Instruments}); err == nil || !strings.Contains(err.Error(), "code 1 is already used by event a.one") {
		t.Errorf("reusing a code: %v", err)
	}
	if _, err := metrics.Declare[twiceB](cat, metrics.Spec{Code: 2, Wire: "a.one", Group: "g", Help: "h", Instruments: spec.Instruments}); err == nil || !strings.Contains(err.Error(), `wire name "a.one" is already used by the event of code 1`) {
		t.Errorf("reusing a wire name: %v", err)
	}
	if _, err := metrics.Declare[twiceB](cat, metrics.Spec{Code: 2, Wire: "a.two", Group: "g", Help: "h",
		Instruments: []metrics.Instrument{metrics.Count("ones_total", "Other help.")}}); err == nil || !strings.Contains(err.Error(), "declared differently") {
		t.Errorf("redeclaring an instrument differently: %v", err)
	}
	if _, err := metrics.NewCatalog("metrics_test_reuse"); err == nil {
		t.Error("NewCatalog accepted a namespace in use")
	}
	if _, err := metrics.NewCatalog("Bad-Name"); err == nil || !strings.Contains(err.Error(), "snake_case") {
		t.Errorf("NewCatalog(Bad-Name): %v", err)
	}
	// Nothing was declared by the failures.
	if n := len(cat.Descriptors()); n != 1 {
		t.Errorf("the catalog has %d events after failed declarations, want 1", n)
	}
}

var allKindsEvent = metrics.MustDeclare[allKinds](testCatalog, metrics.Spec{
	Code: 1, Wire: "test.all_kinds", Group: "test", Help: "Every kind.",
	Message:     "{{i}}={i} f={f64} b={b} d={d_ms}ms s={s} l={l}",
	Instruments: []metrics.Instrument{metrics.Count("all_kinds_total", "All kinds.", "l")},
})

var allIntsEvent = metrics.MustDeclare[allInts](testCatalog, metrics.Spec{
	Code: 4, Wire: "test.all_ints", Group: "test", Help: "Every integer.",
	Instruments: []metrics.Instrument{metrics.Sum("all_ints_total", "All ints.", "i64")},
})

func TestPackUnpackRoundTripsEveryKind(t *testing.T) {
	ints := allInts{I: -1 << 40, I8: -8, I16: -16000, I32: -1 << 30, I64: math.MinInt64, U8: 255, U16: 65535}
	if got := allIntsEvent.Unpack(allIntsEvent.Pack(ints)); got != ints {
		t.Errorf("Unpack(Pack(ints)) = %+v, want %+v", got, ints)
	}
	i64, _ := allIntsEvent.Descriptor().Field("i64")
	if p := allIntsEvent.Pack(ints); p.Int(i64) != math.MinInt64 {
		t.Errorf("Int(i64) = %d", p.Int(i64))
	}
	v := allKinds{
		I: -1 << 40, U32: math.MaxUint32, F32: 1.5, F64: -math.Pi, B: true,
		D: 1500 * time.Microsecond, S: "plain", L: "zzz", skip: 7, Gone: 9,
	}
	p := allKindsEvent.Pack(v)
	got := allKindsEvent.Unpack(p)
	v.skip, v.Gone = 0, 0 // not fields of the event
	if got != v {
		t.Errorf("Unpack(Pack(v)) = %+v, want %+v", got, v)
	}
	d := allKindsEvent.Descriptor()
	if n := len(d.Fields); n != 8 {
		t.Fatalf("%d fields, want 8 (unexported and \"-\" fields are left out)", n)
	}
	l, _ := d.Field("l")
	if p.Str(l) != "zzz" || l.Label.Value(p.LabelIndex(l)) != metrics.OverflowValue {
		t.Errorf("label l = %q at index %d, want the original kept and the index at overflow", p.Str(l), p.LabelIndex(l))
	}
	dm, _ := d.Field("d_ms")
	if dm.Unit != metrics.Millis || p.Number(dm) != 1.5 || p.Seconds(dm) != 0.0015 {
		t.Errorf("d_ms: unit %v, number %v, seconds %v", dm.Unit, p.Number(dm), p.Seconds(dm))
	}
	if msg := d.Render(&p); msg != "{i}=-1099511627776 f=-3.141592653589793 b=true d=1.5ms s=plain l=zzz" {
		t.Errorf("Render = %q", msg)
	}
	if names := fieldNames(d); names != "i u32 f32 f64 b d_ms s l" {
		t.Errorf("field names %q", names)
	}
}

func fieldNames(d *metrics.Descriptor) string {
	var s []string
	for _, f := range d.Fields {
		s = append(s, f.Name)
	}
	return strings.Join(s, " ")
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"DBID": "db_id", "NodeID": "node_id", "HTTPStatus": "http_status", "RowsIn": "rows_in",
		"Rows": "rows", "ID": "id", "BytesWritten": "bytes_written", "WallTimeS": "wall_time_s", "F64": "f64",
	} {
		if got := metrics.SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

type capped struct {
	Kind string `milestone:"kind,label,cap=3"`
}

var cappedEvent = metrics.MustDeclare[capped](testCatalog, metrics.Spec{
	Code: 2, Wire: "test.capped", Group: "test", Help: "A capped label.",
	Instruments: []metrics.Instrument{metrics.Count("capped_total", "Capped.", "kind")},
})

func TestCappedLabelAdmitsCapValuesThenOverflows(t *testing.T) {
	d := cappedEvent.Descriptor()
	f, _ := d.Field("kind")
	before := f.Label.Overflows()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1250 {
				cappedEvent.Pack(capped{Kind: string(rune('a' + (g*1250+i)%26))})
			}
		}()
	}
	wg.Wait()
	if f.Label.Size() != 4 || f.Label.Overflow() != 3 {
		t.Errorf("Size %d, Overflow %d; want 4 and 3", f.Label.Size(), f.Label.Overflow())
	}
	seen := map[string]bool{}
	for i := range 3 {
		seen[f.Label.Value(i)] = true
	}
	if len(seen) != 3 || seen[metrics.OverflowValue] {
		t.Errorf("admitted values %v, want 3 distinct", seen)
	}
	// 10,000 packs of 26 letters: exactly the packs of the 23 letters not
	// admitted overflowed.
	var admitted int
	for g := range 8 {
		for i := range 1250 {
			if seen[string(rune('a'+(g*1250+i)%26))] {
				admitted++
			}
		}
	}
	if got := f.Label.Overflows() - before; got != uint64(10000-admitted) {
		t.Errorf("%d overflows, want %d", got, 10000-admitted)
	}
	p := cappedEvent.Pack(capped{Kind: f.Label.Value(1)})
	if p.LabelIndex(f) != 1 {
		t.Errorf("an admitted value maps to index %d, want 1", p.LabelIndex(f))
	}
}

func TestEmitAndTimingHelpersAllocateNothing(t *testing.T) {
	ctx := context.Background()
	runCtx, run := metrics.StartRun(ctx, metrics.Nop)
	allocs := testing.AllocsPerRun(200, func() {
		metrics.Emit(ctx, metrics.Nop, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000})
		allKindsEvent.Emit(ctx, metrics.Nop, allKinds{S: "x", L: "a"})
		_, step := run.Step(ctx) // no run or span in ctx: a step with no identity
		metrics.End(ctx, step, shardyfusion.ReaderGet{Found: true})
		metrics.Emit(runCtx, run, shardyfusion.WriteStarted{})
	})
	if allocs != 0 {
		t.Errorf("Emit and a step outside any run allocated %v times", allocs)
	}
	// A step in a run costs one allocation: its context.
	allocs = testing.AllocsPerRun(200, func() {
		sctx, step := run.Step(runCtx)
		metrics.End(sctx, step, shardyfusion.ReaderGet{Found: true})
	})
	if allocs != 1 {
		t.Errorf("a step in a run allocated %v times, want 1 (its context)", allocs)
	}
}

func TestEmitOfAnUndeclaredTypeIsCounted(t *testing.T) {
	type undeclared struct{ N int }
	rec := metrics.NewRecorder()
	before := metrics.Undeclared()
	metrics.Emit(context.Background(), rec, undeclared{N: 1})
	if rec.Len() != 0 || metrics.Undeclared() != before+1 {
		t.Errorf("an undeclared event: %d recorded, Undeclared +%d", rec.Len(), metrics.Undeclared()-before)
	}
}

// TestUnknownFieldIsACompileError proves the guarantee typed events exist
// for: a field the event does not declare, or a value of the wrong type, does
// not build.
func TestUnknownFieldIsACompileError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"unknown field": `metrics.Emit(ctx, metrics.Nop, shardyfusion.ShardWriteCompleted{DBID: 3, Rowz: 5})`,
		"wrong type":    `metrics.Emit(ctx, metrics.Nop, shardyfusion.ShardWriteCompleted{DBID: "three"})`,
	}
	wantErr := map[string]string{
		"unknown field": "unknown field Rowz in struct literal of type shardyfusion.ShardWriteCompleted",
		"wrong type":    `cannot use "three"`,
	}
	for name, stmt := range cases {
		dir := t.TempDir()
		gomod := "module snippet\n\ngo 1.24\n\nrequire github.com/milestone-go/milestone v0.0.0\n\nreplace github.com/milestone-go/milestone => " + root + "\n"
		src := "package main\n\nimport (\n\t\"context\"\n\n\t\"github.com/milestone-go/milestone/metrics\"\n\t\"github.com/milestone-go/milestone/metrics/shardyfusion\"\n)\n\nfunc main() {\n\tctx := context.Background()\n\t" + stmt + "\n}\n"
		writeFile(t, filepath.Join(dir, "go.mod"), gomod)
		writeFile(t, filepath.Join(dir, "main.go"), src)
		cmd := exec.Command(gobin, "build", "-mod=mod", "-o", os.DevNull, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s: the snippet built", name)
			continue
		}
		if !strings.Contains(string(out), wantErr[name]) {
			t.Errorf("%s: compiler said\n%s\nwant it to contain %q", name, out, wantErr[name])
		}
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Two events of one catalog with a capped label of the same name share one
// value set: a value admitted by either has one index, and every event's
// payload maps to it.
type sharedFirst struct {
	Op string `milestone:"op,label,cap=8"`
}

type sharedSecond struct {
	Op string `milestone:"op,label,cap=8"`
}

// sharedEvents declares the two events once, when the test first runs: at
// package level, other tests that emit odd values into every declared
// event would fill the cap first.
var sharedEvents = sync.OnceValues(func() (*metrics.EventType[sharedFirst], *metrics.EventType[sharedSecond]) {
	cat := metrics.MustNewCatalog("sharedlabels")
	return metrics.MustDeclare[sharedFirst](cat, metrics.Spec{Code: 1, Wire: "first", Group: "g", Help: "h.",
			Instruments: []metrics.Instrument{metrics.Count("first_total", "h.", "op")}}),
		metrics.MustDeclare[sharedSecond](cat, metrics.Spec{Code: 2, Wire: "second", Group: "g", Help: "h.",
			Instruments: []metrics.Instrument{metrics.Count("second_total", "h.", "op")}})
})

func TestEventsSharingALabelResolveThroughOneSet(t *testing.T) {
	first, second := sharedEvents()
	f1, _ := first.Descriptor().Field("op")
	f2, _ := second.Descriptor().Field("op")
	if f1.Label != f2.Label {
		t.Fatal("the two events' op labels are different sets")
	}
	p1 := first.Pack(sharedFirst{Op: "scan"})
	p2 := second.Pack(sharedSecond{Op: "sink"})
	p3 := first.Pack(sharedFirst{Op: "sink"})
	for _, c := range []struct {
		p    metrics.Payload
		f    *metrics.Field
		want string
	}{{p1, f1, "scan"}, {p2, f2, "sink"}, {p3, f1, "sink"}} {
		if got := c.f.Label.Value(c.p.LabelIndex(c.f)); got != c.want {
			t.Errorf("payload of %q: label index %d is %q in the shared set", c.want, c.p.LabelIndex(c.f), got)
		}
	}
}
