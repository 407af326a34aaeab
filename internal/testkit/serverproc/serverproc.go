package serverproc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Find returns the path of the first of candidates that exists: a name is
// looked up on PATH, an absolute path is taken as it is. When none exists it
// skips tb, or fails it when the environment variable CI is set; install
// says how to get one ("install the Debian package prometheus").
func Find(tb testing.TB, install string, candidates ...string) string {
	tb.Helper()
	for _, c := range candidates {
		if filepath.IsAbs(c) {
			if _, err := os.Stat(c); err == nil {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("none of %s found; %s to run this test", strings.Join(candidates, ", "), install)
	if os.Getenv("CI") != "" {
		tb.Fatalf("required when CI is set: %s", msg)
	}
	tb.Skip(msg)
	return ""
}

// OutputLimit is how much of a process's output Output returns: its end.
const OutputLimit = 16 << 10

// Process is a started server process.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}
	err  error // the exit error, set before done is closed
}

// Start starts bin with args in dir (the current directory when empty),
// keeping what it writes to stdout and stderr.
func Start(bin, dir string, args ...string) (*Process, error) {
	p := &Process{name: filepath.Base(bin), cmd: exec.Command(bin, args...),
		out: &tailBuffer{}, done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	// A child the server left behind may hold its output open: stop
	// waiting for that output soon after the server itself exits.
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Output returns the end of what the process has written, at most
// OutputLimit bytes.
func (p *Process) Output() string { return p.out.tail() }

// WaitReady calls ready every 100 ms until it reports true, and returns an
// error when the process exits first or timeout passes.
func (p *Process) WaitReady(timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v", p.name, p.err)
		default:
		}
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v", p.name, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop sends SIGTERM and kills the process when it has not exited within
// grace; a grace of 0 kills it at once. It returns once the process is gone
// and is safe to call more than once.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	if grace > 0 {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			return
		case <-time.After(grace):
		}
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// client is the HTTP client of the readiness probes.
var client = &http.Client{Timeout: 2 * time.Second}

// HTTPOK reports whether a GET of url answers 200 OK.
func HTTPOK(url string) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// GetJSON GETs url and decodes its JSON answer into v whatever the status,
// which it returns: the servers' APIs answer their errors in JSON too.
func GetJSON(ctx context.Context, url string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return resp.StatusCode, fmt.Errorf("GET %s: HTTP %d: %w", url, resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

// tailBuffer keeps the last bytes a process wrote, so a chatty server does
// not grow a test's memory.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (l *tailBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) > 2*OutputLimit {
		l.buf = append(l.buf[:0], l.buf[len(l.buf)-OutputLimit:]...)
	}
	return len(p), nil
}

func (l *tailBuffer) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf
	if len(b) > OutputLimit {
		b = b[len(b)-OutputLimit:]
	}
	return string(b)
}
