//go:build linux

package eventlog

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestFullQueueDropsCountsAndReports holds the writer goroutine in a real
// blocking open: the run's events.jsonl is a named pipe, which open(2) for
// writing blocks on until a reader comes. Meanwhile Emit must not block: it
// fills the queue and drops the rest, counting them, and the events_dropped
// line follows once the writer can write again.
func TestFullQueueDropsCountsAndReports(t *testing.T) {
	dir := t.TempDir()
	const queue, extra = 8, 5
	c, err := New(WithDir(dir), WithQueueSize(queue))
	if err != nil {
		t.Fatal(err)
	}
	path := fifoRun(t, c, "slow")
	ctx := runctx.With(context.Background(), "slow")
	metrics.Emit(ctx, c, shardyfusion.ShardWriteStarted{DBID: 0})

	// Wait until the writer has taken that event and is stuck opening.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if queued, sleeps := c.q.State(); queued == 0 && !sleeps {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never took the first event")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	for i := 1; i <= queue+extra; i++ {
		metrics.Emit(ctx, c, shardyfusion.ShardWriteStarted{DBID: i})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Emit blocked for %v while the writer was stuck", d)
	}
	if st := c.Stats(); st.Dropped != extra {
		t.Fatalf("Dropped = %d, want %d", st.Dropped, extra)
	}

	// Unblock the writer by reading the pipe until the collector closes it.
	got := make(chan string)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := c.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "5 dropped") {
		t.Errorf("Flush after drops: %v, want the 5 dropped", err)
	}
	if err := c.Close(); err == nil || !strings.Contains(err.Error(), "5 dropped") {
		t.Errorf("Close after drops: %v, want the 5 dropped", err)
	}
	data := <-got
	var events []string
	var dropped float64
	for _, l := range strings.Split(strings.TrimSpace(data), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		events = append(events, m["event"].(string))
		if m["event"] == "events_dropped" {
			dropped = m["count"].(float64)
			if m["run_id"] != "slow" {
				t.Errorf("events_dropped for run %v", m["run_id"])
			}
		}
	}
	want := []string{"event_log_started"}
	for range 1 + queue {
		want = append(want, "write.shard.started")
	}
	want = append(want, "events_dropped")
	if strings.Join(events, " ") != strings.Join(want, " ") {
		t.Errorf("events\n got %v\nwant %v", events, want)
	}
	if dropped != extra {
		t.Errorf("events_dropped count %v, want %d", dropped, extra)
	}
	st := c.Stats()
	if st.Written != 1+queue || st.Accepted != 1+queue || st.Lost != 0 {
		t.Errorf("stats %+v", st)
	}
}

// fifoRun makes run's events.jsonl a named pipe, so that the writer's open
// blocks until a reader comes and fsync fails with EINVAL, and returns its
// path. It skips the test where named pipes cannot be made.
func fifoRun(t *testing.T, c *Collector, run string) string {
	t.Helper()
	path := c.Path(run)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return path
}
