package logctx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func keys(attrs []slog.Attr) string {
	var s []string
	for _, a := range attrs {
		s = append(s, a.Key+"="+a.Value.String())
	}
	return strings.Join(s, " ")
}

func TestWithNestsInnerWinsOuterUnchanged(t *testing.T) {
	outer := With(context.Background(), "run_id", "r1", "a", 1)
	inner := With(outer, "a", 2, slog.String("b", "x"))
	if got, want := keys(Attrs(outer)), "run_id=r1 a=1"; got != want {
		t.Fatalf("outer = %q, want %q", got, want)
	}
	if got, want := keys(Attrs(inner)), "run_id=r1 a=2 b=x"; got != want {
		t.Fatalf("inner = %q, want %q", got, want)
	}
	v, ok := Lookup(inner, "a")
	if !ok || v.Int64() != 2 {
		t.Fatalf("Lookup(a) = %v, %v", v, ok)
	}
	if _, ok := Lookup(inner, "zz"); ok {
		t.Fatal("Lookup of a missing key reported ok")
	}
	if _, ok := Lookup(context.Background(), "a"); ok {
		t.Fatal("Lookup on a bare context reported ok")
	}
}

func TestWithArgsLikeSlog(t *testing.T) {
	ctx := With(context.Background(), "k", "v", 42, slog.Group("", "in", 1), slog.Attr{}, "dup", 1, "dup", 2, "lone")
	// One field per key: the later !BADKEY wins, in the place of the first.
	if got, want := keys(Attrs(ctx)), "k=v !BADKEY=lone in=1 dup=2"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if With(ctx) != ctx {
		t.Fatal("With without args must return ctx")
	}
	if got := Attrs(With(nil, "a", 1)); len(got) != 1 { //nolint:staticcheck // nil ctx is documented
		t.Fatalf("nil ctx: %v", got)
	}
}

func TestAttrsReturnsCopy(t *testing.T) {
	ctx := With(context.Background(), "a", 1)
	Attrs(ctx)[0] = slog.Int("a", 99)
	if v, _ := Lookup(ctx, "a"); v.Int64() != 1 {
		t.Fatal("Attrs exposed the scope's storage")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	ctx := With(context.Background(), "run_id", "abc", "x", 1)
	ctx = context.WithValue(ctx, struct{ k int }{1}, 2)
	n := testing.AllocsPerRun(1000, func() {
		if v, ok := Lookup(ctx, "run_id"); !ok || v.String() != "abc" {
			panic("lookup failed")
		}
	})
	if n != 0 {
		t.Fatalf("Lookup allocates %v times", n)
	}
}

func TestCacheFirstStoreWins(t *testing.T) {
	k := NewCacheKey()
	f := FromContext(With(context.Background(), "a", 1))
	if f.Load(k) != nil {
		t.Fatal("fresh cache not empty")
	}
	if got := f.Store(k, "one"); got != "one" {
		t.Fatalf("Store = %v", got)
	}
	if got := f.Store(k, "two"); got != "one" {
		t.Fatalf("second Store = %v, want the first value", got)
	}
	if f.Load(k) != "one" {
		t.Fatal("Load after Store")
	}
}

func decodeLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("invalid line %s: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// hierarchy tests share global state; serialize them.
var globalMu sync.Mutex

func install(t *testing.T, buf *bytes.Buffer, lvl slog.Level) {
	t.Helper()
	globalMu.Lock()
	SetHandler(Handler(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: lvl, ReplaceAttr: ReplaceLevel})))
	t.Cleanup(func() {
		SetHandler(nil)
		levelsMu.Lock()
		levels.Store(&levelTable{version: levels.Load().version + 1})
		levelsMu.Unlock()
		globalMu.Unlock()
	})
}

func TestLoggerHierarchyLevels(t *testing.T) {
	var buf bytes.Buffer
	install(t, &buf, slog.LevelInfo)
	w := Logger("writer")
	wd := Logger("writer.s3")
	r := Logger("app.reader")
	if w != Logger("writer") {
		t.Fatal("Logger must return the same logger for the same name")
	}
	ctx := context.Background()
	if w.Enabled(ctx, slog.LevelDebug) {
		t.Fatal("DEBUG enabled before SetLevel")
	}
	SetLevel("app", slog.LevelDebug)
	if !w.Enabled(ctx, slog.LevelDebug) || !r.Enabled(ctx, slog.LevelDebug) {
		t.Fatal("SetLevel(root, DEBUG) did not reach loggers created earlier")
	}
	SetLevel("app.writer", slog.LevelError)
	if w.Enabled(ctx, slog.LevelWarn) || wd.Enabled(ctx, slog.LevelWarn) {
		t.Fatal("more specific prefix must win")
	}
	if !r.Enabled(ctx, slog.LevelDebug) {
		t.Fatal("sibling affected by writer's level")
	}
	SetLevel("app.wri", slog.LevelDebug) // not a dotted prefix of writer
	if w.Enabled(ctx, slog.LevelWarn) {
		t.Fatal("prefix matched in the middle of a name segment")
	}
	ClearLevel("app.writer")
	if !w.Enabled(ctx, slog.LevelDebug) {
		t.Fatal("ClearLevel did not fall back to the root prefix")
	}
	w.DebugContext(ctx, "hello", "n", 1)
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 1 || lines[0]["logger"] != "app.writer" || lines[0]["msg"] != "hello" {
		t.Fatalf("lines = %v", lines)
	}
}

func TestSetHandlerSwapsEarlierLoggers(t *testing.T) {
	var a, b bytes.Buffer
	install(t, &a, slog.LevelInfo)
	l := Logger("swap").With("k", "v").WithGroup("g")
	l.Info("one", "x", 1)
	SetHandler(slog.NewJSONHandler(&b, nil))
	l.Info("two", "x", 2)
	la, lb := decodeLines(t, a.Bytes()), decodeLines(t, b.Bytes())
	if len(la) != 1 || len(lb) != 1 {
		t.Fatalf("a=%v b=%v", la, lb)
	}
	if lb[0]["msg"] != "two" || lb[0]["k"] != "v" || lb[0]["logger"] != "app.swap" {
		t.Fatalf("replayed With/name missing: %v", lb[0])
	}
	if g, _ := lb[0]["g"].(map[string]any); g == nil || g["x"] != float64(2) {
		t.Fatalf("replayed group missing: %v", lb[0])
	}
}

func TestEventAndFailure(t *testing.T) {
	var buf bytes.Buffer
	install(t, &buf, slog.LevelDebug)
	ctx := With(context.Background(), "run_id", "abc")
	Event(ctx, nil, "manifest_published", "num_shards", 8)
	err := &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}
	Failure(ctx, Logger("writer"), "upload_failed", Transient, err, "attempt", 2)
	Failure(ctx, nil, "boom", Critical, errors.New("bad"), WithStack)
	Failure(ctx, nil, "odd", Severity(9), nil)
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 4 {
		t.Fatalf("want 4 lines, got %d: %s", len(lines), buf.String())
	}
	ev := lines[0]
	if ev["msg"] != "manifest_published" || ev["level"] != "INFO" || ev["run_id"] != "abc" || ev["num_shards"] != float64(8) || ev["logger"] != "app" {
		t.Fatalf("event line: %v", ev)
	}
	if src, _ := ev["source"].(map[string]any); src != nil {
		t.Fatalf("unexpected source: %v", src)
	}
	f := lines[1]
	e, _ := f["error"].(map[string]any)
	if f["level"] != "WARN" || f["severity"] != "transient" || e["type"] != "*fs.PathError" || e["message"] != err.Error() || f["attempt"] != float64(2) {
		t.Fatalf("failure line: %v", f)
	}
	if _, ok := e["stack_trace"]; ok {
		t.Fatal("stack trace without WithStack")
	}
	c := lines[2]
	ce, _ := c["error"].(map[string]any)
	st, _ := ce["stack_trace"].(string)
	if c["level"] != "CRITICAL" || c["severity"] != "critical" || !strings.Contains(st, "TestEventAndFailure") {
		t.Fatalf("critical line: %v", c)
	}
	if strings.Contains(strings.SplitN(st, "\n", 2)[0], "logctx.Failure") {
		t.Fatalf("stack trace starts inside Failure: %s", st)
	}
	if o := lines[3]; o["level"] != "ERROR" || o["severity"] != "severity(9)" || o["error"] != nil {
		t.Fatalf("unknown severity line: %v", o)
	}
}

func TestEventSourceIsCaller(t *testing.T) {
	globalMu.Lock()
	defer globalMu.Unlock()
	var buf bytes.Buffer
	SetHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{AddSource: true}))
	defer SetHandler(nil)
	Event(context.Background(), nil, "e")
	lines := decodeLines(t, buf.Bytes())
	src, _ := lines[0]["source"].(map[string]any)
	if !strings.HasSuffix(src["file"].(string), "logctx_test.go") {
		t.Fatalf("source = %v", src)
	}
}

func TestEventRespectsLevel(t *testing.T) {
	var buf bytes.Buffer
	install(t, &buf, slog.LevelError)
	Event(context.Background(), nil, "dropped")
	Failure(context.Background(), nil, "kept", Error, errors.New("x"))
	if n := len(decodeLines(t, buf.Bytes())); n != 1 {
		t.Fatalf("got %d lines: %s", n, buf.String())
	}
}

func TestHandlerAddsContextFields(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(g) == 0 {
			return slog.Attr{}
		}
		return ReplaceLevel(g, a)
	}})))
	ctx := With(context.Background(), "run_id", "r", "k", "ctx")
	l.Log(ctx, LevelCritical, "m", "k", "call")
	if got, want := buf.String(), "level=CRITICAL msg=m run_id=r k=call\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if c, ok := Handler(Handler(slog.NewTextHandler(&buf, nil))).(*ctxHandler); !ok {
		t.Fatal("Handler did not wrap a TextHandler")
	} else if _, ok := c.h.(*slog.TextHandler); !ok {
		t.Fatalf("double wrap: %T", c.h)
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[slog.Level]string{LevelCritical: "CRITICAL", LevelCritical + 2: "CRITICAL+2", slog.LevelError + 1: "ERROR+1", slog.LevelInfo: "INFO"} {
		if got := LevelString(l); got != want {
			t.Errorf("LevelString(%d) = %q, want %q", l, got, want)
		}
	}
}

func TestSetRootName(t *testing.T) {
	globalMu.Lock()
	defer globalMu.Unlock()
	defer rootName.Store(nil)
	for _, bad := range []string{"", ".x", "x."} {
		if err := SetRootName(bad); err == nil {
			t.Errorf("SetRootName(%q) accepted", bad)
		}
	}
	if err := SetRootName("app"); err != nil {
		t.Fatal(err)
	}
	if got := FullName("db"); got != "app.db" {
		t.Fatalf("FullName = %q", got)
	}
	if got := FullName("app.db"); got != "app.db" {
		t.Fatalf("FullName(qualified) = %q", got)
	}
}
