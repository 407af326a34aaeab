package progress_test

import (
	"math"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/progress"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// feed observes v at t0+at.
func feed[T any](tr *progress.Tracker, t0 time.Time, at time.Duration, v T) {
	et := metrics.TypeOf[T]()
	p := et.Pack(v)
	tr.Observe(t0.Add(at), et.Descriptor(), &p)
}

func TestTrackerFollowsAWrite(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	tr := progress.NewTracker(progress.Model{Shares: progress.Weights{shardyfusion.StageSharding: 0.25, shardyfusion.StageWriting: 0.75}})
	s := time.Second
	feed(tr, t0, 0, shardyfusion.WriteStarted{RowsExpected: 1000})
	if e := tr.Estimate(t0); !e.Known || e.Fraction != 0 || e.ETA != -1 {
		t.Errorf("at the start: %+v", e)
	}
	feed(tr, t0, s, shardyfusion.ShardingProgress{Rows: 500})
	if e := tr.Estimate(t0.Add(s)); e.Fraction != 0.125 || e.Stage != "sharding" || e.Done != 500 || e.Total != 1000 || e.Unit != "rows" {
		t.Errorf("half sharded: %+v", e)
	}
	feed(tr, t0, 2*s, shardyfusion.ShardingCompleted{Rows: 800}) // duplicates dropped: 800 to write
	feed(tr, t0, 2*s, shardyfusion.ShardWriteStarted{DBID: 0, Rows: 400})
	feed(tr, t0, 2*s, shardyfusion.ShardWriteStarted{DBID: 1, Rows: 400})
	feed(tr, t0, 3*s, shardyfusion.BatchWritten{DBID: 0, BatchSize: 400})
	feed(tr, t0, 3*s, shardyfusion.BatchWritten{DBID: 1, BatchSize: 200})
	e := tr.Estimate(t0.Add(3 * s))
	if want := 0.25 + 0.75*600.0/800; math.Abs(e.Fraction-want) > 1e-9 {
		t.Errorf("600 of 800 written: %v, want %v", e.Fraction, want)
	}
	// Shard 1 fails and starts over: its 200 rows are not progress, but the
	// estimate never goes back.
	feed(tr, t0, 4*s, shardyfusion.ShardWriteRetried{DBID: 1, Attempt: 1})
	if e2 := tr.Estimate(t0.Add(4 * s)); e2.Fraction != e.Fraction {
		t.Errorf("after a restart: %v, want it held at %v", e2.Fraction, e.Fraction)
	}
	feed(tr, t0, 5*s, shardyfusion.BatchWritten{DBID: 1, BatchSize: 100})
	if e3 := tr.Estimate(t0.Add(5 * s)); e3.Fraction != e.Fraction {
		t.Errorf("the retry has redone less than it lost: %v, want %v", e3.Fraction, e.Fraction)
	}
	feed(tr, t0, 6*s, shardyfusion.BatchWritten{DBID: 1, BatchSize: 300})
	feed(tr, t0, 6*s, shardyfusion.BatchWritten{DBID: 1, BatchSize: 300}) // more than the shard holds: capped
	e = tr.Estimate(t0.Add(6 * s))
	if math.Abs(e.Fraction-1) > 1e-9 {
		t.Errorf("every row written: %v", e.Fraction)
	}
	if e.ETA != 0 || e.Ended {
		t.Errorf("all done but not ended: %+v", e)
	}
	// Work came at 1, 2, 3, 5 and 6 s: 1.25 s apart on average, so the
	// run is stalled after five times that, 6.25 s.
	if st := tr.Estimate(t0.Add(6*s + 6200*time.Millisecond)); st.Stalled {
		t.Errorf("6.2 s with no work: %+v, want not yet stalled", st)
	}
	if st := tr.Estimate(t0.Add(6*s + 6300*time.Millisecond)); !st.Stalled {
		t.Errorf("6.3 s with no work: %+v, want stalled", st)
	}
	if st := tr.Estimate(t0.Add(60 * s)); !st.Stalled {
		t.Errorf("a minute with no work: %+v, want stalled", st)
	}
	feed(tr, t0, 7*s, shardyfusion.WriteCompleted{Rows: 800})
	if e := tr.Estimate(t0.Add(60 * s)); !e.Ended || e.Fraction != 1 || e.Stalled {
		t.Errorf("ended: %+v", e)
	}
	sh := tr.Shares()
	if math.Abs(sh["sharding"]-2.0/7) > 1e-9 || math.Abs(sh["writing"]-4.0/7) > 1e-9 || math.Abs(sh[progress.EndStage]-1.0/7) > 1e-9 {
		t.Errorf("shares %v, want sharding 2/7 (to its completion), writing 4/7 and the end 1/7", sh)
	}
}

func TestTheETAIsTheAveragePace(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	tr := progress.NewTracker(progress.Model{})
	feed(tr, t0, 0, shardyfusion.WriteStarted{RowsExpected: 100})
	feed(tr, t0, 10*time.Second, shardyfusion.ShardingProgress{Rows: 50})
	// Equal weights: sharding half done is a quarter of the run, after 10 s.
	if e := tr.Estimate(t0.Add(10 * time.Second)); e.Fraction != 0.25 || e.ETA != 30*time.Second {
		t.Errorf("%+v, want a quarter done and 30 s left", e)
	}
}

func TestScoreOf(t *testing.T) {
	T := 100 * time.Second
	var perfect, never []progress.Sample
	for i := 0; i <= 100; i++ {
		at := time.Duration(i) * time.Second
		f := float64(i) / 100
		eta := time.Duration(-1)
		if f > 0 {
			eta = T - at
		}
		perfect = append(perfect, progress.Sample{At: at, Fraction: f, ETA: eta})
		never = append(never, progress.Sample{At: at, Fraction: 0, ETA: -1})
	}
	p := progress.ScoreOf(perfect, T)
	if p.RMS > 0.01 || p.MedianETAError != 0 || !p.Monotone {
		t.Errorf("a perfect estimator: %+v", p)
	}
	n := progress.ScoreOf(never, T)
	if math.Abs(n.RMS-math.Sqrt(1.0/3)) > 1e-6 || n.MedianETAError != -1 {
		t.Errorf("an estimator stuck at 0: %+v, want RMS √(1/3)", n)
	}
	back := progress.ScoreOf([]progress.Sample{{At: 0, Fraction: 0.5}, {At: time.Second, Fraction: 0.4}}, T)
	if back.Monotone {
		t.Error("a fraction that went back is monotone")
	}
}

// TestObservingAKnownPartAllocatesNothing: a batch of a shard the tracker
// already follows costs no allocation (a part's key boxes nothing).
func TestObservingAKnownPartAllocatesNothing(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	tr := progress.NewTracker(progress.Model{})
	feed(tr, t0, 0, shardyfusion.WriteStarted{RowsExpected: 1 << 20})
	feed(tr, t0, 0, shardyfusion.ShardWriteStarted{DBID: 1000, Rows: 1 << 20})
	et := metrics.TypeOf[shardyfusion.BatchWritten]()
	p := et.Pack(shardyfusion.BatchWritten{DBID: 1000, BatchSize: 1})
	if n := testing.AllocsPerRun(100, func() { tr.Observe(t0.Add(time.Second), et.Descriptor(), &p) }); n != 0 {
		t.Errorf("%v allocations an event, want 0", n)
	}
}
