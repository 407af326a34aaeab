package jsonlog

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"testing"
)

// TestAddSourceNamesTheCallSite: every line from one call site names it, the
// first (resolved) and the later ones (cached) alike, in both formats.
func TestAddSourceNamesTheCallSite(t *testing.T) {
	for _, f := range formats {
		h, buf := newTest(t, f, &Options{AddSource: true})
		l := slog.New(h)
		var wantLine int
		for i := 0; i < 3; i++ {
			_, _, wantLine, _ = runtime.Caller(0)
			l.Info("m")
			wantLine++ // the line of l.Info
		}
		ls := lines(t, buf.String(), f)
		if len(ls) != 3 {
			t.Fatalf("%v: %d lines, want 3", f, len(ls))
		}
		for i, m := range ls {
			fn, file, line := sourceOf(t, f, m)
			if !strings.HasSuffix(fn, ".TestAddSourceNamesTheCallSite") || !strings.HasSuffix(file, "/jsonlog/source_test.go") || line != wantLine {
				t.Errorf("%v: line %d: source = %q %q %d, want this test at line %d", f, i, fn, file, line, wantLine)
			}
		}
	}
}

// TestAddSourceUnderALineLimit: when the encoded source would overrun the
// line limit, it is written field by field and truncated like any other
// string; with room, it is the cached fragment whole.
func TestAddSourceUnderALineLimit(t *testing.T) {
	pc, _, _, _ := runtime.Caller(0)
	for _, f := range formats {
		h := NewHandler(discard{}, &Options{Format: f, AddSource: true})
		max := 511 - lineReserve - 1
		frag := sources.site(pc).flat
		if f == ECS {
			frag = sources.site(pc).ecs
		}
		// 30 bytes short of the room the whole fragment needs
		start := `{"message":"` + strings.Repeat("x", max-len(frag)+30-13) + `"`
		e := &encoder{buf: []byte(start), limit: 511}
		h.source(e, pc)
		prefix := `,"source":{"function":"`
		if f == ECS {
			prefix = `,"log.origin.function":"`
		}
		got := string(e.buf[len(start):])
		if !strings.HasPrefix(got, prefix) || !e.cut || len(e.buf) > e.limit-lineReserve-1 {
			t.Errorf("%v: under the limit: cut=%v, %d bytes, wrote %s", f, e.cut, len(e.buf), got)
		}
		if !json.Valid(append(append([]byte(nil), e.buf...), '}')) {
			t.Errorf("%v: not JSON: %s}", f, e.buf)
		}

		full := `{"message":"` + strings.Repeat("x", max-40-13) + `"`
		e = &encoder{buf: []byte(full), limit: 511}
		h.source(e, pc)
		if string(e.buf) != full || e.dropped != 1 {
			t.Errorf("%v: with no room: dropped=%d, wrote %s", f, e.dropped, e.buf[len(full):])
		}

		e = &encoder{buf: []byte(start)}
		h.source(e, pc)
		if got := string(e.buf[len(start):]); got != string(frag) || e.cut {
			t.Errorf("%v: without a limit wrote %s, want %s", f, got, frag)
		}
		if !json.Valid(append(append([]byte(nil), e.buf...), '}')) {
			t.Errorf("%v: not JSON: %s}", f, e.buf)
		}
	}
}

// TestAddSourceAllocatesNothing: after a call site's first line, AddSource
// costs no allocation (runtime.CallersFrames would cost two per line).
func TestAddSourceAllocatesNothing(t *testing.T) {
	for _, f := range formats {
		l := slog.New(NewHandler(discard{}, &Options{Format: f, AddSource: true}))
		ctx := context.Background()
		logLine := func() { l.LogAttrs(ctx, slog.LevelInfo, "m", slog.String("a", "x"), slog.Int("b", 1)) }
		logLine()
		if n := testing.AllocsPerRun(1000, logLine); n != 0 {
			t.Errorf("%v: a line with AddSource allocates %v times", f, n)
		}
	}
}

// TestSourceCacheIsBounded: the cache answers for more sites than it has
// slots, caches what fits, and returns the cached site on a second lookup.
func TestSourceCacheIsBounded(t *testing.T) {
	c := new(sourceCache)
	pc, _, _, _ := runtime.Caller(0)
	first := c.site(pc)
	for i := 1; i < sourceSlots+100; i++ {
		if s := c.site(pc + uintptr(i)); s.file == "" || s.pc != pc+uintptr(i) {
			t.Fatalf("site %d: %+v", i, s)
		}
	}
	if c.site(pc) != first {
		t.Error("the first site was not cached")
	}
	filled := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			filled++
		}
	}
	if filled < sourceSlots/2 || filled > sourceSlots {
		t.Errorf("%d of %d slots filled", filled, sourceSlots)
	}
}

func sourceOf(t *testing.T, f Format, m map[string]any) (function, file string, line int) {
	t.Helper()
	var v map[string]any = m
	fk, filek, linek := "log.origin.function", "log.origin.file.name", "log.origin.file.line"
	if f == Flat {
		v, _ = m["source"].(map[string]any)
		fk, filek, linek = "function", "file", "line"
	}
	function, _ = v[fk].(string)
	file, _ = v[filek].(string)
	n, _ := v[linek].(json.Number).Int64()
	return function, file, int(n)
}
