package runs

// This file accumulates the lines of an event log into a Summary: the
// sharded-KV figures here, the event table of any catalog in generic.go
// and undeclared.go.

import (
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

type accumulator struct {
	s     Summary
	valid int

	runs map[string]bool

	sharding, shardPhase, manifest, current float64
	haveSharding, haveShardPhase            bool
	haveManifest, haveCurrent               bool
	lastShardsDone, lastManifest            *float64

	completedElapsed float64
	writeRows        int64
	haveWriteRows    bool
	phaseRows        int64
	havePhaseRows    bool

	shards    []Shard
	retries   map[int64]int
	gets      []float64
	multiGets []float64

	describe   describer
	generic    map[string]*genericAcc
	eventOrder map[string]int
	// endsRun holds the wire names the header says end a run.
	endsRun map[string]bool
	// runKey is the key of the run id when event_log_started named one
	// other than run_id (eventlog.WithRunKey).
	runKey string
	// by are the fields the event table groups by beside labels (GroupBy).
	by map[string]bool

	// line holds the members of the line being added, and key the
	// event table's key of it: scratch, reused line to line.
	line []jsonscan.Member
	key  []byte
}

func newAccumulator() *accumulator {
	return &accumulator{runs: map[string]bool{}, retries: map[int64]int{}, describe: describer{}, generic: map[string]*genericAcc{}, eventOrder: map[string]int{}, endsRun: map[string]bool{}, by: map[string]bool{}}
}

// add adds the line scan read into r and a.line. Strings that outlive the
// line are cloned where they are kept.
func (a *accumulator) add(r *record) {
	a.valid++
	s := &a.s
	if r.Event == "event_log_started" && r.RunKey != "" && r.RunKey != "run_id" {
		a.runKey = strings.Clone(r.RunKey)
	}
	if a.runKey != "" {
		if raw, ok := jsonscan.Get(a.line, a.runKey); ok {
			if id, ok := jsonscan.Str(raw); ok {
				r.RunID = &id
			}
		}
	}
	if ts, err := time.Parse(time.RFC3339Nano, r.TS); err == nil {
		if s.First.IsZero() || ts.Before(s.First) {
			s.First = ts
		}
		if ts.After(s.Last) {
			s.Last = ts
		}
	}
	if r.RunID != nil && !a.runs[*r.RunID] {
		id := strings.Clone(*r.RunID)
		a.runs[id] = true
		s.RunIDs = append(s.RunIDs, id)
	}
	if r.TraceID != "" && !slices.Contains(s.TraceIDs, r.TraceID) {
		s.TraceIDs = append(s.TraceIDs, strings.Clone(r.TraceID))
	}
	elapsed := func() float64 {
		if r.ElapsedMS != nil {
			return *r.ElapsedMS
		}
		return 0
	}
	duration := func() float64 {
		if r.DurationMS != nil {
			return *r.DurationMS
		}
		return 0
	}
	switch r.Event {
	case "event_log_started":
		if s.Version == "" && s.Host == "" {
			s.Version, s.Host, s.PID = strings.Clone(r.Version), strings.Clone(r.Host), int(r.PID)
		}
		for _, w := range r.EndsRun {
			a.endsRun[w] = true
		}
		return
	case "events_dropped":
		s.Dropped += r.Count
		return
	}
	s.Events++
	d := a.describe.lookup(r.Event)
	if d != nil {
		a.addGeneric(d)
		s.ShardedKV = s.ShardedKV || d.Catalog == shardyfusion.Catalog
	} else {
		a.addUndeclared(r.Event)
		countString(&s.Unknown, r.Event)
	}
	if d != nil && d.EndsRun || a.endsRun[r.Event] {
		s.EndedBy, s.EndStatus = strings.Clone(r.Event), strings.Clone(r.Status)
	}
	if a.isError(d, r) {
		s.Errors++
	}
	switch r.Event {
	case "write.started":
		s.WritesStarted++
	case "write.sharding_completed":
		a.sharding += duration()
		a.haveSharding = true
	case "write.shard.started":
		s.Shards.Started++
	case "write.shard.completed":
		sh := Shard{DurationMS: duration(), Rows: r.RowCount}
		if r.DBID != nil {
			sh.DBID = *r.DBID
		}
		a.shards = append(a.shards, sh)
		s.Rows.InShards += r.RowCount
	case "write.shards_completed":
		a.shardPhase += duration()
		a.haveShardPhase = true
		e := elapsed()
		a.lastShardsDone = &e
		if r.RowsWritten != nil {
			a.phaseRows += *r.RowsWritten
			a.havePhaseRows = true
		}
	case "write.batch_written":
		s.Rows.Batches++
		s.Rows.InBatches += r.BatchSize
	case "write.manifest_published":
		e := elapsed()
		if a.lastShardsDone != nil {
			a.manifest += e - *a.lastShardsDone
			a.haveManifest = true
			a.lastShardsDone = nil
		}
		a.lastManifest = &e
	case "write.current_published":
		if a.lastManifest != nil {
			a.current += elapsed() - *a.lastManifest
			a.haveCurrent = true
			a.lastManifest = nil
		}
	case "write.completed":
		s.WritesCompleted++
		a.completedElapsed += elapsed()
		if r.RowsWritten != nil {
			a.writeRows += *r.RowsWritten
			a.haveWriteRows = true
		}
	case "write.shard.retried":
		s.Retries.ShardRetries++
		s.Retries.ShardBackoffMS += r.BackoffS * 1000
		if r.DBID != nil {
			a.retries[*r.DBID]++
		}
	case "write.shard.retry_exhausted":
		s.Retries.ShardExhausted++
		if r.DBID != nil {
			s.Shards.Exhausted = append(s.Shards.Exhausted, *r.DBID)
		}
	case "s3.retry":
		s.Retries.S3Retries++
		s.Retries.S3DelayMS += r.DelayS * 1000
	case "s3.retry_exhausted":
		s.Retries.S3Exhausted++
	case "rate_limiter.throttled":
		s.Limiter.Throttled++
		s.Limiter.WaitMS += r.WaitSeconds * 1000
	case "rate_limiter.denied":
		s.Limiter.Denied++
		s.Limiter.TokensAsked += r.Tokens
	case "reader.initialized":
		s.Reader.Initialized++
	case "reader.get":
		a.gets = append(a.gets, duration())
		if r.Found != nil && !*r.Found {
			s.Reader.Misses++
		}
	case "reader.multi_get":
		a.multiGets = append(a.multiGets, duration())
		s.Reader.MultiKeys += r.NumKeys
	case "reader.refreshed":
		s.Reader.Refreshes++
		if r.Changed {
			s.Reader.Changes++
		}
	case "reader.closed":
		s.Reader.Closed++
	case "write.failed":
		countString(&s.WritesFailed, r.ErrorType)
	}
}

func (a *accumulator) finish() *Summary {
	s := &a.s
	s.Percentiles = PercentileMethod
	if s.WritesCompleted > 0 {
		s.TotalMS = a.completedElapsed
		s.TotalSource = "write.completed elapsed_ms"
	} else {
		s.TotalMS = float64(s.Last.Sub(s.First)) / float64(time.Millisecond)
		s.TotalSource = "first to last timestamp"
	}
	phase := func(name string, v float64, have bool, from string) Phase {
		p := Phase{Name: name, From: from}
		if have {
			p.MS = &v
		}
		return p
	}
	s.Phases = []Phase{
		phase("sharding", a.sharding, a.haveSharding, "write.sharding_completed duration_ms"),
		phase("shard writes", a.shardPhase, a.haveShardPhase, "write.shards_completed duration_ms"),
		phase("manifest", a.manifest, a.haveManifest, "write.manifest_published elapsed_ms - write.shards_completed elapsed_ms"),
		phase("current", a.current, a.haveCurrent, "write.current_published elapsed_ms - write.manifest_published elapsed_ms"),
	}

	for i := range a.shards {
		a.shards[i].Retries = a.retries[a.shards[i].DBID]
	}
	s.Shards.Completed = len(a.shards)
	if len(a.shards) > 0 {
		d := make([]float64, len(a.shards))
		for i, sh := range a.shards {
			d[i] = sh.DurationMS
		}
		sort.Float64s(d)
		s.Shards.MinMS, s.Shards.MedianMS, s.Shards.MaxMS = d[0], Percentile(d, 50), d[len(d)-1]
		slow := append([]Shard(nil), a.shards...)
		sort.SliceStable(slow, func(i, j int) bool {
			if slow[i].DurationMS != slow[j].DurationMS {
				return slow[i].DurationMS > slow[j].DurationMS
			}
			return slow[i].DBID < slow[j].DBID
		})
		s.Shards.Slowest = slow[:min(SlowestShards, len(slow))]
	}
	if s.Shards.Slowest == nil {
		s.Shards.Slowest = []Shard{}
	}

	switch {
	case a.haveWriteRows:
		s.Rows.Written, s.Rows.Source = a.writeRows, "write.completed rows_written"
	case a.havePhaseRows:
		s.Rows.Written, s.Rows.Source = a.phaseRows, "write.shards_completed rows_written"
	default:
		s.Rows.Written, s.Rows.Source = s.Rows.InShards, "sum of write.shard.completed row_count"
	}
	s.Reader.Gets = latency(a.gets)
	s.Reader.MultiGets = latency(a.multiGets)
	if s.RunIDs == nil {
		s.RunIDs = []string{}
	}
	s.EventTable = a.finishGeneric()
	return s
}

func latency(v []float64) Latency {
	if len(v) == 0 {
		return Latency{}
	}
	sort.Float64s(v)
	return Latency{
		Count: len(v),
		P50MS: Percentile(v, 50),
		P90MS: Percentile(v, 90),
		P99MS: Percentile(v, 99),
		MaxMS: v[len(v)-1],
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, which must be sorted in increasing order and not empty: the value
// at rank ceil(p/100 × n).
func Percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// isError reports whether a line is an error: a declared event logged at
// ERROR (its level, or the level its LevelBy value maps to), or an
// undeclared one whose status is "error" or "failed".
func (a *accumulator) isError(d *metrics.Descriptor, r *record) bool {
	if d == nil {
		return r.Status == "error" || r.Status == "failed"
	}
	if d.LevelBy == nil {
		return d.Level >= slog.LevelError
	}
	raw, _ := jsonscan.Get(a.line, d.LevelBy.Name)
	v, ok := jsonscan.Str(raw)
	if !ok {
		return d.Level >= slog.LevelError
	}
	return d.LevelOfValue(v) >= slog.LevelError
}

// countString adds one to (*m)[k], making the map and cloning k (which
// may point into a line) the first time.
func countString(m *map[string]int, k string) {
	if *m == nil {
		*m = map[string]int{}
	}
	if _, ok := (*m)[k]; ok {
		(*m)[k]++
		return
	}
	(*m)[strings.Clone(k)] = 1
}
