package jsonlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"unicode/utf8"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/logctx"
)

var formats = []Format{Flat, ECS}

func newTest(t testing.TB, format Format, o *Options) (*Handler, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	opts := Options{Format: format, Clock: fixedClock, Level: slog.LevelDebug}
	if o != nil {
		opts = *o
		opts.Format = format
		if opts.Clock == nil {
			opts.Clock = fixedClock
		}
	}
	h, err := New(&buf, &opts)
	if err != nil {
		t.Fatal(err)
	}
	return h, &buf
}

func TestFlatLayout(t *testing.T) {
	h, buf := newTest(t, Flat, nil)
	l := slog.New(h.WithLoggerName("app.writer"))
	ctx := logctx.With(context.Background(), "run_id", "abc123")
	l.InfoContext(ctx, "manifest_published", "num_shards", 8)
	want := `{"timestamp":"2026-03-14T10:30:00.000Z","level":"INFO","logger":"app.writer","event":"manifest_published","run_id":"abc123","num_shards":8}` + "\n"
	if buf.String() != want {
		t.Fatalf("got  %s\nwant %s", buf, want)
	}
}

func TestECSLayout(t *testing.T) {
	h, buf := newTest(t, ECS, &Options{ServiceName: "writer"})
	l := slog.New(h.WithLoggerName("app.writer")).With("w", true).WithGroup("req")
	ctx := logctx.With(context.Background(), "run_id", "abc123")
	l.InfoContext(ctx, "manifest_published", "num_shards", 8, slog.Group("g", "x", 1.5))
	want := `{"@timestamp":"2026-03-14T10:30:00.000Z","log.level":"INFO","message":"manifest_published","ecs.version":"8.11.0","log.logger":"app.writer","service.name":"writer","run_id":"abc123","w":true,"req.num_shards":8,"req.g.x":1.5}` + "\n"
	if buf.String() != want {
		t.Fatalf("got  %s\nwant %s", buf, want)
	}
}

func TestOrderContextWithCall(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		ctx := logctx.With(context.Background(), "c1", 1, "c2", 2)
		slog.New(h).With("w1", 1).InfoContext(ctx, "m", "a1", 1)
		_, order, err := parseLine(buf.String())
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(order[len(order)-4:], ",")
		if got != "c1,c2,w1,a1" {
			t.Fatalf("%v: field order %s", f, got)
		}
	}
}

func TestLevels(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		l := slog.New(h)
		for _, lv := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, logctx.LevelCritical, slog.LevelError + 1, logctx.LevelCritical + 2} {
			l.Log(context.Background(), lv, "m")
		}
		key := "level"
		if f == ECS {
			key = "log.level"
		}
		var got []string
		for _, m := range lines(t, buf.String(), f) {
			got = append(got, m[key].(string))
		}
		if want := "DEBUG INFO WARN ERROR CRITICAL ERROR+1 CRITICAL+2"; strings.Join(got, " ") != want {
			t.Fatalf("%v: levels %v, want %s", f, got, want)
		}
	}
	h, _ := newTest(t, Flat, &Options{Level: slog.LevelWarn})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Fatal("Enabled ignores Options.Level")
	}
	h2 := NewHandler(&bytes.Buffer{}, nil)
	if h2.Enabled(context.Background(), slog.LevelDebug) || !h2.Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("default level is not INFO")
	}
}

// Robustness: reserved keys can never be overwritten or duplicated.
func TestReservedKeysRenamed(t *testing.T) {
	reserved := []string{"timestamp", "level", "logger", "event", "@timestamp", "log.level", "message", "ecs.version", "log.logger", "service.name", "_truncated", "source"}
	for _, f := range formats {
		for _, where := range []string{"ctx", "with", "call", "all"} {
			h, buf := newTest(t, f, &Options{ServiceName: "svc", AddSource: true})
			var args []any
			for _, k := range reserved {
				args = append(args, k, "user-"+k)
			}
			ctx := context.Background()
			var l *slog.Logger = slog.New(h.WithLoggerName("lg"))
			var call []any
			switch where {
			case "ctx":
				ctx = logctx.With(ctx, args...)
			case "with":
				l = l.With(args...)
			case "call":
				call = args
			case "all":
				ctx = logctx.With(ctx, args...)
				l = l.With(args...)
				call = args
			}
			l.InfoContext(ctx, "the-message", call...)
			m := one(t, buf.String(), f)
			var builtins map[string]string
			if f == Flat {
				builtins = map[string]string{"timestamp": "2026-03-14T10:30:00.000Z", "level": "INFO", "logger": "lg", "event": "the-message"}
				if _, ok := m["source"].(map[string]any); !ok {
					t.Fatalf("%v/%s: source overwritten: %v", f, where, m["source"])
				}
			} else {
				builtins = map[string]string{"@timestamp": "2026-03-14T10:30:00.000Z", "log.level": "INFO", "message": "the-message", "ecs.version": ECSVersion, "log.logger": "lg", "service.name": "svc"}
			}
			for k, v := range builtins {
				if m[k] != v {
					t.Fatalf("%v/%s: built-in %s = %v, want %s\n%s", f, where, k, m[k], v, buf)
				}
			}
			for _, k := range reserved {
				if _, isBuiltin := builtins[k]; !isBuiltin && k != "_truncated" && (k != "source" || f == ECS) {
					continue
				}
				if m[renamePrefix+k] != "user-"+k {
					t.Fatalf("%v/%s: renamed %s%s = %v\n%s", f, where, renamePrefix, k, m[renamePrefix+k], buf)
				}
			}
			if _, ok := m["_truncated"]; ok {
				t.Fatalf("%v/%s: user field written as _truncated", f, where)
			}
		}
	}
}

// Robustness: no line ever contains a duplicate key; call > With > context.
func TestNoDuplicateKeysPrecedence(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		outer := logctx.With(context.Background(), "k", "ctx-outer", "c", "c0", "only_ctx", 1)
		ctx := logctx.With(outer, "k", "ctx-inner", "c", "c1")
		l := slog.New(h).With("k", "with1", "w", "w0").With("w", "w1", "kw", "with")
		l.InfoContext(ctx, "m", "k", "call1", "k", "call2", "kw", "call")
		m := one(t, buf.String(), f)
		want := map[string]string{"k": "call2", "c": "c1", "only_ctx": "1", "w": "w1", "kw": "call"}
		for k, v := range want {
			if num(m[k]) != v {
				t.Fatalf("%v: %s = %v, want %s\n%s", f, k, m[k], v, buf)
			}
		}
		buf.Reset()
		slog.New(h).With("k", "with").InfoContext(ctx, "m")
		if m := one(t, buf.String(), f); m["k"] != "with" {
			t.Fatalf("%v: With must win over context: %s", f, buf)
		}
		buf.Reset()
		// a group named like a context field shadows it
		slog.New(h).WithGroup("c").InfoContext(ctx, "m", "x", 1)
		m = one(t, buf.String(), f)
		if f == Flat {
			if g, ok := m["c"].(map[string]any); !ok || num(g["x"]) != "1" {
				t.Fatalf("group did not win over the context field: %s", buf)
			}
		} else if num(m["c.x"]) != "1" || m["c.value"] != "c1" {
			t.Fatalf("ECS group vs field: %s", buf)
		}
		buf.Reset()
		// nested call groups with duplicate members
		slog.New(h).InfoContext(ctx, "m", slog.Group("g", "a", 1, "a", 2, slog.Group("", "a", 3)))
		m = one(t, buf.String(), f)
		if f == Flat {
			if g := m["g"].(map[string]any); num(g["a"]) != "3" {
				t.Fatalf("nested dup: %s", buf)
			}
		} else if num(m["g.a"]) != "3" {
			t.Fatalf("nested dup: %s", buf)
		}
	}
}

// Random mixes of keys over context scopes, With, groups and call sites
// never produce a duplicate key (nor, in ECS, a prefix conflict) and the
// precedence holds for top-level keys.
func TestNoDuplicateKeysRandom(t *testing.T) {
	keys := []string{"a", "b", "a.b", "level", "event", "message", "log", "error", "fields.level", "a.value", "", "g"}
	rnd := uint64(12345)
	next := func(n int) int {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return int(rnd % uint64(n))
	}
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		for iter := 0; iter < 3000; iter++ {
			buf.Reset()
			ctx := context.Background()
			for s := next(3); s > 0; s-- {
				ctx = logctx.With(ctx, keys[next(len(keys))], "ctx", keys[next(len(keys))], next(5))
			}
			var hh slog.Handler = h
			for s := next(3); s > 0; s-- {
				if next(3) == 0 {
					hh = hh.WithGroup(keys[next(len(keys))])
				} else {
					hh = hh.WithAttrs([]slog.Attr{slog.String(keys[next(len(keys))], "with")})
				}
			}
			var call []any
			for s := next(5); s > 0; s-- {
				switch next(4) {
				case 0:
					call = append(call, slog.Group(keys[next(len(keys))], keys[next(len(keys))], "grp"))
				case 1:
					call = append(call, keys[next(len(keys))], errors.New("e"))
				default:
					call = append(call, keys[next(len(keys))], "call")
				}
			}
			slog.New(hh).InfoContext(ctx, "m", call...)
			lines(t, buf.String(), f)
		}
	}
}

// The fast path (pre-encoded fragments) and the general slow path write the
// same line whenever the fast path applies.
func TestFastAndSlowPathsAgree(t *testing.T) {
	for _, f := range formats {
		h, _ := newTest(t, f, nil)
		ctx := logctx.With(context.Background(), "run_id", "r", "n", 3, "nested", slog.GroupValue(slog.Int("x", 1)), "level", "ctx-level")
		hs := []*Handler{
			h,
			h.WithAttrs([]slog.Attr{slog.String("w", "1"), slog.Float64("nan", math.NaN())}).(*Handler),
			h.WithGroup("g").(*Handler),
			h.WithAttrs([]slog.Attr{slog.Int("w", 1)}).WithGroup("g").WithAttrs([]slog.Attr{slog.Int("x", 2)}).WithGroup("h").(*Handler),
		}
		calls := [][]slog.Attr{
			nil,
			{slog.String("a", "\xff\n"), slog.Int("b", 2)},
			{slog.Group("grp", slog.Int("y", 1), slog.Group("deeper", slog.Bool("z", true))), slog.Group("empty")},
			{slog.Any("err", errors.New("boom")), slog.Any("level", 1)},
		}
		for hi, hh := range hs {
			for ci, call := range calls {
				r := slog.NewRecord(fixedTime, slog.LevelInfo, "msg", 0)
				r.AddAttrs(call...)
				t.Logf("%v handler %d call %d", f, hi, ci)
				checkFused(t, hh, ctx, r)
			}
		}
	}
}

func TestECSPrefixConflicts(t *testing.T) {
	h, buf := newTest(t, ECS, nil)
	ctx := logctx.With(context.Background(), "error", "ctx-error-text")
	logctx.Failure(ctx, slog.New(h), "upload_failed", logctx.Error, &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist})
	m := one(t, buf.String(), ECS)
	if m["fields.error"] != "ctx-error-text" || m["error.type"] != "*fs.PathError" || m["error.message"] != "open /x: file does not exist" {
		t.Fatalf("error conflict: %s", buf)
	}
	buf.Reset()
	slog.New(h).Info("m", "a", 1, "a.b", 2, "a.b.c", 3, "log", "x", "message.x", "y", "ecs", "z")
	m = one(t, buf.String(), ECS)
	want := map[string]string{"a.value": "1", "a.b.value": "2", "a.b.c": "3", "fields.log": "x", "fields.message.x": "y", "fields.ecs": "z"}
	for k, v := range want {
		if num(m[k]) != v {
			t.Fatalf("%s = %v, want %s: %s", k, m[k], v, buf)
		}
	}
	buf.Reset()
	slog.New(h).Error("m", "error", errors.New("boom"))
	m = one(t, buf.String(), ECS)
	if m["error.message"] != "boom" || m["error.type"] != "*errors.errorString" {
		t.Fatalf("ECS error fields: %s", buf)
	}
	buf.Reset()
	slog.New(h).WithGroup("log").Info("m", "level", "x")
	if m = one(t, buf.String(), ECS); m["log.level"] != "INFO" || m["fields.log.level"] != "x" {
		t.Fatalf("group under a built-in namespace: %s", buf)
	}
}

// Robustness: invalid UTF-8 becomes \ufffd.
func TestInvalidUTF8(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		ctx := logctx.With(context.Background(), "c\xfe", "v\xff")
		slog.New(h).With("w", "a\xc3").InfoContext(ctx, "m\xff", "k\xff", "x\xffy\u2028\x00\"\\")
		out := buf.String()
		m := one(t, out, f)
		if !strings.Contains(out, `:"x\ufffdy\u2028\u0000\"\\"`) || !utf8.ValidString(out) {
			t.Fatalf("%v: %s", f, out)
		}
		if m["c\ufffd"] != "v\ufffd" || m["w"] != "a\ufffd" {
			t.Fatalf("%v: %s", f, out)
		}
		if m["k\ufffd"] != "x\ufffdy\u2028\x00\"\\" {
			t.Fatalf("%v: decoded %q", f, m["k\ufffd"])
		}
	}
}

// Robustness: NaN and ±Inf are written the same way everywhere.
func TestNaNAndInf(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		ctx := logctx.With(context.Background(), "c_nan", math.NaN())
		slog.New(h).With("w_inf", math.Inf(1)).InfoContext(ctx, "m", "ninf", math.Inf(-1), "f32", float32(math.NaN()), slog.Group("g", "v", math.Inf(1)))
		m := one(t, buf.String(), f)
		got := []any{m["c_nan"], m["w_inf"], m["ninf"], m["f32"]}
		if f == Flat {
			got = append(got, m["g"].(map[string]any)["v"])
		} else {
			got = append(got, m["g.v"])
		}
		if fmt.Sprint(got) != "[NaN +Inf -Inf NaN +Inf]" {
			t.Fatalf("%v: %v in %s", f, got, buf)
		}
	}
}

type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("valuer boom") }

type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("json boom") }

type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return []byte("{not json"), nil }

type panicString struct{}

func (panicString) String() string { panic("string boom") }

type panicError struct{}

func (panicError) Error() string { panic("error boom") }

type panicTextM struct{}

func (panicTextM) MarshalText() ([]byte, error) { panic("text boom") }

type nilPtrStringer struct{ s string }

func (p *nilPtrStringer) String() string { return p.s }

// Robustness: panicking LogValue, MarshalJSON, String, Error, MarshalText
// are recovered and written as error values.
func TestPanickingValuesRecovered(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		ctx := logctx.With(context.Background(), "cv", panicValuer{})
		slog.New(h).With("wj", panicJSON{}).InfoContext(ctx, "m",
			"v", panicValuer{}, "j", panicJSON{}, "bad", badJSON{}, "s", panicString{}, "e", panicError{},
			"t", panicTextM{}, "np", (*nilPtrStringer)(nil), "ch", make(chan int))
		m := one(t, buf.String(), f)
		checks := map[string]string{"cv": "LogValue panicked", "v": "LogValue panicked", "j": "!PANIC in MarshalJSON: json boom",
			"wj": "!PANIC in MarshalJSON", "bad": "!ERROR: MarshalJSON returned invalid JSON", "s": "!PANIC in String: string boom",
			"e": "!PANIC in Error: error boom", "t": "!PANIC in MarshalText: text boom", "np": "!PANIC in String", "ch": "!ERROR: json: unsupported type"}
		for k, want := range checks {
			s, _ := m[k].(string)
			if !strings.HasPrefix(s, want) {
				t.Errorf("%v: %s = %q, want prefix %q", f, k, s, want)
			}
		}
	}
}

type selfValuer struct{}

func (s selfValuer) LogValue() slog.Value { return slog.AnyValue(s) }

type groupSelf struct{ n int }

func (g groupSelf) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("n", g.n), slog.Any("self", groupSelf{g.n + 1}))
}

type inlineSelf struct{}

func (inlineSelf) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("k", 1), slog.Any("", inlineSelf{}))
}

// Robustness: a LogValuer returning itself, or a group containing itself,
// is cut at a depth limit.
func TestSelfReferenceCut(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		ctx := logctx.With(context.Background(), "cg", groupSelf{})
		slog.New(h).With("wg", groupSelf{}).InfoContext(ctx, "m", "self", selfValuer{}, "grp", groupSelf{}, slog.Group("", slog.Any("inl", groupSelf{})), "inline_forever", inlineSelf{})
		out := buf.String()
		one(t, out, f)
		if !strings.Contains(out, "LogValue called too many times") {
			t.Fatalf("%v: self-returning LogValuer not cut: %s", f, out)
		}
		if c := strings.Count(out, DepthMarker); c < 5 {
			t.Fatalf("%v: want the depth marker for ctx, With and call groups, got %d: %s", f, c, out)
		}
	}
}

// Robustness: values over MaxLineBytes are truncated with a marker and the
// line stays valid JSON.
func TestMaxLineBytes(t *testing.T) {
	for _, f := range formats {
		const max = 1024
		h, buf := newTest(t, f, &Options{MaxLineBytes: max})
		big := strings.Repeat("é\"x", 2000)
		ctx := logctx.With(context.Background(), "run_id", "r1", "ctx_big", big)
		l := slog.New(h).With("w", "kept?")
		l.InfoContext(ctx, strings.Repeat("m", 5000), "big", big, "n", 1)
		l.InfoContext(context.Background(), "many", manyAttrs(300)...)
		l.InfoContext(context.Background(), "small", "a", 1)
		if n := len(lines(t, buf.String(), f)); n != 3 {
			t.Fatalf("want 3 lines, got %d", n)
		}
		for i, line := range strings.SplitAfter(buf.String(), "\n")[:3] {
			m, _, err := parseLine(line)
			if err != nil {
				t.Fatal(err)
			}
			if len(line) > max {
				t.Fatalf("%v line %d: %d bytes > %d", f, i, len(line), max)
			}
			if i < 2 && m["_truncated"] != true {
				t.Fatalf("%v line %d: no _truncated marker: %s", f, i, line)
			}
			if i == 2 && m["_truncated"] != nil {
				t.Fatalf("%v: small line marked truncated", f)
			}
			if i == 0 {
				if m["run_id"] != "r1" {
					t.Fatalf("%v: context field lost before the big ones: %s", f, line)
				}
				msgKey := map[Format]string{Flat: "event", ECS: "message"}[f]
				if s := m[msgKey].(string); !strings.HasSuffix(s, TruncationMarker) {
					t.Fatalf("%v: message not cut with the marker: %q", f, s)
				}
				if s, _ := m["ctx_big"].(string); !strings.HasSuffix(s, TruncationMarker) {
					t.Fatalf("%v: big value not cut with the marker: %q", f, s)
				}
			}
		}
		if got := h.Stats().Truncated; got != 2 {
			t.Fatalf("%v: Stats().Truncated = %d, want 2", f, got)
		}
	}
}

func manyAttrs(n int) []any {
	var args []any
	for i := 0; i < n; i++ {
		args = append(args, fmt.Sprintf("key_%03d", i), i)
	}
	return args
}

type failWriter struct {
	err   error
	short bool
	panic bool
	calls int
}

func (w *failWriter) Write(p []byte) (int, error) {
	w.calls++
	switch {
	case w.panic:
		panic("writer boom")
	case w.short:
		return len(p) / 2, nil
	}
	return 0, w.err
}

// Robustness: the writer's error is returned from Handle and counted.
func TestWriterErrorsReturnedAndCounted(t *testing.T) {
	boom := errors.New("disk full")
	w := &failWriter{err: boom}
	h := NewHandler(w, nil)
	clone := h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g")
	r := slog.NewRecord(fixedTime, slog.LevelInfo, "m", 0)
	if err := h.Handle(context.Background(), r); !errors.Is(err, boom) {
		t.Fatalf("Handle returned %v, want %v", err, boom)
	}
	if err := clone.Handle(context.Background(), r); !errors.Is(err, boom) {
		t.Fatalf("clone Handle returned %v", err)
	}
	if got := h.Stats().WriteErrors; got != 2 {
		t.Fatalf("WriteErrors = %d, want 2 (shared by clones)", got)
	}
	w.short = true
	if err := h.Handle(context.Background(), r); err == nil || !strings.Contains(err.Error(), "short write") {
		t.Fatalf("short write: %v", err)
	}
	w.short, w.panic = false, true
	if err := h.Handle(context.Background(), r); err == nil || !strings.Contains(err.Error(), "writer boom") {
		t.Fatalf("panicking writer: %v", err)
	}
	w.panic = false
	done := make(chan error)
	go func() { done <- h.Handle(context.Background(), r) }() // the mutex was released
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("after a panic: %v", err)
	}
	if got := h.Stats().WriteErrors; got != 5 {
		t.Fatalf("WriteErrors = %d, want 5", got)
	}
	if w.calls != 5 {
		t.Fatalf("writer called %d times, want 5 (one Write per line)", w.calls)
	}
}

// Robustness: 8 goroutines × 10,000 lines give 80,000 complete valid lines.
func TestConcurrentLines(t *testing.T) {
	for _, f := range formats {
		var buf testutil.SyncBuffer
		h := NewHandler(&buf, &Options{Format: f})
		const G, N = 8, 10000
		var wg sync.WaitGroup
		for g := 0; g < G; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				l := slog.New(h).With("goroutine", g)
				if g%2 == 1 {
					l = l.WithGroup("grp")
				}
				ctx := logctx.With(context.Background(), "run_id", fmt.Sprint("run-", g))
				for i := 0; i < N; i++ {
					l.InfoContext(ctx, "line", "i", i, "payload", strings.Repeat("x", i%300))
				}
			}(g)
		}
		wg.Wait()
		ls := lines(t, buf.String(), f)
		if len(ls) != G*N {
			t.Fatalf("%v: %d lines, want %d", f, len(ls), G*N)
		}
		seen := map[string]bool{}
		for _, m := range ls {
			i := m["i"]
			if i == nil {
				if g, ok := m["grp"].(map[string]any); ok {
					i = g["i"]
				} else {
					i = m["grp.i"]
				}
			}
			seen[fmt.Sprint(m["run_id"], "/", num(i))] = true
		}
		if len(seen) != G*N {
			t.Fatalf("%v: %d distinct lines, want %d", f, len(seen), G*N)
		}
	}
}

func TestHandleDoesNotAllocate(t *testing.T) {
	for _, f := range formats {
		h := NewHandler(discard{}, &Options{Format: f})
		hh := h.WithLoggerName("app.writer").WithAttrs([]slog.Attr{slog.String("w", "x")})
		ctx := logctx.With(context.Background(), bound(50)...)
		r := benchRecord()
		_ = hh.Handle(ctx, r)
		if n := testing.AllocsPerRun(1000, func() { _ = hh.Handle(ctx, r) }); n != 0 {
			t.Errorf("%v: Handle allocates %v times per line", f, n)
		}
		l := slog.New(hh)
		if n := testing.AllocsPerRun(1000, func() {
			l.LogAttrs(ctx, slog.LevelInfo, "m", slog.String("a", "x"), slog.Int("b", 1), slog.Float64("c", 1.25), slog.Bool("d", true), slog.String("e", "y"))
		}); n != 0 {
			t.Errorf("%v: slog.Logger over Handler allocates %v times per line", f, n)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestOptionsValidation(t *testing.T) {
	cases := []struct {
		w    *bytes.Buffer
		o    Options
		want string
	}{
		{&bytes.Buffer{}, Options{Format: 9}, "Options.Format"},
		{&bytes.Buffer{}, Options{MaxLineBytes: 100}, "Options.MaxLineBytes"},
		{&bytes.Buffer{}, Options{MaxLineBytes: -1}, "Options.MaxLineBytes"},
		{nil, Options{}, "writer is nil"},
	}
	for _, c := range cases {
		var err error
		if c.w == nil {
			_, err = New(nil, &c.o)
		} else {
			_, err = New(c.w, &c.o)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) error %v, want it to name %s", c.o, err, c.want)
		}
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("NewHandler accepted an invalid format")
		}
	}()
	NewHandler(&bytes.Buffer{}, &Options{Format: 7})
}

func TestEmptyGroupsOmitted(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, nil)
		ctx := logctx.With(context.Background(), "run_id", "r")
		slog.New(h).With("w", 1).WithGroup("g").WithGroup("h").InfoContext(ctx, "m", slog.Group("e"))
		m := one(t, buf.String(), f)
		if _, ok := m["g"]; ok || m["run_id"] != "r" {
			t.Fatalf("%v: %s", f, buf)
		}
	}
}

func TestAddSource(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, &Options{AddSource: true})
		slog.New(h).Info("m")
		m := one(t, buf.String(), f)
		var file string
		if f == Flat {
			file, _ = m["source"].(map[string]any)["file"].(string)
		} else {
			file, _ = m["log.origin.file.name"].(string)
		}
		if !strings.HasSuffix(file, "jsonlog_test.go") {
			t.Fatalf("%v: source %s", f, buf)
		}
	}
}

func TestValueKinds(t *testing.T) {
	h, buf := newTest(t, Flat, nil)
	slog.New(h).Info("m", "d", 1500000000, "dur", slog.DurationValue(1500), "u", uint64(1<<63), "t", fixedTime,
		"err", errors.New("boom"), "nilv", nil, "slice", []int{1, 2}, "f", 0.1, "big", 1e300, "tiny", 1e-9, "negz", math.Copysign(0, -1))
	out := buf.String()
	one(t, out, Flat)
	for _, want := range []string{`"dur":1500`, `"u":9223372036854775808`, `"t":"2026-03-14T10:30:00Z"`, `"err":"boom"`, `"nilv":null`, `"slice":[1,2]`, `"f":0.1`, `"big":1e+300`, `"tiny":1e-9`, `"negz":-0`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
}

func slogtestResult(format Format, buf *bytes.Buffer) func(*testing.T) map[string]any {
	return func(t *testing.T) map[string]any {
		m := one(t, buf.String(), format)
		if format == Flat {
			rename(m, "timestamp", slog.TimeKey)
			rename(m, "event", slog.MessageKey)
			return m
		}
		rename(m, "@timestamp", slog.TimeKey)
		rename(m, "log.level", slog.LevelKey)
		rename(m, "message", slog.MessageKey)
		delete(m, "ecs.version")
		out := map[string]any{}
		for k, v := range m {
			cur := out
			parts := strings.Split(k, ".")
			for _, p := range parts[:len(parts)-1] {
				next, ok := cur[p].(map[string]any)
				if !ok {
					next = map[string]any{}
					cur[p] = next
				}
				cur = next
			}
			cur[parts[len(parts)-1]] = v
		}
		return out
	}
}

func rename(m map[string]any, from, to string) {
	if v, ok := m[from]; ok {
		delete(m, from)
		m[to] = v
	}
}

func TestSlogtest(t *testing.T) {
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			slogtest.Run(t, func(t *testing.T) slog.Handler {
				buf.Reset()
				return NewHandler(&buf, &Options{Format: f})
			}, slogtestResult(f, &buf))
		})
	}
}
