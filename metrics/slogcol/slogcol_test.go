package slogcol_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/metrics/slogcol"
)

func TestCollectorContract(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector {
		c, err := slogcol.New(slogcol.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	t.Run("JSONHandler", func(t *testing.T) {
		collectortest.Run(t, func() metrics.Collector {
			c, err := slogcol.New(slogcol.WithLogger(slog.New(jsonlog.NewHandler(&bytes.Buffer{}, &jsonlog.Options{Level: slog.LevelDebug}))))
			if err != nil {
				t.Fatal(err)
			}
			return c
		})
	})
}

// lines decodes the NDJSON written to buf.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestEventsBecomeJSONLines sends events through the catalog loggers and
// jsonlog: the declared level, the rendered message, the logger of the
// event's catalog and group, the context's fields and every field.
func TestEventsBecomeJSONLines(t *testing.T) {
	var buf bytes.Buffer
	logctx.SetHandler(jsonlog.NewHandler(&buf, &jsonlog.Options{Level: slog.LevelDebug}))
	t.Cleanup(func() { logctx.SetHandler(nil) })
	c, err := slogcol.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := logctx.With(context.Background(), "run_id", "r1")
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{Elapsed: 852400 * time.Microsecond, DBID: 3, Rows: 5000, Duration: 1500 * time.Millisecond})
	metrics.Emit(ctx, c, shardyfusion.WriteFailed{Elapsed: 2 * time.Second, ErrorType: "cancelled"})
	collectortest.SampleEvent.Emit(ctx, c, collectortest.Sample{Status: "error", Kind: "k", Note: "n\"q", Count: 7, Duration: time.Millisecond, OK: true})

	got := lines(t, &buf)
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(got), buf.String())
	}
	shard := got[0]
	want := map[string]any{
		"level": "INFO", "logger": "shardyfusion.write", "event": "shard 3 written: 5000 rows in 1500 ms",
		"run_id": "r1", "event_name": "write.shard.completed", "event_code": 4.0, "catalog": "shardyfusion",
		"elapsed_ms": 852.4, "db_id": 3.0, "row_count": 5000.0, "duration_ms": 1500.0,
	}
	for k, v := range want {
		if shard[k] != v {
			t.Errorf("shard line %s = %v, want %v", k, shard[k], v)
		}
	}
	if got[1]["level"] != "ERROR" || got[1]["error_type"] != "cancelled" || got[1]["event"] != "write failed (cancelled) after 2000 ms" {
		t.Errorf("write.failed line %v", got[1])
	}
	s := got[2]
	if s["logger"] != "collectortest.sample" || s["status"] != "error" || s["note"] != "n\"q" || s["ok"] != true || s["count"] != 7.0 {
		t.Errorf("sample line %v", s)
	}
	if st := c.Stats(); st.Logged != 3 || st.Errors != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestLevelsFollowTheCatalogLoggers: reader.get is a DEBUG event; with the
// catalog's loggers at INFO it is not written, and SetLevel on the
// namespace turns it on at run time.
func TestLevelsFollowTheCatalogLoggers(t *testing.T) {
	var buf bytes.Buffer
	logctx.SetHandler(jsonlog.NewHandler(&buf, &jsonlog.Options{Level: slog.LevelInfo}))
	t.Cleanup(func() { logctx.SetHandler(nil); logctx.ClearLevel("shardyfusion.reader") })
	c, err := slogcol.New()
	if err != nil {
		t.Fatal(err)
	}
	metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Found: true})
	if buf.Len() != 0 || c.Stats().Logged != 0 {
		t.Fatalf("a DEBUG event was written at INFO: %s", buf.String())
	}
	logctx.SetLevel("shardyfusion.reader", slog.LevelDebug)
	metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Found: true, Duration: 250 * time.Microsecond})
	got := lines(t, &buf)
	if len(got) != 1 || got[0]["level"] != "DEBUG" || got[0]["duration_ms"] != 0.25 {
		t.Errorf("after SetLevel: %v", got)
	}
}

type failing struct{ panics bool }

func (failing) Enabled(context.Context, slog.Level) bool { return true }
func (f failing) Handle(context.Context, slog.Record) error {
	if f.panics {
		panic("handler panic")
	}
	return errors.New("disk full")
}
func (f failing) WithAttrs([]slog.Attr) slog.Handler { return f }
func (f failing) WithGroup(string) slog.Handler      { return f }

func TestHandlerFailuresAreCountedNotPassedOn(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { slog.SetDefault(prev) })
	for _, h := range []failing{{}, {panics: true}} {
		c, err := slogcol.New(slogcol.WithLogger(slog.New(h)))
		if err != nil {
			t.Fatal(err)
		}
		metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
		metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
		st := c.Stats()
		if h.panics && (st.Panics != 2 || st.Logged != 0) || !h.panics && (st.Errors != 2 || st.Logged != 0) {
			t.Errorf("panics=%v: stats %+v", h.panics, st)
		}
	}
	if _, err := slogcol.New(nil); err == nil || !strings.Contains(err.Error(), "option 0 is nil") {
		t.Errorf("New(nil): %v", err)
	}
	if _, err := slogcol.New(slogcol.WithLogger(nil)); err == nil || !strings.Contains(err.Error(), "WithLogger") {
		t.Errorf("WithLogger(nil): %v", err)
	}
}
