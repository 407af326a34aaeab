package runs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// stepClock is a clock a test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// writeRun writes a run whose shards take durations (sequentially, on a
// clock moved by hand), retries times in the last shard, a quiet gap
// before the end, and ends it unless open; it returns the run's lines.
func writeRun(t *testing.T, durations []time.Duration, retries int, gap time.Duration, open bool) []byte {
	t.Helper()
	dir := t.TempDir()
	clock := &stepClock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	ev, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "profile-run")
	metrics.Emit(ctx, ev, shardyfusion.WriteStarted{})
	phase, _ := runctx.StartStep(ctx)
	var total time.Duration
	for i, d := range durations {
		shard, _ := runctx.StartStep(phase)
		metrics.Emit(shard, ev, shardyfusion.ShardWriteStarted{DBID: i})
		if i == len(durations)-1 {
			for a := range retries {
				clock.advance(time.Millisecond)
				metrics.Emit(shard, ev, shardyfusion.S3Retry{Attempt: a + 1, MaxRetries: retries + 1, Delay: time.Millisecond})
				d -= time.Millisecond
			}
		}
		clock.advance(d)
		metrics.Emit(shard, ev, shardyfusion.ShardWriteCompleted{DBID: i, Rows: 10, Duration: durations[i]})
		total += durations[i]
	}
	metrics.Emit(phase, ev, shardyfusion.ShardWritesCompleted{Duration: total, Rows: int64(10 * len(durations))})
	clock.advance(gap)
	if !open {
		metrics.Emit(ctx, ev, shardyfusion.WriteCompleted{Elapsed: total + gap, Rows: int64(10 * len(durations))})
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "profile-run", runs.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func warningKinds(p *runs.Profile) map[string]runs.Warning {
	out := map[string]runs.Warning{}
	for _, w := range p.Warnings {
		out[w.Kind] = w
	}
	return out
}

func TestProfileFindsTheCriticalPathSkewAndRetries(t *testing.T) {
	ms := time.Millisecond
	lines := writeRun(t, []time.Duration{100 * ms, 120 * ms, 110 * ms, 1000 * ms}, 12, 0, false)
	p, err := runs.ProfileOf(bytes.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	if p.RunID != "profile-run" || p.TraceID == "" || len(p.Spans) != 6 {
		t.Fatalf("profile %+v, want the run, its phase and 4 shards", p)
	}
	root, phase := p.Spans[0], p.Spans[1]
	if root.Depth != 0 || phase.Depth != 1 || phase.Name != "write.shards_completed" || root.Share != 1 {
		t.Errorf("root %+v, phase %+v", root, phase)
	}
	if phase.DurationMS != 1330 || phase.ParentID != root.ID {
		t.Errorf("the phase: %v ms under %s, want 1330 under the root", phase.DurationMS, phase.ParentID)
	}
	// The shards ran one after another and fill the phase: no self time.
	if phase.SelfMS != 0 {
		t.Errorf("the phase's self time %v ms, want 0", phase.SelfMS)
	}
	last := p.Spans[5]
	if last.Labels["db_id"] != "3" || last.DurationMS != 1000 || last.Depth != 2 || last.ParentID != phase.ID {
		t.Errorf("the last shard %+v", last)
	}
	if want := []string{root.ID, phase.ID, last.ID}; strings.Join(p.CriticalPath, ",") != strings.Join(want, ",") {
		t.Errorf("critical path %v, want the run, the phase and shard 3", p.CriticalPath)
	}
	for _, s := range p.Spans {
		if s.Critical != (s == root || s == phase || s == last) {
			t.Errorf("span %s critical=%v", s.Title(), s.Critical)
		}
	}
	retries := 0
	for _, m := range last.Marks {
		if m.Name == "s3.retry" {
			retries++
		}
	}
	if retries != 12 {
		t.Errorf("%d retry marks on shard 3, want 12", retries)
	}
	w := warningKinds(p)
	if sk, ok := w["skew"]; !ok || sk.SpanID != last.ID || !strings.Contains(sk.Message, "db_id=3") {
		t.Errorf("skew warning %+v", w)
	}
	if _, ok := w["retry_storm"]; !ok {
		t.Errorf("no retry storm warning: %+v", p.Warnings)
	}
	if _, ok := w["stall"]; ok {
		t.Errorf("a stall where there is none: %+v", p.Warnings)
	}
	var text bytes.Buffer
	if err := p.WriteText(&text); err != nil || !strings.Contains(text.String(), "*     write.shard.completed{db_id=3}") {
		t.Errorf("text (%v):\n%s", err, text.String())
	}
}

func TestProfileWarnsOfAStallAndARunThatNeverEnded(t *testing.T) {
	ms := time.Millisecond
	lines := writeRun(t, []time.Duration{100 * ms, 100 * ms}, 0, 5*time.Second, true)
	p, err := runs.ProfileOf(bytes.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	w := warningKinds(p)
	if _, ok := w["not_ended"]; !ok || !p.Spans[0].Error {
		t.Errorf("no not_ended warning: %+v", p.Warnings)
	}
	even := writeRun(t, []time.Duration{100 * ms, 100 * ms, 100 * ms}, 0, 5*time.Second, false)
	p, err = runs.ProfileOf(bytes.NewReader(even))
	if err != nil {
		t.Fatal(err)
	}
	w = warningKinds(p)
	if s, ok := w["stall"]; !ok || !strings.Contains(s.Message, "5s") {
		t.Errorf("no stall warning of 5s: %+v", p.Warnings)
	}
	if _, ok := w["skew"]; ok {
		t.Errorf("skew among equal shards: %+v", p.Warnings)
	}
	if _, err := runs.ProfileOf(strings.NewReader("")); err == nil {
		t.Error("a profile of nothing")
	}
}
