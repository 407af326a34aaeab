package jsonlog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/logctx"
)

// checkFused compares, for one record, the line of the fused path (when it
// applies) and the line of the general fast path (when it applies) with the
// line of the general slow path, and reports whether the fused path applied.
func checkFused(t *testing.T, h *Handler, ctx context.Context, r slog.Record) bool {
	t.Helper()
	fctx := logctx.FromContext(ctx)
	var fr *fragment
	if fctx.Len() > 0 {
		fr = h.fragment(fctx)
	}
	var call []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		a.Value = a.Value.Resolve()
		call = append(call, a)
		return true
	})
	var x, y encoder
	h.encode(&x, &r, fctx, fr, true)
	h.encode(&y, &r, fctx, fr, false)
	if string(x.buf) != string(y.buf) {
		t.Fatalf("with and without the fused path:\nfused   %s\ngeneral %s", x.buf, y.buf)
	}
	fast := !h.slowOnly && len(call) <= maxFastAttrs
	if fast && h.format == Flat {
		fast = h.fastFlat(fr, call)
	} else if fast {
		fast = h.fastECS(fr, call)
	}
	if fast {
		var a, b encoder
		h.line(&a, &r, fctx, fr, call, true)
		h.line(&b, &r, fctx, nil, call, false)
		if string(a.buf) != string(b.buf) {
			t.Fatalf("fast and slow paths differ:\nfast %s\nslow %s", a.buf, b.buf)
		}
	}
	var a, b encoder
	if !h.fused {
		return false
	}
	if _, complete := h.fusedLine(&a, &r, fr); !complete {
		return false
	}
	h.line(&b, &r, fctx, nil, call, false)
	if string(a.buf) != string(b.buf) {
		t.Fatalf("fused and slow paths differ:\nfused %s\nslow  %s", a.buf, b.buf)
	}
	if _, _, err := parseLine(string(a.buf)); err != nil {
		t.Fatal(err)
	}
	return true
}

// The fused one-pass path writes what the general path writes, and gives up
// on every key it cannot prove free of collision.
func TestFusedPathAgrees(t *testing.T) {
	h, _ := newTest(t, Flat, nil)
	hSrc, _ := newTest(t, Flat, &Options{AddSource: true})
	hw := h.WithAttrs([]slog.Attr{slog.String("w", "1"), slog.Int("wide_key_9", 2)}).(*Handler)
	noTime, _ := newTest(t, Flat, &Options{Clock: func() time.Time { return time.Time{} }})
	ctx := logctx.With(context.Background(), "run_id", "r", "n", 3, "ctx_long_key", "x")
	tm := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("X", 3600))
	cases := []fusedCase{
		{"none", h, nil, true},
		{"kinds", h, []slog.Attr{slog.String("s", "a\"b\\c\n\xff\u2028é"), slog.Int("i", -7), slog.Uint64("u", math.MaxUint64),
			slog.Float64("f", 12.5), slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(-1)), slog.Float64("big", 1e300),
			slog.Bool("b", false), slog.Duration("d", 3*time.Second), slog.Time("t", tm)}, true},
		{"key lengths", h, []slog.Attr{slog.Int("a", 1), slog.Int("ab", 2), slog.Int("abcdefg", 3), slog.Int("abcdefgh", 4),
			slog.Int("abcdefghi", 5), slog.Int("abcdefghijklmnopq", 6), slog.Int("bcdefgh", 7)}, true},
		{"no timestamp", noTime, []slog.Attr{slog.Int("a", 1), slog.String("ab", "x")}, true},
		{"source", hSrc, []slog.Attr{slog.Int("a", 1)}, true},
		{"with attrs", hw, []slog.Attr{slog.Int("a", 1)}, true},
		{"dup call key", h, []slog.Attr{slog.Int("a", 1), slog.Int("a", 2)}, false},
		{"dup long key", h, []slog.Attr{slog.Int("abcdefghij", 1), slog.Int("abcdefghij", 2)}, false},
		{"ctx key", h, []slog.Attr{slog.Int("n", 1)}, false},
		{"ctx long key", h, []slog.Attr{slog.Int("ctx_long_key", 1)}, false},
		{"with key", hw, []slog.Attr{slog.Int("w", 1)}, false},
		{"with long key", hw, []slog.Attr{slog.Int("wide_key_9", 1)}, false},
		{"reserved", h, []slog.Attr{slog.Int("level", 1)}, false},
		{"reserved long", h, []slog.Attr{slog.Int("timestamp", 1)}, false},
		{"source key, no AddSource", h, []slog.Attr{slog.Int("source", 1)}, true},
		{"source key, AddSource", hSrc, []slog.Attr{slog.Int("source", 1)}, false},
		{"quote key", h, []slog.Attr{slog.Int("a\"", 1)}, false},
		{"unicode key", h, []slog.Attr{slog.Int("dur\u00e9e", 1)}, false},
		{"invalid key", h, []slog.Attr{slog.Int("a\xffbcdefghij", 1)}, false},
		{"control key", h, []slog.Attr{slog.Int("a\nb", 1)}, false},
		{"empty key", h, []slog.Attr{slog.Int("", 1)}, false},
		{"error", h, []slog.Attr{slog.Int("a", 1), slog.Any("e", io.EOF)}, true},
		{"error not last", h, []slog.Attr{slog.Any("e", io.EOF), slog.Int("a", 1)}, false},
		{"error escaped", h, []slog.Attr{slog.Any("err", errors.New("bad \"x\"\n\xff"))}, true},
		{"error that panics", h, []slog.Attr{slog.Any("err", panicError{})}, true},
		{"error marshaler", h, []slog.Attr{slog.Any("err", jsonError{})}, false},
		{"nil any", h, []slog.Attr{slog.Any("e", nil)}, false},
		{"any", h, []slog.Attr{slog.Int("a", 1), slog.Any("v", []int{1})}, false},
		{"any then more", h, []slog.Attr{slog.Int("a", 1), slog.Any("e", io.EOF), slog.String("level", "x"), slog.Int("z", 2)}, false},
		{"any then dup", h, []slog.Attr{slog.Int("a", 1), slog.Any("e", io.EOF), slog.Int("a", 2)}, false},
		{"unicode then ctx key", h, []slog.Attr{slog.Int("a", 1), slog.Int("é", 1), slog.Int("n", 2)}, false},
		{"valuer first", h, []slog.Attr{slog.Any("v", valuer{}), slog.Int("a", 1)}, false},
		{"valuer group", h, []slog.Attr{slog.Int("a", 1), slog.Any("v", groupValuer{}), slog.Int("b", 1)}, false},
		{"group", h, []slog.Attr{slog.Group("g", slog.Int("a", 1))}, false},
		{"valuer", h, []slog.Attr{slog.Any("v", valuer{})}, false},
	}
	checkFusedCases(t, ctx, append(cases, manyAttrCases(h)...))
	r := slog.NewRecord(fixedTime, slog.LevelWarn, "m", 0)
	if !checkFused(t, h.WithAttrs([]slog.Attr{slog.Int("a", 0)}).(*Handler), ctx, r) {
		t.Error("fused path did not apply with a WithAttrs attribute")
	}
	if g := h.WithGroup("g").(*Handler); g.fused {
		t.Error("fused path enabled inside a group")
	}
	if e, _ := newTest(t, ECS, nil); !e.fused || e.WithGroup("g").(*Handler).fused {
		t.Error("fused path not enabled for ECS, or enabled inside a group")
	}
	// a With key colliding with a context key disables it for that context
	hn := h.WithAttrs([]slog.Attr{slog.Int("n", 1)}).(*Handler)
	if checkFused(t, hn, ctx, r) {
		t.Error("fused path applied despite a With/context collision")
	}
}

// TestFusedPathCallsErrorOnce: whether the fused path writes an error or
// gives up on its record, the error's Error method runs once per line.
func TestFusedPathCallsErrorOnce(t *testing.T) {
	h, _ := newTest(t, Flat, nil)
	for name, attrs := range map[string]func(error) []slog.Attr{
		"alone":                 func(err error) []slog.Attr { return []slog.Attr{slog.Any("e", err)} },
		"last":                  func(err error) []slog.Attr { return []slog.Attr{slog.Int("a", 1), slog.Any("e", err)} },
		"first, then collision": func(err error) []slog.Attr { return []slog.Attr{slog.Any("e", err), slog.Int("level", 1)} },
		"collision, then last":  func(err error) []slog.Attr { return []slog.Attr{slog.Int("level", 1), slog.Any("e", err)} },
		"first, then group":     func(err error) []slog.Attr { return []slog.Attr{slog.Any("e", err), slog.Group("g", slog.Int("a", 1))} },
		// a call key equal to a context key sends the line to the slow path
		"first, then context key": func(err error) []slog.Attr { return []slog.Attr{slog.Any("e", err), slog.Int("n", 2)} },
	} {
		calls := 0
		r := slog.NewRecord(fixedTime, slog.LevelError, "m", 0)
		r.AddAttrs(attrs(countingError{&calls})...)
		if err := h.Handle(logctx.With(context.Background(), "n", 1), r); err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Errorf("%s: Error called %d times, want 1", name, calls)
		}
	}
}

// TestFusedOverLimitLineWithError: a fused line over the limit goes
// straight to the limited encoding, so an error's Error runs twice, as it
// does for any over-long line of the general path (once per encoding), not
// three times.
func TestFusedOverLimitLineWithError(t *testing.T) {
	h, buf := newTest(t, Flat, &Options{MaxLineBytes: MinMaxLineBytes})
	calls := 0
	// the message is cut to half the line, leaving room for the attributes
	r := slog.NewRecord(fixedTime, slog.LevelError, strings.Repeat("x", 2*MinMaxLineBytes), 0)
	r.AddAttrs(slog.Int("a", 1), slog.Any("e", countingError{&calls}))
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	m := one(t, buf.String(), Flat)
	if calls != 2 || buf.Len() > MinMaxLineBytes || m["_truncated"] != true || m["e"] != "counted" {
		t.Errorf("Error called %d times (want 2); line of %d bytes: %s", calls, buf.Len(), buf.String())
	}
}

// countingError counts the calls to its Error method.
type countingError struct{ calls *int }

func (e countingError) Error() string { *e.calls++; return "counted" }

// jsonError is an error that marshals itself, so it is written as JSON.
type jsonError struct{}

func (jsonError) Error() string                { return "json error" }
func (jsonError) MarshalJSON() ([]byte, error) { return []byte(`{"code":7}`), nil }

// The ECS fused path writes what the general path writes, and gives up on
// every key that could collide under the ECS rules: equal keys, a key that
// is a dotted prefix of another, reserved keys, and an "error" error.
func TestFusedECSPathAgrees(t *testing.T) {
	h, _ := newTest(t, ECS, &Options{ServiceName: "svc"})
	hSrc, _ := newTest(t, ECS, &Options{AddSource: true})
	hw := h.WithAttrs([]slog.Attr{slog.String("w", "1"), slog.Int("with.deep", 2)}).(*Handler)
	noTime, _ := newTest(t, ECS, &Options{Clock: func() time.Time { return time.Time{} }})
	named := h.WithLoggerName("app.writer")
	ctx := logctx.With(context.Background(), "run_id", "r", "n", 3, "ctx.key", "x")
	tm := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("X", 3600))
	cases := []fusedCase{
		{"none", h, nil, true},
		{"kinds", h, []slog.Attr{slog.String("s", "a\"b\\c\n\xff\u2028é"), slog.Int("i", -7), slog.Uint64("u", math.MaxUint64),
			slog.Float64("f", 12.5), slog.Float64("nan", math.NaN()), slog.Bool("b", false), slog.Duration("d", 3*time.Second),
			slog.Time("t", tm)}, true},
		{"dotted siblings", h, []slog.Attr{slog.String("http.request.method", "GET"), slog.Int("http.response.status_code", 200)}, true},
		{"named", named.(*Handler), []slog.Attr{slog.Int("a", 1)}, true},
		{"no timestamp", noTime, []slog.Attr{slog.Int("a", 1)}, true},
		{"source", hSrc, []slog.Attr{slog.Int("a", 1)}, true},
		{"with attrs", hw, []slog.Attr{slog.Int("a", 1), slog.Int("with.other", 1)}, true},
		{"error last", h, []slog.Attr{slog.Int("a", 1), slog.Any("err", io.EOF)}, true},
		{"error string", h, []slog.Attr{slog.String("error", "boom")}, false}, // error is an ECS object
		{"ECS field that fits", h, []slog.Attr{slog.Int("process.pid", 42), slog.String("host.name", "web-1")}, true},
		{"ECS field that does not fit", h, []slog.Attr{slog.String("process.pid", "x")}, false},
		{"child of an ECS leaf", h, []slog.Attr{slog.String("host.name.first", "x")}, false},
		{"error error", h, []slog.Attr{slog.Any("error", io.EOF)}, false},
		{"error not last", h, []slog.Attr{slog.Any("err", io.EOF), slog.Int("a", 1)}, false},
		{"dup", h, []slog.Attr{slog.Int("a", 1), slog.Int("a", 2)}, false},
		{"prefix after", h, []slog.Attr{slog.Int("a", 1), slog.Int("a.b", 2)}, false},
		{"prefix before", h, []slog.Attr{slog.Int("a.b", 1), slog.Int("a", 2)}, false},
		{"ctx key", h, []slog.Attr{slog.Int("n", 1)}, false},
		{"ctx prefix", h, []slog.Attr{slog.Int("ctx", 1)}, false},
		{"under ctx key", h, []slog.Attr{slog.Int("n.m", 1)}, false},
		{"with key", hw, []slog.Attr{slog.Int("w", 1)}, false},
		{"with prefix", hw, []slog.Attr{slog.Int("with", 1)}, false},
		{"under with key", hw, []slog.Attr{slog.Int("w.x", 1)}, false},
		{"message", h, []slog.Attr{slog.Int("message", 1)}, false},
		{"log.level", h, []slog.Attr{slog.Int("log.level", 1)}, false},
		{"@timestamp", h, []slog.Attr{slog.Int("@timestamp", 1)}, false},
		{"service.name", h, []slog.Attr{slog.String("service.name", "x")}, false},
		{"source key", hSrc, []slog.Attr{slog.String("log.origin.function", "x")}, false},
		{"unicode key", h, []slog.Attr{slog.Int("dur\u00e9e", 1)}, false},
		{"empty key", h, []slog.Attr{slog.Int("", 1)}, false},
		{"group", h, []slog.Attr{slog.Group("g", slog.Int("a", 1))}, false},
		{"any", h, []slog.Attr{slog.Any("v", []int{1})}, false},
		{"valuer", h, []slog.Attr{slog.Any("v", valuer{})}, false},
	}
	checkFusedCases(t, ctx, append(cases, manyAttrCases(h)...))
	// a With key that is a prefix of a context key disables it for that context
	hc := h.WithAttrs([]slog.Attr{slog.Int("ctx", 1)}).(*Handler)
	if checkFused(t, hc, ctx, slog.NewRecord(fixedTime, slog.LevelInfo, "m", 0)) {
		t.Error("fused path applied despite a With/context prefix conflict")
	}
}

// fusedCase is a record's call-site attributes, logged through h, and
// whether the fused path should write it.
type fusedCase struct {
	name  string
	h     *Handler
	attrs []slog.Attr
	fused bool
}

// checkFusedCases runs checkFused on every case, in ctx and in an empty
// context (where a case the fused path writes must stay fused).
func checkFusedCases(t *testing.T, ctx context.Context, cases []fusedCase) {
	t.Helper()
	for _, c := range cases {
		r := slog.NewRecord(fixedTime, slog.LevelWarn, "m\"sg", 0)
		r.AddAttrs(c.attrs...)
		if got := checkFused(t, c.h, ctx, r); got != c.fused {
			t.Errorf("%s: fused path applied = %v, want %v", c.name, got, c.fused)
		}
		if got := checkFused(t, c.h, context.Background(), r); c.fused && !got {
			t.Errorf("%s: fused path did not apply without context", c.name)
		}
	}
}

// manyAttrCases: one attribute more than the fused path takes, and exactly
// as many.
func manyAttrCases(h *Handler) []fusedCase {
	many := make([]slog.Attr, maxFastAttrs+1)
	for i := range many {
		many[i] = slog.Int(strings.Repeat("k", i+1), i)
	}
	return []fusedCase{{"too many", h, many, false}, {"sixteen", h, many[:maxFastAttrs], true}}
}

type groupValuer struct{}

func (groupValuer) LogValue() slog.Value { return slog.GroupValue(slog.Int("a", 1)) }

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.IntValue(1) }

// A line the fused path writes longer than MaxLineBytes is truncated like
// any other.
func TestFusedPathTruncates(t *testing.T) {
	h, buf := newTest(t, Flat, &Options{MaxLineBytes: MinMaxLineBytes})
	slog.New(h).Info("m", "a", strings.Repeat("x", 2*MinMaxLineBytes))
	if buf.Len() > MinMaxLineBytes {
		t.Fatalf("line of %d bytes", buf.Len())
	}
	m := one(t, buf.String(), Flat)
	if m[truncatedKey] != true || !strings.HasSuffix(m["a"].(string), TruncationMarker) {
		t.Fatalf("not truncated: %s", buf)
	}
	if h.Stats().Truncated != 1 {
		t.Fatalf("Truncated = %d", h.Stats().Truncated)
	}
}

// The fused path reaches the writer with the same bytes as the general path
// through slog.Logger.
func TestFusedPathThroughLogger(t *testing.T) {
	var a, b bytes.Buffer
	ha := NewHandler(&a, &Options{Clock: fixedClock})
	hb := NewHandler(&b, &Options{Clock: fixedClock})
	hb.fused = false
	ctx := logctx.With(context.Background(), "run_id", "r")
	for _, h := range []*Handler{ha, hb} {
		l := slog.New(h)
		l.InfoContext(ctx, "done", "db_id", 7, "found", true, "x", 1.25)
		l.InfoContext(ctx, "dup", "run_id", "call-wins")
	}
	if a.String() != b.String() {
		t.Fatalf("fused:\n%s\ngeneral:\n%s", a.String(), b.String())
	}
	if !strings.Contains(a.String(), `"run_id":"call-wins"`) || strings.Count(a.String(), `"run_id"`) != 2 {
		t.Fatalf("collision not resolved: %s", a.String())
	}
}

// TestFusedKeyHashAgrees: the fused path's one-pass key check and hash
// give what plainFlatKey and flatHash give, for every short key shape.
func TestFusedKeyHashAgrees(t *testing.T) {
	alphabet := []string{"a", "Z", "_", ".", " ", "\"", "\\", "\x00", "\x7f", "é", "0"}
	var keys []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		keys = append(keys, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 3)
	for _, k := range keys {
		for _, pad := range []string{"", "bcd", "bcdefg", "bcdefghij", "bcdefghijklmn", "bcdefghijklmnopqrstu"} {
			key := pad + k
			h, plain := fusedKeyHash(key)
			if plain != plainFlatKey(key) || (plain && h != flatHash(key)) {
				t.Fatalf("fusedKeyHash(%q) = %x, %v; plainFlatKey %v, flatHash %x", key, h, plain, plainFlatKey(key), flatHash(key))
			}
		}
	}
}

// plainFlatKey is the byte-by-byte statement of what fusedKeyHash checks:
// non-empty ASCII that JSON writes as it is, no dot, not starting with a
// space.
func plainFlatKey(k string) bool {
	if k == "" || k[0] == ' ' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= utf8.RuneSelf || !jsonenc.SafeASCII[c] || c == '.' {
			return false
		}
	}
	return true
}
