package jsonlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/logctx"
)

// hostileRecords are records whose keys Elasticsearch, or an index with
// the ECS template, would reject if written as logged: values that are
// also dotted prefixes, groups beside dotted keys, ECS objects given
// values, children of ECS leaves, values an ECS type rejects, reserved
// keys, blank key segments, in call attributes, WithAttrs, WithGroup and
// context scopes. Every value is distinct, so that each can be found in
// its line.
var hostileRecords = []struct {
	name  string
	ctx   []any // logctx.With pairs
	with  []any // WithAttrs pairs (before the group)
	group string
	call  []any
}{
	{name: "trace keys everywhere", ctx: []any{"trace_id", "v-ctx-trace", "span.id", "v-ctx-span"},
		with: []any{"span_id", "v-with-span", "trace", "v-with-trace"}, call: []any{"trace.id", "v-call-tid", "span", "v-call-span"}},
	{name: "value and dotted child", call: []any{"error", "v-err", "error.message", "v-msg"}},
	{name: "dotted child first", call: []any{"a.b", "v-ab", "a", "v-a"}},
	{name: "group beside dotted key", call: []any{slog.Group("a", slog.String("b", "v-grp")), "a.b", "v-dot"}},
	{name: "group beside deeper key", call: []any{slog.Group("a", slog.String("b", "v-grp2")), "a.b.c", "v-deep"}},
	{name: "chain", call: []any{"x", "v-x", "x.y", "v-xy", "x.y.z", "v-xyz"}},
	{name: "ECS objects as values", call: []any{"host", "web-1", "event", "v-event", "user", 42, "labels", "v-labels"}},
	{name: "error as a string", call: []any{"error", "v-a-string"}},
	{name: "error as an error", call: []any{"error", errors.New("v-an-error")}},
	{name: "children of ECS leaves", call: []any{"host.name.first", "v-first", "message.x", "v-mx", "tags.a", "v-tags"}},
	{name: "numeric fields", call: []any{"process.pid", "not-a-pid", "event.duration", "v-dur", "http.response.status_code", 1.5e300}},
	{name: "ip and date fields", call: []any{"host.ip", "v-not-ip", "source.ip", "10.0.0.1", "event.created", "v-not-date"}},
	{name: "boolean field", call: []any{"event.agent_id_status", "v-kw", "user.changes.entity.behavior", 7}},
	{name: "ECS field that fits", call: []any{"host.name", "v-host", "process.pid", 4242, "source.ip", "::1"}},
	{name: "label keys", call: []any{"labels.a.b", "v-l1", "labels.c*d", "v-l2", `labels.e\f`, "v-l3"}},
	{name: "reserved keys", call: []any{"level", "v-level", "timestamp", "v-ts", "message", "v-message", "log.level", "v-loglevel", "@timestamp", "v-at", "ecs.version", "v-ecs", "_truncated", "v-trunc"}},
	{name: "reserved and renamed", call: []any{"level", "v-lvl", "fields.level", "v-flvl", "host", "v-h", "fields.host", "v-fh"}},
	{name: "blank keys", call: []any{"", "v-empty", " ", "v-space", "a..b", "v-dd", ".a", "v-lead", "z.", "v-trail"}},
	{name: "context beside call", ctx: []any{"error", "v-ctx-err", "req", "v-req"}, call: []any{"error.type", "v-call-type", "req.id", "v-req-id"}},
	{name: "with beside call", with: []any{"job", "v-job", "host", "v-with-host"}, call: []any{"job.step", "v-step", "host.name", "v-host-name"}},
	{name: "context beside with", ctx: []any{"k.v", "v-ctx-kv"}, with: []any{"k", "v-with-k"}},
	{name: "group over ECS root", group: "host", call: []any{"name", "v-gname", "name.x", "v-gnx"}},
	{name: "group and reserved", group: "level", with: []any{"fields.level", "v-with-level"}, call: []any{"a", "v-ga"}},
	{name: "JSON object beside a dotted key", call: []any{"obj", json.RawMessage(`{"x":"v-raw-x"}`), "obj.x", "v-obj-x", "obj.y", "v-obj-y"}},
	{name: "JSON object at an ECS object", call: []any{"host", json.RawMessage(`{"name":"v-raw-host"}`)}},
	{name: "dotted group", group: "g.h", with: []any{"g", "v-with-g"}, call: []any{"i", "v-gi"}},
}

func TestHostileRecordsStayIndexable(t *testing.T) {
	if problem, _ := indexable("{}\n", Flat); problem != nil {
		t.Fatal(problem)
	}
	for _, format := range []Format{Flat, ECS} {
		for _, traced := range []bool{false, true} {
			for _, tc := range hostileRecords {
				name := format.String() + "/" + tc.name
				if traced {
					name += "/traced"
				}
				t.Run(name, func(t *testing.T) {
					var buf bytes.Buffer
					h := NewHandler(&buf, &Options{Format: format, Clock: fixedClock})
					var hh slog.Handler = h
					if tc.with != nil {
						hh = hh.WithAttrs(argsToAttrs(tc.with))
					}
					if tc.group != "" {
						hh = hh.WithGroup(tc.group)
					}
					ctx := context.Background()
					if traced {
						ctx = trace.ContextWithSpanContext(ctx, testSpan)
					}
					if tc.ctx != nil {
						ctx = logctx.With(ctx, tc.ctx...)
					}
					slog.New(hh).InfoContext(ctx, "hostile", tc.call...)
					one(t, buf.String(), format) // parses and checks indexability
					if traced && !strings.Contains(buf.String(), testSpan.TraceID().String()) {
						t.Errorf("the line lacks the trace id:\n%s", buf.String())
					}
					values := lineValues(t, buf.String())
					for _, want := range loggedValues(tc.ctx, tc.with, tc.call) {
						if format == ECS && want == `"v-grp"` {
							continue // in ECS the group a holding b and "a.b" are one key: the later wins
						}
						if !values[want] {
							t.Errorf("value %s is not in the line:\n%s", want, buf.String())
						}
					}
					if strings.Contains(tc.name, "fits") && h.Stats().Renamed != 0 {
						t.Errorf("Renamed = %d for fields that fit:\n%s", h.Stats().Renamed, buf.String())
					}
				})
			}
		}
	}
}

// testSpan is a sampled span context the traced cases log in.
var testSpan = trace.NewSpanContext(trace.SpanContextConfig{
	TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
	SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	TraceFlags: trace.FlagsSampled,
})

func argsToAttrs(args []any) []slog.Attr {
	var r slog.Record
	r.Add(args...)
	var out []slog.Attr
	r.Attrs(func(a slog.Attr) bool { out = append(out, a); return true })
	return out
}

// loggedValues returns the JSON text of every value of the pairs.
func loggedValues(lists ...[]any) []string {
	var out []string
	var walk func(a slog.Attr)
	walk = func(a slog.Attr) {
		v := a.Value.Resolve()
		switch v.Kind() {
		case slog.KindGroup:
			for _, m := range v.Group() {
				walk(m)
			}
		case slog.KindAny:
			if raw, ok := v.Any().(json.RawMessage); ok { // its values, as the line's are read
				var leaves []leafValue
				collectLeaves(raw, "", &leaves)
				for _, l := range leaves {
					out = append(out, string(l.raw))
				}
				return
			}
			if err, ok := v.Any().(error); ok {
				b, _ := json.Marshal(err.Error())
				out = append(out, string(b))
				return
			}
			fallthrough
		default:
			b, _ := json.Marshal(v.Any())
			out = append(out, string(b))
		}
	}
	for _, l := range lists {
		for _, a := range argsToAttrs(l) {
			walk(a)
		}
	}
	return out
}

// lineValues returns the JSON text of every value of a line.
func lineValues(t *testing.T, line string) map[string]bool {
	t.Helper()
	var leaves []leafValue
	if err := collectLeaves(json.RawMessage(strings.TrimSpace(line)), "", &leaves); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, l := range leaves {
		set[string(l.raw)] = true
	}
	return set
}

// TestRenamedIsCounted: Stats.Renamed counts each field written under
// another key, per line, scope fields included.
func TestRenamedIsCounted(t *testing.T) {
	for _, tc := range []struct {
		format Format
		want   uint64
	}{{Flat, 2 * 2}, {ECS, 2 * 2}} {
		var buf bytes.Buffer
		h := NewHandler(&buf, &Options{Format: tc.format, Clock: fixedClock})
		// flat: level (with) and a (value and prefix of a.b) renamed;
		// ECS: host and a
		l := slog.New(h.WithAttrs([]slog.Attr{slog.String("level", "x")}))
		for i := 0; i < 2; i++ {
			l.Info("m", "a", 1, "a.b", 2, "host", fmt.Sprint(i))
		}
		if got := h.Stats().Renamed; got != tc.want {
			t.Errorf("%s: Renamed = %d, want %d:\n%s", tc.format, got, tc.want, buf.String())
		}
	}
}
