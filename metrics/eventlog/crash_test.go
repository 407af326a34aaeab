//go:build unix

package eventlog_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

const crashEnv = "EVENTLOG_CRASH_CHILD_DIR"

// TestMain runs crashChild instead of the tests when the test binary is
// started as TestCrashKeepsFlushedLines's child.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
	}
	os.Exit(m.Run())
}

// crashChild is the child of TestCrashKeepsFlushedLines: it emits without
// end, flushing every 97 events and then printing how many events are
// flushed, until the parent kills it.
func crashChild(dir string) {
	c, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	ctx := runctx.With(context.Background(), "crash")
	stop := time.Now().Add(time.Minute) // in case the parent dies first
	for i := 0; time.Now().Before(stop); i++ {
		metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: i, Rows: int64(i) * 3, Duration: time.Duration(i) * time.Microsecond})
		if i%97 == 96 {
			if err := c.Flush(ctx); err != nil {
				fmt.Println("error", err)
				os.Exit(3)
			}
			fmt.Printf("flushed %d\n", i+1)
		}
	}
	os.Exit(4)
}

// TestCrashKeepsFlushedLines runs crashChild in a child process, kills it
// with SIGKILL while it emits, and checks the file it leaves: every line but
// possibly the last is complete JSON, and every event the child had flushed
// before it died is there, in order, none missing.
func TestCrashKeepsFlushedLines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	flushed := 0
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		text := sc.Text()
		if strings.HasPrefix(text, "error") {
			t.Fatalf("child: %s", text)
		}
		n, ok := strings.CutPrefix(text, "flushed ")
		if !ok {
			continue
		}
		v, err := strconv.Atoi(n)
		if err != nil {
			continue // a report torn by the kill
		}
		flushed = max(flushed, v)
		if flushed >= 30000 && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
			// Keep reading: reports already in the pipe count too.
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("the child stopped before it was killed: %v", err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", cmd.ProcessState)
	}

	data, err := os.ReadFile(dir + "/crash/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	events := 0
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			if i == len(lines)-1 && !strings.HasSuffix(text, "\n") {
				t.Logf("torn last line (%d bytes), allowed", len(l))
				break
			}
			t.Fatalf("line %d of %d is not complete JSON: %q: %v", i+1, len(lines), l, err)
		}
		if i == 0 {
			if m["event"] != "event_log_started" {
				t.Fatalf("first line %s", l)
			}
			continue
		}
		if m["event"] != "write.shard.completed" || m["db_id"] != float64(events) {
			t.Fatalf("line %d: %s, want db_id %d", i+1, l, events)
		}
		events++
	}
	if events < flushed {
		t.Fatalf("the file holds %d events, but the child had flushed %d", events, flushed)
	}
	t.Logf("child flushed %d events before SIGKILL; the file holds %d", flushed, events)
}
