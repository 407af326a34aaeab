package eventlog

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestRepeatedFailuresAreSummarised: the first failure is logged at once;
// the next ones are counted and summarised, at most once per reportEvery,
// with the count since the last line.
func TestRepeatedFailuresAreSummarised(t *testing.T) {
	prev := reportEvery
	reportEvery = 100 * time.Millisecond
	t.Cleanup(func() { reportEvery = prev })
	// A regular file where the directory should be: every new run fails.
	dir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	c, err := New(WithDir(filepath.Join(dir, "events")), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		metrics.Emit(runctx.With(context.Background(), "r"+strconv.Itoa(i)), c, shardyfusion.WriteStarted{})
		_ = c.Flush(context.Background())
		time.Sleep(60 * time.Millisecond)
	}
	_ = c.Close()
	text := logs.String()
	if n := strings.Count(text, "msg=event_log_write_failed"); n != 1 {
		t.Errorf("%d event_log_write_failed lines, want 1:\n%s", n, text)
	}
	summaries := strings.Count(text, "msg=event_log_write_errors")
	if summaries < 1 || summaries > 3 || !strings.Contains(text, "count=") {
		t.Errorf("%d summary lines over 6 failures 60 ms apart with reportEvery 100 ms, want 1 to 3 with a count:\n%s", summaries, text)
	}
}
