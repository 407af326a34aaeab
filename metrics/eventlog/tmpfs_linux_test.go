package eventlog_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/selfmetrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory, or skips
// when the test cannot (not root, or no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	if f == nil {
		return
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestFullFileSystem fills a real tmpfs under the event log: the lost
// events appear in the milestone_* families of a real registry, Flush
// returns the loss, the failure, the recovery and a second failure are
// each logged, and nothing panics.
func TestFullFileSystem(t *testing.T) {
	dir := mountTmpfs(t, "256k")
	var logs testutil.SyncBuffer
	c, err := eventlog.New(eventlog.WithDir(filepath.Join(dir, "events")), eventlog.WithBufferSize(4096),
		eventlog.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := selfmetrics.Register(reg, c); err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "tmpfs-run")
	emit := func(n int) {
		for i := range n {
			metrics.Emit(ctx, c, shardyfusion.ShardWriteStarted{DBID: i})
		}
	}
	emit(10)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush before the disk fills: %v", err)
	}

	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	emit(500)
	ferr := c.Flush(context.Background())
	lost := c.Stats().Lost
	if ferr == nil || lost == 0 || !strings.Contains(ferr.Error(), "lost to write errors") {
		t.Fatalf("Flush on a full disk: %v (lost %d)", ferr, lost)
	}
	if v := gauge(t, reg, "milestone_events_lost_total"); v != float64(lost) {
		t.Errorf("milestone_events_lost_total{sink=eventlog} = %v, want %d", v, lost)
	}
	if v := gauge(t, reg, "milestone_write_errors_total"); v == 0 {
		t.Error("milestone_write_errors_total did not move")
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	emit(10)
	if err := c.Flush(context.Background()); err != nil {
		t.Errorf("Flush after space came back: %v", err)
	}
	if !strings.Contains(logs.String(), "event_log_write_recovered") {
		t.Errorf("the recovery was not logged:\n%s\n%+v", logs.String(), c.Stats())
	}

	fill(t, filler)
	emit(500)
	if err := c.Flush(context.Background()); err == nil {
		t.Error("Flush on the second full disk returned nil")
	}
	if n := strings.Count(logs.String(), "msg=event_log_write_failed"); n != 2 {
		t.Errorf("%d event_log_write_failed lines, want 2 (the first filling and the second):\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "no space left on device") {
		t.Errorf("the log does not say why:\n%s", logs.String())
	}
	_ = os.Remove(filler)
	if err := c.Close(); err == nil || !strings.Contains(err.Error(), "lost to write errors") {
		t.Errorf("Close after losses: %v", err)
	}
	// The file holds complete lines only: a partial line a failed write
	// left is a line of its own.
	data, err := os.ReadFile(c.Path("tmpfs-run"))
	if err != nil {
		t.Fatal(err)
	}
	good := 0
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if strings.HasPrefix(l, "{") && strings.HasSuffix(l, "}") {
			good++
		}
	}
	if st := c.Stats(); uint64(good) < st.Written {
		t.Errorf("%d complete lines in the file, %d written", good, st.Written)
	}
}

// gauge returns the value of family name's series with sink="eventlog".
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == "sink" && lp.GetValue() == "eventlog" {
					return m.Counter.GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{sink=eventlog}", name)
	return 0
}
