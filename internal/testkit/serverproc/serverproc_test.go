package serverproc

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestWaitReadyNoticesAnExit(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	p, err := Start(sh, "", "-c", "echo starting; echo broken config >&2; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.WaitReady(time.Minute, func() bool { return false })
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("WaitReady = %v, want the exit", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("WaitReady took %v to notice the exit", time.Since(start))
	}
	if out := p.Output(); !strings.Contains(out, "starting") || !strings.Contains(out, "broken config") {
		t.Errorf("Output = %q, want both streams", out)
	}
}

func TestWaitReadyTimesOut(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	p, err := Start(sh, "", "-c", "exec sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(0)
	if err := p.WaitReady(300*time.Millisecond, func() bool { return false }); err == nil || !strings.Contains(err.Error(), "not ready after") {
		t.Fatalf("WaitReady = %v, want a timeout", err)
	}
}

func TestStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	p, err := Start(sh, "", "-c", "trap '' TERM; echo up; while :; do sleep 0.05; done")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReady(10*time.Second, func() bool { return strings.Contains(p.Output(), "up") }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.Stop(200 * time.Millisecond)
	select {
	case <-p.Done():
	default:
		t.Fatal("Stop returned with the process running")
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 10*time.Second {
		t.Errorf("Stop took %v, want the grace then a kill", d)
	}
	p.Stop(time.Second) // again: returns at once
}

func TestHTTPOK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ready" {
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if !HTTPOK(srv.URL + "/ready") {
		t.Error("HTTPOK(/ready) = false")
	}
	if HTTPOK(srv.URL + "/other") {
		t.Error("HTTPOK of a 503 = true")
	}
	if HTTPOK("http://127.0.0.1:1/") {
		t.Error("HTTPOK of a closed port = true")
	}
}
