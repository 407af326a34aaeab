package progress_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/progress"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// lockedBuffer is a bytes.Buffer the Line's goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// write emits a write of 1000 rows over about 300 ms to c.
func write(ctx context.Context, c metrics.Collector) {
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{RowsExpected: 1000})
	for range 5 {
		time.Sleep(30 * time.Millisecond)
		metrics.Emit(ctx, c, shardyfusion.ShardingProgress{Rows: 200})
	}
	metrics.Emit(ctx, c, shardyfusion.ShardingCompleted{Rows: 1000})
	metrics.Emit(ctx, c, shardyfusion.ShardWriteStarted{DBID: 0, Rows: 1000})
	for range 5 {
		time.Sleep(30 * time.Millisecond)
		metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: 0, BatchSize: 200})
	}
	metrics.Emit(ctx, c, shardyfusion.WriteCompleted{Rows: 1000})
}

func TestLineOnATerminal(t *testing.T) {
	var out lockedBuffer
	l := progress.NewLine(&out, progress.WithTerminal(true), progress.WithTiming(50*time.Millisecond, 10*time.Millisecond, time.Hour))
	write(runctx.With(context.Background(), "w1"), l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	draws := strings.Split(s, "\r")
	if len(draws) < 4 || draws[0] != "" {
		t.Fatalf("%d redraws, want several, each after a carriage return:\n%q", len(draws)-1, s)
	}
	for i, d := range draws[1:] {
		if !strings.Contains(d, "%") || !strings.Contains(d, "\x1b[K") {
			t.Errorf("redraw %d %q: want a percentage and an erase to the end of the line", i, d)
		}
		if i > 0 && d == draws[i] {
			t.Errorf("redraw %d repeats the one before", i)
		}
	}
	if !strings.Contains(s, "ETA") || !strings.Contains(draws[len(draws)-1], "100.0%") || !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("want an ETA, then 100%% and one newline at the end:\n%q", s)
	}
}

func TestLineNeverDrawsAQuickRun(t *testing.T) {
	var out lockedBuffer
	l := progress.NewLine(&out, progress.WithTerminal(true), progress.WithTiming(time.Hour, 10*time.Millisecond, time.Hour))
	write(runctx.With(context.Background(), "quick"), l)
	_ = l.Close()
	if s := out.String(); s != "" {
		t.Errorf("a run shorter than the delay drew %q", s)
	}
}

func TestLineOnAPlainWriter(t *testing.T) {
	var out lockedBuffer
	l := progress.NewLine(&out, progress.WithTerminal(false), progress.WithTiming(0, 10*time.Millisecond, 100*time.Millisecond))
	write(runctx.With(context.Background(), "w2"), l)
	_ = l.Close()
	s := out.String()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if strings.Contains(s, "\r") || strings.Contains(s, "\x1b") || len(lines) < 2 || !strings.Contains(lines[len(lines)-1], "100.0%") {
		t.Errorf("plain output:\n%q", s)
	}
}

func TestLineIsACollector(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector {
		l := progress.NewLine(io.Discard, progress.WithTiming(0, time.Millisecond, time.Millisecond))
		t.Cleanup(func() { _ = l.Close() })
		return l
	})
}
