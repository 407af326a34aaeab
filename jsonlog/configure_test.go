package jsonlog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/logctx"
)

func TestConfigureReplacesEarlierHandler(t *testing.T) {
	defer logctx.SetHandler(nil)
	var first, second bytes.Buffer
	root := Configure(Config{JSON: true, Writer: &first, Level: slog.LevelInfo})
	w := logctx.Logger("writer") // obtained before the second Configure
	ctx := logctx.With(context.Background(), "run_id", "r1")
	w.InfoContext(ctx, "one")
	root.DebugContext(ctx, "dropped at INFO")
	Configure(Config{Format: ECS, Writer: &second, Level: slog.LevelDebug, ServiceName: "svc"})
	w.DebugContext(ctx, "two")
	logctx.Failure(ctx, w, "three", logctx.Critical, errors.New("bad"))

	l1 := one(t, first.String(), Flat)
	if l1["logger"] != "app.writer" || l1["event"] != "one" || l1["run_id"] != "r1" {
		t.Fatalf("first handler: %s", first.String())
	}
	ls := lines(t, second.String(), ECS)
	if len(ls) != 2 {
		t.Fatalf("second handler got %d lines: %s", len(ls), second.String())
	}
	if ls[0]["log.logger"] != "app.writer" || ls[0]["log.level"] != "DEBUG" || ls[0]["service.name"] != "svc" {
		t.Fatalf("earlier logger did not follow the new configuration: %v", ls[0])
	}
	if ls[1]["log.level"] != "CRITICAL" || ls[1]["error.message"] != "bad" || ls[1]["error.type"] != "*errors.errorString" || ls[1]["severity"] != "critical" {
		t.Fatalf("failure in ECS: %v", ls[1])
	}
}

func TestConfigureHierarchyLevels(t *testing.T) {
	defer logctx.SetHandler(nil)
	var buf bytes.Buffer
	Configure(Config{JSON: true, Writer: &buf})
	defer logctx.ClearLevel("app.reader")
	r := logctx.Logger("reader")
	r.Debug("hidden")
	logctx.SetLevel("app.reader", slog.LevelDebug)
	r.Debug("shown")
	logctx.Logger("writer").Debug("hidden too")
	ls := lines(t, buf.String(), Flat)
	if len(ls) != 1 || ls[0]["event"] != "shown" || ls[0]["level"] != "DEBUG" {
		t.Fatalf("got %s", buf.String())
	}
}

func TestConfigureText(t *testing.T) {
	defer logctx.SetHandler(nil)
	var buf bytes.Buffer
	Configure(Config{Writer: &buf})
	ctx := logctx.With(context.Background(), "run_id", "r1")
	logctx.Failure(ctx, logctx.Logger("writer"), "boom", logctx.Critical, errors.New("bad"))
	out := buf.String()
	for _, want := range []string{"level=CRITICAL", "msg=boom", "logger=app.writer", "run_id=r1", "severity=critical", "error.message=bad"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q: %s", want, out)
		}
	}
}

func TestConfigureSetDefaultAndErrors(t *testing.T) {
	defer logctx.SetHandler(nil)
	old := slog.Default()
	defer slog.SetDefault(old)
	var buf bytes.Buffer
	Configure(Config{JSON: true, Writer: &buf, SetDefault: true})
	slog.Info("via default", "k", 1)
	if m := one(t, buf.String(), Flat); m["event"] != "via default" || m["logger"] != "app" {
		t.Fatalf("default logger: %s", buf.String())
	}
	if _, err := Setup(Config{Format: 5}); err == nil || !strings.Contains(err.Error(), "Format") {
		t.Fatalf("Setup with a bad format: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Configure accepted a bad format")
		}
	}()
	Configure(Config{Format: 5})
}
