package explore_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/bigrun"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/runs"
	"github.com/milestone-go/milestone/runs/explore"
)

// TestAMillionEventRunStaysBounded renders the page of a run of a million
// events and 2,000 steps: the page draws at most MaxBars bars (the steps
// of one name beyond them as aggregate bars) and lists MaxEvents events,
// and the server's heap stays far below the run's size.
func TestAMillionEventRunStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a million events")
	}
	testutil.Exclusive(t)
	dir := t.TempDir()
	const steps, per = 2000, 500
	bigrun.Write(t, dir, "million", steps, per)
	h, err := explore.New(runs.Dir(dir), explore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/runs/million", nil))
	took := time.Since(start)
	close(stop)
	body, _ := io.ReadAll(rec.Body)
	page := string(body)
	bars := strings.Count(page, `<g class="row"`)
	aggregates := strings.Count(page, `data-aggregate="1"`)
	listed := strings.Count(page, `<tr class="event`)
	t.Logf("a %d-event run: page of %d KiB in %v, %d bars (%d aggregate), %d events listed, heap peak %d MiB (%d MiB before)",
		steps*per+4, len(body)>>10, took.Round(time.Millisecond), bars, aggregates, listed, peak.Load()>>20, before.HeapInuse>>20)
	if rec.Code != 200 || bars > explore.MaxBars || aggregates == 0 || listed != explore.MaxEvents {
		t.Errorf("status %d, %d bars (%d aggregate), %d events listed: want at most %d bars, some aggregate, %d events",
			rec.Code, bars, aggregates, listed, explore.MaxBars, explore.MaxEvents)
	}
	if peak.Load() > 256<<20 {
		t.Errorf("the heap reached %d MiB rendering the run", peak.Load()>>20)
	}
}
