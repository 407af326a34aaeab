//go:build linux

package eventlog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestSyncFailureIsCountedAndReturned makes a real fsync fail: the run's
// events.jsonl is a named pipe, which fsync(2) refuses with EINVAL. The
// lines still reach the reader; the failed sync is a write error, and Close
// returns it naming the run.
func TestSyncFailureIsCountedAndReturned(t *testing.T) {
	var logged strings.Builder
	c, err := New(WithDir(t.TempDir()), WithSync(), WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	if err != nil {
		t.Fatal(err)
	}
	path := fifoRun(t, c, "piped")
	read := make(chan string, 1)
	go func() {
		f, err := os.Open(path) // blocks until the writer opens the pipe
		if err != nil {
			read <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		read <- string(b)
	}()

	ctx := runctx.With(context.Background(), "piped")
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	err = c.Close()
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), `"piped"`) {
		t.Errorf("Close = %v, want EINVAL from fsync naming the run", err)
	}
	st := c.Stats()
	if st.FilesSynced != 0 || st.WriteErrors != 1 || st.FilesClosed != 1 || st.Written != 1 {
		t.Errorf("stats %+v: want 0 synced, 1 write error, 1 closed, 1 written", st)
	}
	if !strings.Contains(logged.String(), "sync ") {
		t.Errorf("the failed fsync was not reported: %q", logged.String())
	}
	if got := <-read; !strings.Contains(got, `"event":"write.started"`) {
		t.Errorf("the reader got %q, want the write.started line", got)
	}
}
