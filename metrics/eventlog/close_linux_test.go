//go:build linux

package eventlog_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// fdsOf returns this process's file descriptors open on target.
func fdsOf(t *testing.T, target string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var fds []int
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || link != target {
			continue
		}
		fd, _ := strconv.Atoi(e.Name())
		fds = append(fds, fd)
	}
	return fds
}

// TestCloseAfterDiskFull makes one run's file descriptor write to /dev/full,
// whose writes fail with ENOSPC exactly as on a full disk, by duplicating
// /dev/full over it. The run's events are counted as lost and the failure
// is reported once (the next failures within a minute are counted); Emit
// never sees it, Flush returns the loss; the other run is written in full;
// Close still closes both files and returns the ENOSPC and the loss.
func TestCloseAfterDiskFull(t *testing.T) {
	devFull, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	dir := t.TempDir()
	var logs testutil.SyncBuffer
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	full := runctx.With(context.Background(), "full")
	ok := runctx.With(context.Background(), "ok")
	for i := range 3 {
		metrics.Emit(full, c, shardyfusion.ShardWriteStarted{DBID: i})
		metrics.Emit(ok, c, shardyfusion.ShardWriteStarted{DBID: i})
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	fds := fdsOf(t, c.Path("full"))
	if len(fds) != 1 {
		t.Fatalf("fds on %s: %v", c.Path("full"), fds)
	}
	if err := syscall.Dup3(int(devFull.Fd()), fds[0], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	devFull.Close()

	for i := 3; i < 103; i++ {
		metrics.Emit(full, c, shardyfusion.ShardWriteStarted{DBID: i})
		metrics.Emit(ok, c, shardyfusion.ShardWriteStarted{DBID: i})
		if i%10 == 0 {
			if err := c.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "lost to write errors") {
				t.Errorf("Flush after a lost write: %v, want the loss", err)
			}
		}
	}
	err = c.Close()
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), `run "full"`) || strings.Contains(err.Error(), `run "ok"`) {
		t.Errorf("Close: %v, want the ENOSPC of run full only", err)
	}
	st := c.Stats()
	if st.Lost != 100 || st.Written != 106 || st.WriteErrors == 0 || st.FilesClosed != 2 {
		t.Errorf("stats %+v: want 100 lost, 106 written, both files closed", st)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), "no space left") {
		t.Errorf("want one error report naming ENOSPC, got:\n%s", logs.String())
	}
	if n := len(readLines(t, c.Path("ok"))); n != 104 {
		t.Errorf("run ok: %d lines, want 104", n)
	}
	if n := len(readLines(t, c.Path("full"))); n != 4 {
		t.Errorf("run full: %d lines, want the 4 written before the disk filled", n)
	}
	for _, target := range []string{"/dev/full", c.Path("ok")} {
		if fds := fdsOf(t, target); len(fds) != 0 {
			t.Errorf("still open after Close: %s on fds %v", target, fds)
		}
	}
}

// TestCloseWhenOneCloseFails closes one run's descriptor underneath the
// collector, so that its close(2) fails with EBADF; Close must still close
// the other file and return the failure. Nothing opens files between the
// two closes, so the descriptor number cannot be reused meanwhile.
func TestCloseWhenOneCloseFails(t *testing.T) {
	dir := t.TempDir()
	c, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	runs := []string{"a-broken", "b-ok", "c-ok"}
	for _, r := range runs {
		metrics.Emit(runctx.With(context.Background(), r), c, shardyfusion.WriteStarted{})
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	fds := fdsOf(t, c.Path("a-broken"))
	if len(fds) != 1 {
		t.Fatalf("fds: %v", fds)
	}
	if err := syscall.Close(fds[0]); err != nil {
		t.Fatal(err)
	}
	err = c.Close()
	if !errors.Is(err, syscall.EBADF) || !strings.Contains(err.Error(), `run "a-broken"`) {
		t.Errorf("Close: %v, want EBADF for run a-broken", err)
	}
	for _, r := range runs[1:] {
		if fds := fdsOf(t, c.Path(r)); len(fds) != 0 {
			t.Errorf("run %s still open on %v", r, fds)
		}
		if n := len(readLines(t, c.Path(r))); n != 2 {
			t.Errorf("run %s: %d lines, want 2", r, n)
		}
	}
	if st := c.Stats(); st.FilesClosed != 3 || st.WriteErrors != 1 {
		t.Errorf("stats %+v", st)
	}
}
