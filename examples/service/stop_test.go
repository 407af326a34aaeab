package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// buildService builds the service once for the tests that signal it.
var buildService = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "milestone-service-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "service")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", &buildError{err: err, out: string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// startWithDeadExporter starts the service exporting over OTLP gRPC to a
// port nobody listens on, and waits until it serves.
func startWithDeadExporter(t *testing.T) (*exec.Cmd, *testutil.SyncBuffer, <-chan struct{}) {
	t.Helper()
	bin, err := buildService()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-otlp", "-data", t.TempDir(), "-addr", "127.0.0.1:0", "-rows", "2000", "-shards", "2",
		"-rewrite", "0", "-refresh", "0", "-read-every", "0", "-faults=false")
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+dead, "OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		"OTEL_METRIC_EXPORT_INTERVAL=3600000")
	var stdout, stderr testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)
	return cmd, &stdout, exited
}

// TestStopsWithinFiveSecondsWithADeadExporter: SIGTERM stops the service
// within 5 s though its OTLP endpoint is dead; the failed flush is logged
// once, its cause not repeated, before service_stopped, the last line.
func TestStopsWithinFiveSecondsWithADeadExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service")
	}
	cmd, stdout, exited := startWithDeadExporter(t)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		t.Fatal("the service did not stop within 15 s of SIGTERM")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the service took %v to stop, want at most 5 s", took.Round(time.Millisecond))
	}
	lines := checkNDJSON(t, stdout.String())
	if len(lines) == 0 || eventName(lines[len(lines)-1]) != "service_stopped" {
		t.Fatalf("the last line is not service_stopped:\n%s", stdout.String())
	}
	failures := 0
	for _, l := range lines {
		if eventName(l) == "metrics_flush_failed" {
			failures++
			errMsg, _ := l["error"].(map[string]any)["message"].(string)
			for _, part := range strings.Split(errMsg, "\n") {
				if strings.Count(errMsg, part) > 1 {
					t.Errorf("the flush error repeats %q: %q", part, errMsg)
				}
			}
		}
	}
	if failures != 1 {
		t.Errorf("metrics_flush_failed logged %d times, want once", failures)
	}
	t.Logf("stopped in %v", time.Since(start).Round(time.Millisecond))
}

// TestSecondSignalStopsAtOnce: a second SIGTERM ends the shutdown at once,
// without waiting out the budget on the dead exporter.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service")
	}
	cmd, _, exited := startWithDeadExporter(t)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	second := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not stop after a second SIGTERM")
	}
	if took := time.Since(second); took > time.Second {
		t.Errorf("the service took %v after the second SIGTERM, want under 1 s (the budget is %v)", took.Round(time.Millisecond), StopBudget)
	}
}
