package runs

import (
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
	// TraceIDs lists the trace ids of the events, in order of appearance:
	// one for a run, the id its trace has in a trace store (see
	// metrics/tracing).
	TraceIDs []string `json:"trace_ids"`
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
	// Percentiles says how the table's p50 and p99 are taken.
	Percentiles string `json:"percentiles"`
	// Errors counts the events at ERROR level: a declared event's level (or
	// its LevelBy value's), or an undeclared event's status "error" or
	// "failed".
	Errors int `json:"errors"`
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
