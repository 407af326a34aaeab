package metrics

// Default histogram bucket upper bounds, in seconds, one set per range of
// durations the catalog observes.
var (
	// bucketsLookup spans a point read: 100 µs to 2.5 s.
	bucketsLookup = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	// bucketsStep spans one step of a write (a shard, the sharding pass): 10 ms to 10 min.
	bucketsStep = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
	// bucketsRun spans a whole write or phase: 100 ms to 2 h.
	bucketsRun = []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
	// bucketsWait spans a backoff, retry delay or throttle wait: 1 ms to 2 min.
	bucketsWait = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
)

// counter declares a counter that adds 1 per event.
func counter(name, help string) Instrument {
	return Instrument{Kind: Counter, Name: name, Help: help}
}

// sum declares a counter that adds the whole-number value of key.
func sum(name, help string, key Key) Instrument {
	return Instrument{Kind: Counter, Name: name, Help: help, Value: key}
}

// when declares a counter that adds 1 per event whose boolean key equals want.
func when(name, help string, key Key, want bool) Instrument {
	return Instrument{Kind: Counter, Name: name, Help: help, If: key, IfValue: want}
}

// histogram declares a histogram of the duration under key, in seconds.
func histogram(name, help string, key Key, buckets []float64) Instrument {
	return Instrument{Kind: Histogram, Name: name, Help: help, Unit: "s", Value: key, Buckets: buckets}
}

func keyList(k ...Key) []Key { return k }

func feeds(in ...Instrument) []Instrument { return in }

// builtin is the catalog: every built-in event declared once. Everything else
// (Event.String, Lookup, the backends' instruments, docs/events.md) is derived
// from this table.
var builtin = [...]Descriptor{
	{
		Event: WriteStarted, Name: "WriteStarted", Wire: "write.started", Group: GroupWrite,
		Help: "A sharded write began.",
		Keys: keyList(KeyElapsed),
		Instruments: feeds(
			counter("writes_started_total", "Sharded writes started."),
		),
	},
	{
		Event: ShardingCompleted, Name: "ShardingCompleted", Wire: "write.sharding_completed", Group: GroupWrite,
		Help: "Every row was assigned to its shard.",
		Keys: keyList(KeyElapsed, KeyDuration),
		Instruments: feeds(
			histogram("sharding_duration_seconds", "Time spent assigning rows to shards, in seconds.", KeyDuration, bucketsStep),
		),
	},
	{
		Event: ShardWriteStarted, Name: "ShardWriteStarted", Wire: "write.shard.started", Group: GroupWrite,
		Help: "A shard began writing.",
		Keys: keyList(KeyElapsed, KeyDBID),
		Instruments: feeds(
			counter("shard_writes_started_total", "Shard writes started."),
		),
	},
	{
		Event: ShardWriteCompleted, Name: "ShardWriteCompleted", Wire: "write.shard.completed", Group: GroupWrite,
		Help: "A shard was written and closed.",
		Keys: keyList(KeyElapsed, KeyDBID, KeyRowCount, KeyDuration),
		Instruments: feeds(
			counter("shard_writes_completed_total", "Shard writes completed."),
			histogram("shard_write_duration_seconds", "Time to write one shard, in seconds.", KeyDuration, bucketsStep),
			sum("shard_rows_written_total", "Rows written into completed shards.", KeyRowCount),
		),
	},
	{
		Event: ShardWritesCompleted, Name: "ShardWritesCompleted", Wire: "write.shards_completed", Group: GroupWrite,
		Help: "Every shard of a write was written.",
		Keys: keyList(KeyElapsed, KeyDuration, KeyRowsWritten),
		Instruments: feeds(
			histogram("shard_writes_phase_duration_seconds", "Time to write all shards of a write, in seconds.", KeyDuration, bucketsRun),
		),
	},
	{
		Event: BatchWritten, Name: "BatchWritten", Wire: "write.batch_written", Group: GroupWrite,
		Help: "A batch of rows was written into a shard.",
		Keys: keyList(KeyElapsed, KeyDBID, KeyBatchSize),
		Instruments: feeds(
			counter("batches_written_total", "Batches written into shards."),
			sum("batch_rows_total", "Rows written in batches.", KeyBatchSize),
		),
	},
	{
		Event: ManifestPublished, Name: "ManifestPublished", Wire: "write.manifest_published", Group: GroupWrite,
		Help: "The manifest listing a write's shards was published.",
		Keys: keyList(KeyElapsed),
		Instruments: feeds(
			counter("manifests_published_total", "Manifests published."),
		),
	},
	{
		Event: CurrentPublished, Name: "CurrentPublished", Wire: "write.current_published", Group: GroupWrite,
		Help: "The CURRENT pointer was moved to a new manifest.",
		Keys: keyList(KeyElapsed),
		Instruments: feeds(
			counter("current_published_total", "CURRENT pointers published."),
		),
	},
	{
		Event: WriteCompleted, Name: "WriteCompleted", Wire: "write.completed", Group: GroupWrite, EndsRun: true,
		Help: "A sharded write finished and its snapshot is readable.",
		Keys: keyList(KeyElapsed, KeyRowsWritten),
		Instruments: feeds(
			counter("writes_completed_total", "Sharded writes completed."),
			histogram("write_duration_seconds", "Time from the start of a write to its completion, in seconds.", KeyElapsed, bucketsRun),
			sum("rows_written_total", "Rows written by completed writes.", KeyRowsWritten),
		),
	},
	{
		Event: ReaderInitialized, Name: "ReaderInitialized", Wire: "reader.initialized", Group: GroupReader,
		Help: "A reader opened the current snapshot.",
		Instruments: feeds(
			counter("reader_initialized_total", "Readers initialized."),
		),
	},
	{
		Event: ReaderGet, Name: "ReaderGet", Wire: "reader.get", Group: GroupReader,
		Help: "A reader looked up one key.",
		Keys: keyList(KeyDuration, KeyFound),
		Instruments: feeds(
			counter("reader_gets_total", "Single-key lookups."),
			histogram("reader_get_duration_seconds", "Time of a single-key lookup, in seconds.", KeyDuration, bucketsLookup),
			when("reader_get_misses_total", "Single-key lookups that found no value.", KeyFound, false),
		),
	},
	{
		Event: ReaderMultiGet, Name: "ReaderMultiGet", Wire: "reader.multi_get", Group: GroupReader,
		Help: "A reader looked up several keys at once.",
		Keys: keyList(KeyDuration, KeyNumKeys),
		Instruments: feeds(
			counter("reader_multi_gets_total", "Multi-key lookups."),
			histogram("reader_multi_get_duration_seconds", "Time of a multi-key lookup, in seconds.", KeyDuration, bucketsLookup),
			sum("reader_multi_get_keys_total", "Keys asked for in multi-key lookups.", KeyNumKeys),
		),
	},
	{
		Event: ReaderRefreshed, Name: "ReaderRefreshed", Wire: "reader.refreshed", Group: GroupReader,
		Help: "A reader checked CURRENT for a new snapshot.",
		Keys: keyList(KeyChanged),
		Instruments: feeds(
			counter("reader_refreshes_total", "Reader refreshes."),
			when("reader_snapshot_changes_total", "Reader refreshes that moved to a new snapshot.", KeyChanged, true),
		),
	},
	{
		Event: ReaderClosed, Name: "ReaderClosed", Wire: "reader.closed", Group: GroupReader, EndsRun: true,
		Help: "A reader closed its shard handles.",
		Keys: keyList(KeyNumHandles),
		Instruments: feeds(
			counter("reader_closed_total", "Readers closed."),
		),
	},
	{
		Event: ShardWriteRetried, Name: "ShardWriteRetried", Wire: "write.shard.retried", Group: GroupWrite,
		Help: "A shard write failed and will be tried again after a backoff.",
		Keys: keyList(KeyElapsed, KeyDBID, KeyAttempt, KeyBackoff),
		Instruments: feeds(
			counter("shard_write_retries_total", "Shard write attempts retried."),
			histogram("shard_write_backoff_seconds", "Backoff before a shard write is retried, in seconds.", KeyBackoff, bucketsWait),
		),
	},
	{
		Event: ShardWriteRetryExhausted, Name: "ShardWriteRetryExhausted", Wire: "write.shard.retry_exhausted", Group: GroupWrite,
		Help: "A shard write failed on its last allowed attempt.",
		Keys: keyList(KeyElapsed, KeyDBID, KeyAttempts),
		Instruments: feeds(
			counter("shard_write_retries_exhausted_total", "Shard writes that failed after every retry."),
		),
	},
	{
		Event: S3Retry, Name: "S3Retry", Wire: "s3.retry", Group: GroupS3,
		Help: "An object-storage request failed transiently and will be retried after a delay.",
		Keys: keyList(KeyAttempt, KeyMaxRetries, KeyDelay),
		Instruments: feeds(
			counter("s3_retries_total", "Object-storage requests retried."),
			histogram("s3_retry_delay_seconds", "Delay before an object-storage request is retried, in seconds.", KeyDelay, bucketsWait),
		),
	},
	{
		Event: S3RetryExhausted, Name: "S3RetryExhausted", Wire: "s3.retry_exhausted", Group: GroupS3,
		Help: "An object-storage request failed after every retry.",
		Keys: keyList(KeyAttempts),
		Instruments: feeds(
			counter("s3_retries_exhausted_total", "Object-storage requests that failed after every retry."),
		),
	},
	{
		Event: RateLimiterThrottled, Name: "RateLimiterThrottled", Wire: "rate_limiter.throttled", Group: GroupRateLimiter,
		Help: "A rate limiter made the caller wait.",
		Keys: keyList(KeyWait),
		Instruments: feeds(
			counter("rate_limiter_throttled_total", "Requests delayed by the rate limiter."),
			histogram("rate_limiter_wait_seconds", "Time a request waited for the rate limiter, in seconds.", KeyWait, bucketsWait),
		),
	},
	{
		Event: RateLimiterDenied, Name: "RateLimiterDenied", Wire: "rate_limiter.denied", Group: GroupRateLimiter,
		Help: "A rate limiter refused a request it could never satisfy in time.",
		Keys: keyList(KeyTokens),
		Instruments: feeds(
			counter("rate_limiter_denied_total", "Requests refused by the rate limiter."),
		),
	},
}
