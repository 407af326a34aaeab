package jsonlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/logctx"
)

// FuzzEncoder: any mix of keys and values, bound in context scopes, With,
// groups and call-site attributes, yields exactly one valid JSON object per
// line, without a duplicate key (nor, in ECS, a prefix conflict), within
// MaxLineBytes, that Elasticsearch indexes (indexable: no path both a value
// and a prefix, no path twice, no blank key segment, and in ECS the spec's
// layout and a value every ECS field's mapping accepts), and the fast path
// writes what the general path writes. An
// odd n also turns on AddSource. The seed corpus is in
// testdata/fuzz/FuzzEncoder.
func FuzzEncoder(f *testing.F) {
	f.Add("run_id", "abc", "level", int64(8), 1.5, uint8(0))
	f.Add("a", "\xff\x00\"", "a.b", int64(-1), 0.0, uint8(0xff))
	f.Add(strings.Repeat("k", 40), strings.Repeat("\u00e9\"", 150), "b", int64(3), 2.5, uint8(2)) // AddSource near the limit
	f.Add("host", "web-1", "event.duration", int64(12), 1.5, uint8(0x41))
	f.Add("error", "boom", "error.message", int64(0), 2.0, uint8(0x60))
	f.Add("process.pid", "x", "labels.a.b", int64(7), -1.0, uint8(0x25))
	f.Add("a..b", " ", "", int64(2), 0.5, uint8(0x14))
	f.Add("event", "e", "event.x", int64(4), 3.0, uint8(0x0c))
	f.Fuzz(func(t *testing.T, k1, v1, k2 string, n int64, fl float64, shape uint8) {
		format := Flat
		if shape&1 != 0 {
			format = ECS
		}
		opts := &Options{Format: format, Clock: fixedClock}
		if shape&2 != 0 {
			opts.MaxLineBytes = MinMaxLineBytes
		}
		var pc uintptr
		if n&1 != 0 {
			opts.AddSource = true
			var pcs [1]uintptr
			runtime.Callers(1, pcs[:])
			pc = pcs[0]
		}
		var buf bytes.Buffer
		h := NewHandler(&buf, opts)
		var hh slog.Handler = h
		if shape&4 != 0 {
			hh = hh.WithAttrs([]slog.Attr{slog.String(k2, v1), slog.Float64(k1, fl)})
		}
		if shape&8 != 0 {
			hh = hh.WithGroup(k1)
		}
		if shape&16 != 0 {
			hh = hh.WithAttrs([]slog.Attr{slog.Int64(k1, n)})
		}
		ctx := logctx.With(context.Background(), k1, v1, k2, n)
		if shape&32 != 0 {
			ctx = logctx.With(ctx, k2, fl, "error", errors.New(v1))
		}
		call := []slog.Attr{slog.Float64(k1, fl), slog.String(k2, v1)}
		if shape&64 != 0 {
			call = append(call, slog.Group(k2, slog.Int64(k1, n), slog.String(v1, k2)), slog.Any("error", errors.New(v1)))
		}
		if shape&128 != 0 {
			obj, _ := json.Marshal(map[string]any{k1: v1, v1: n})
			call = append(call, slog.Group("", slog.String(v1, k1)), slog.Any(k1, []any{fl, v1}), slog.Any(k2+"."+k1, json.RawMessage(obj)))
		}
		r := slog.NewRecord(fixedTime, slog.LevelInfo, v1, pc)
		r.AddAttrs(call...)
		if err := hh.Handle(ctx, r); err != nil {
			t.Fatal(err)
		}
		ls := lines(t, buf.String(), format)
		if len(ls) != 1 {
			t.Fatalf("want one line, got %d", len(ls))
		}
		if opts.MaxLineBytes > 0 && buf.Len() > opts.MaxLineBytes {
			t.Fatalf("line of %d bytes over MaxLineBytes %d", buf.Len(), opts.MaxLineBytes)
		}
		checkFused(t, hh.(*Handler), ctx, r)
	})
}
