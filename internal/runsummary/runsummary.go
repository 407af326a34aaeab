package runsummary

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/milestone-go/milestone/metrics"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// FileName is the name of a run's event log inside its run directory.
const FileName = "events.jsonl"

// SlowestShards is how many shards the report lists as the slowest.
const SlowestShards = 5

// Summary is the report on one events.jsonl. Durations are in milliseconds.
type Summary struct {
	// Path is the file read, when read from a file.
	Path string `json:"path,omitempty"`
	// RunIDs lists the run ids found, in order of appearance (one for a file
	// written by eventlog).
	RunIDs []string `json:"run_ids"`
	// Version, Host and PID come from the first event_log_started line.
	Version string `json:"version,omitempty"`
	Host    string `json:"host,omitempty"`
	PID     int    `json:"pid,omitempty"`
	// Lines is the number of lines read, Events the number of event lines
	// among them (not counting event_log_started and events_dropped).
	Lines  int `json:"lines"`
	Events int `json:"events"`
	// First and Last are the earliest and latest timestamps of the file.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`

	// TotalMS is the run's total time: the elapsed_ms of write.completed
	// (summed over the writes of the file), or, when no write completed,
	// the time between the first and the last timestamp.
	TotalMS     float64 `json:"total_ms"`
	TotalSource string  `json:"total_source"`
	// Writes counts write.started and write.completed events.
	WritesStarted   int `json:"writes_started"`
	WritesCompleted int `json:"writes_completed"`

	// Phases is the time of each phase of a write, in order: sharding,
	// shard writes, manifest, current.
	Phases []Phase `json:"phases"`

	Shards  Shards  `json:"shards"`
	Rows    Rows    `json:"rows"`
	Retries Retries `json:"retries"`
	Limiter Limiter `json:"rate_limiter"`
	Reader  Reader  `json:"reader"`

	// Dropped is the sum of the events_dropped counts: events the collector
	// could not queue, missing from the file.
	Dropped int64 `json:"events_dropped"`
	// Events lists, per event and label values, the count, the duration
	// fields' distributions and the integer fields' sums, for every event
	// of every catalog this binary declares.
	EventTable []EventStats `json:"event_table"`
	// WritesFailed counts write.failed events, by error type.
	WritesFailed map[string]int `json:"writes_failed,omitempty"`
	// ShardedKV reports whether the log holds events of the built-in
	// (shardyfusion) catalog; the report's write, shard and reader sections
	// are about them, and WriteText leaves them out when it is false.
	ShardedKV bool `json:"sharded_kv"`
	// EndedBy is the wire name of the last event that ends a run (declared
	// with EndsRun, or listed in the header's ends_run), and EndStatus its
	// status field, if it has one: "" when the run's end never came.
	EndedBy   string `json:"ended_by,omitempty"`
	EndStatus string `json:"end_status,omitempty"`
	// Unknown counts lines whose event this binary does not declare. They
	// are in EventTable too, grouped and summed by their field names.
	Unknown map[string]int `json:"unknown_events,omitempty"`
	// Torn describes a last line that has no newline and is not complete
	// JSON, as a crash leaves it. It is ignored.
	Torn *Torn `json:"torn_last_line,omitempty"`
	// Malformed lists the numbers of complete lines (ending in a newline)
	// that are not JSON objects of the event log, or hold a value of the
	// wrong type; MalformedError says what was wrong with the first.
	Malformed      []int  `json:"malformed_lines,omitempty"`
	MalformedError string `json:"malformed_error,omitempty"`
}

// Phase is the time spent in one phase of a write.
type Phase struct {
	Name string `json:"name"`
	// MS is the phase's time, or nil when the file lacks the events that
	// bound it.
	MS *float64 `json:"ms"`
	// From says how MS was derived.
	From string `json:"from"`
}

// Shard is one completed shard write.
type Shard struct {
	DBID       int64   `json:"db_id"`
	DurationMS float64 `json:"duration_ms"`
	Rows       int64   `json:"rows"`
	Retries    int     `json:"retries"`
}

// Shards summarizes write.shard.completed events.
type Shards struct {
	Completed int     `json:"completed"`
	MinMS     float64 `json:"min_ms"`
	MedianMS  float64 `json:"median_ms"`
	MaxMS     float64 `json:"max_ms"`
	// Slowest lists up to SlowestShards shards, slowest first.
	Slowest []Shard `json:"slowest"`
	// Started counts write.shard.started events.
	Started int `json:"started"`
	// Exhausted lists the shards whose retries ran out.
	Exhausted []int64 `json:"retry_exhausted,omitempty"`
}

// Rows counts rows written.
type Rows struct {
	// Written is the rows_written of write.completed (summed over writes),
	// else of write.shards_completed, else the sum of the shards' row_count.
	Written int64  `json:"written"`
	Source  string `json:"source"`
	// InShards is the sum of row_count over completed shards.
	InShards int64 `json:"in_shards"`
	// InBatches is the sum of batch_size over write.batch_written.
	InBatches int64 `json:"in_batches"`
	Batches   int   `json:"batches"`
}

// Retries counts retried and failed attempts.
type Retries struct {
	ShardRetries   int     `json:"shard_retries"`
	ShardBackoffMS float64 `json:"shard_backoff_ms"`
	ShardExhausted int     `json:"shard_retries_exhausted"`
	S3Retries      int     `json:"s3_retries"`
	S3DelayMS      float64 `json:"s3_delay_ms"`
	S3Exhausted    int     `json:"s3_retries_exhausted"`
}

// Limiter summarizes the rate limiter's events.
type Limiter struct {
	Throttled   int     `json:"throttled"`
	WaitMS      float64 `json:"wait_ms"`
	Denied      int     `json:"denied"`
	TokensAsked int64   `json:"tokens_denied"`
}

// Latency is a distribution of durations.
type Latency struct {
	Count int     `json:"count"`
	P50MS float64 `json:"p50_ms"`
	P90MS float64 `json:"p90_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

// Reader summarizes the reader's events.
type Reader struct {
	Initialized int     `json:"initialized"`
	Gets        Latency `json:"gets"`
	Misses      int     `json:"misses"`
	MultiGets   Latency `json:"multi_gets"`
	MultiKeys   int64   `json:"multi_get_keys"`
	Refreshes   int     `json:"refreshes"`
	Changes     int     `json:"snapshot_changes"`
	Closed      int     `json:"closed"`
}

// Torn is a last line cut short.
type Torn struct {
	Line  int    `json:"line"`
	Bytes int    `json:"bytes"`
	Error string `json:"error"`
}

// record is one line. Pointers tell a key that is absent from a zero.
type record struct {
	Event       string   `json:"event"`
	TS          string   `json:"ts"`
	RunID       *string  `json:"run_id"`
	RunKey      string   `json:"run_key"`
	EndsRun     []string `json:"ends_run"`
	Status      string   `json:"status"`
	Version     string   `json:"version"`
	Host        string   `json:"host"`
	PID         int      `json:"pid"`
	Count       int64    `json:"count"`
	ElapsedMS   *float64 `json:"elapsed_ms"`
	DurationMS  *float64 `json:"duration_ms"`
	DBID        *int64   `json:"db_id"`
	RowCount    int64    `json:"row_count"`
	RowsWritten *int64   `json:"rows_written"`
	BatchSize   int64    `json:"batch_size"`
	Found       *bool    `json:"found"`
	NumKeys     int64    `json:"num_keys"`
	Changed     bool     `json:"changed"`
	NumHandles  int64    `json:"num_handles"`
	Attempt     int64    `json:"attempt"`
	Attempts    int64    `json:"attempts"`
	MaxRetries  int64    `json:"max_retries"`
	BackoffS    float64  `json:"backoff_s"`
	DelayS      float64  `json:"delay_s"`
	WaitSeconds float64  `json:"wait_seconds"`
	Tokens      int64    `json:"tokens_requested"`
	ErrorType   string   `json:"error_type"`
}

// ReadFile summarizes path: an events.jsonl, or a run directory holding one.
func ReadFile(path string) (*Summary, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		path = filepath.Join(path, FileName)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Path = path
	return s, nil
}

// Read summarizes an event log read from r. A last line without its newline
// that is not complete JSON (a torn write) is reported in Torn; complete
// lines that are not valid event-log JSON, or hold a value of the wrong
// type, are listed in Malformed. Both are ignored. It fails only when r
// fails or holds no valid line.
func Read(r io.Reader) (*Summary, error) {
	a := newAccumulator()
	br := bufio.NewReaderSize(r, 1<<16)
	n := 0
	for {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			n++
			complete := raw[len(raw)-1] == '\n'
			body := bytes.TrimSpace(raw)
			if len(body) > 0 {
				var rec record
				jerr := json.Unmarshal(body, &rec)
				if jerr == nil && rec.Event == "" {
					jerr = errors.New("no event key")
				}
				switch {
				case jerr == nil:
					a.add(&rec, body)
				case !complete:
					// Only the last line can lack its newline: a write cut
					// short by a crash.
					a.s.Torn = &Torn{Line: n, Bytes: len(body), Error: jerr.Error()}
				default:
					a.s.Malformed = append(a.s.Malformed, n)
					if a.s.MalformedError == "" {
						a.s.MalformedError = fmt.Sprintf("line %d: %v", n, jerr)
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	a.s.Lines = n
	if a.valid == 0 {
		return nil, errors.New("no event log line")
	}
	return a.finish(), nil
}

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
}

func newAccumulator() *accumulator {
	return &accumulator{runs: map[string]bool{}, retries: map[int64]int{}, describe: describer{}, generic: map[string]*genericAcc{}, eventOrder: map[string]int{}, endsRun: map[string]bool{}}
}

func (a *accumulator) add(r *record, body []byte) {
	a.valid++
	s := &a.s
	if r.Event == "event_log_started" && r.RunKey != "" && r.RunKey != "run_id" {
		a.runKey = r.RunKey
	}
	if a.runKey != "" {
		var fields map[string]json.RawMessage
		var id string
		if json.Unmarshal(body, &fields) == nil && json.Unmarshal(fields[a.runKey], &id) == nil {
			r.RunID = &id
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
		a.runs[*r.RunID] = true
		s.RunIDs = append(s.RunIDs, *r.RunID)
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
			s.Version, s.Host, s.PID = r.Version, r.Host, r.PID
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
		a.addGeneric(d, body)
		s.ShardedKV = s.ShardedKV || d.Catalog == metrics.Shardyfusion
	} else {
		a.addUndeclared(r.Event, body)
		if s.Unknown == nil {
			s.Unknown = map[string]int{}
		}
		s.Unknown[r.Event]++
	}
	if d != nil && d.EndsRun || a.endsRun[r.Event] {
		s.EndedBy, s.EndStatus = r.Event, r.Status
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
		if s.WritesFailed == nil {
			s.WritesFailed = map[string]int{}
		}
		s.WritesFailed[r.ErrorType]++
	}
}

func (a *accumulator) finish() *Summary {
	s := &a.s
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
