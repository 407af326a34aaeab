package shardyfusion

import (
	"log/slog"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// Catalog is the built-in catalog: the documented sharded-KV lifecycle of a
// writer and its readers. Its namespace gives the Prometheus prefix
// "shardyfusion_", the OTel names "shardyfusion.*" and, for programs that
// set it (logctx.SetRootName), the logger root "shardyfusion".
var Catalog = metrics.MustNewCatalog("shardyfusion")

// The groups of the built-in catalog.
const (
	GroupWrite       metrics.Group = "write"
	GroupReader      metrics.Group = "reader"
	GroupS3          metrics.Group = "s3"
	GroupRateLimiter metrics.Group = "rate_limiter"
)

// The stages of a write's work (metrics.Work): assigning the rows to their
// shards, then writing them.
const (
	StageSharding = "sharding"
	StageWriting  = "writing"
)

// The built-in events. Each struct is the event's payload; its declaration
// below gives the rest. Elapsed (elapsed_ms) is filled by Run, Duration
// (duration_ms) by End and Done.
type (
	// WriteStarted: a sharded write began. RowsExpected is the number of
	// rows the caller said it would give (0: unknown).
	WriteStarted struct {
		Elapsed      time.Duration `milestone:"elapsed_ms,elapsed"`
		RowsExpected int64         `milestone:"rows_expected"`
	}
	// ShardingProgress: sharding assigned Rows more rows to their shards.
	ShardingProgress struct {
		Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
		Rows    int64         `milestone:"rows"`
	}
	// ShardingCompleted: every row was assigned to its shard; Rows is the
	// number of rows to write (duplicate keys counted once).
	ShardingCompleted struct {
		Elapsed  time.Duration `milestone:"elapsed_ms,elapsed"`
		Duration time.Duration `milestone:"duration_ms,duration"`
		Rows     int64         `milestone:"rows"`
	}
	// ShardWriteStarted: a shard began writing its Rows rows.
	ShardWriteStarted struct {
		Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
		DBID    int           `milestone:"db_id"`
		Rows    int64         `milestone:"row_count"`
	}
	// ShardWriteCompleted: a shard was written and closed.
	ShardWriteCompleted struct {
		Elapsed  time.Duration `milestone:"elapsed_ms,elapsed"`
		DBID     int           `milestone:"db_id"`
		Rows     int64         `milestone:"row_count"`
		Duration time.Duration `milestone:"duration_ms,duration"`
	}
	// ShardWritesCompleted: every shard of a write was written.
	ShardWritesCompleted struct {
		Elapsed  time.Duration `milestone:"elapsed_ms,elapsed"`
		Duration time.Duration `milestone:"duration_ms,duration"`
		Rows     int64         `milestone:"rows_written"`
	}
	// BatchWritten: a batch of rows was written into a shard.
	BatchWritten struct {
		Elapsed   time.Duration `milestone:"elapsed_ms,elapsed"`
		DBID      int           `milestone:"db_id"`
		BatchSize int           `milestone:"batch_size"`
	}
	// ManifestPublished: the manifest listing a write's shards was published.
	ManifestPublished struct {
		Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
	}
	// CurrentPublished: the CURRENT pointer was moved to a new manifest.
	CurrentPublished struct {
		Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
	}
	// WriteCompleted: a sharded write finished and its snapshot is readable.
	WriteCompleted struct {
		Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
		Rows    int64         `milestone:"rows_written"`
	}
	// ReaderInitialized: a reader opened the current snapshot.
	ReaderInitialized struct{}
	// ReaderGet: a reader looked up one key.
	ReaderGet struct {
		Duration time.Duration `milestone:"duration_ms,duration"`
		Found    bool          `milestone:"found"`
	}
	// ReaderMultiGet: a reader looked up several keys at once.
	ReaderMultiGet struct {
		Duration time.Duration `milestone:"duration_ms,duration"`
		Keys     int           `milestone:"num_keys"`
	}
	// ReaderRefreshed: a reader checked CURRENT for a new snapshot.
	ReaderRefreshed struct {
		Changed bool `milestone:"changed"`
	}
	// ReaderClosed: a reader closed its shard handles.
	ReaderClosed struct {
		Handles int `milestone:"num_handles"`
	}
	// ShardWriteRetried: a shard write failed and will be retried.
	ShardWriteRetried struct {
		Elapsed time.Duration `milestone:"elapsed_ms,elapsed"`
		DBID    int           `milestone:"db_id"`
		Attempt int           `milestone:"attempt"`
		Backoff time.Duration `milestone:"backoff_s"`
	}
	// ShardWriteRetryExhausted: a shard write failed on its last attempt.
	ShardWriteRetryExhausted struct {
		Elapsed  time.Duration `milestone:"elapsed_ms,elapsed"`
		DBID     int           `milestone:"db_id"`
		Attempts int           `milestone:"attempts"`
	}
	// S3Retry: an object-storage request failed transiently.
	S3Retry struct {
		Attempt    int           `milestone:"attempt"`
		MaxRetries int           `milestone:"max_retries"`
		Delay      time.Duration `milestone:"delay_s"`
	}
	// S3RetryExhausted: an object-storage request failed after every retry.
	S3RetryExhausted struct {
		Attempts int `milestone:"attempts"`
	}
	// RateLimiterThrottled: a rate limiter made the caller wait.
	RateLimiterThrottled struct {
		Wait time.Duration `milestone:"wait_seconds"`
	}
	// RateLimiterDenied: a rate limiter refused a request.
	RateLimiterDenied struct {
		Tokens int `milestone:"tokens_requested"`
	}
	// WriteFailed: a sharded write failed or was cancelled. ErrorType is a
	// short snake_case classification ("cancelled", "storage", …), a label
	// capped at 32 distinct values.
	WriteFailed struct {
		Elapsed   time.Duration `milestone:"elapsed_ms,elapsed"`
		ErrorType string        `milestone:"error_type,label,cap=32"`
	}
)

var (
	_ = metrics.MustDeclare[WriteStarted](Catalog, metrics.Spec{
		Code: 1, Wire: "write.started", Group: GroupWrite,
		Help: "A sharded write began.", Message: "write started",
		Instruments: []metrics.Instrument{metrics.Count("writes_started_total", "Sharded writes started.")},
		Work: []metrics.Work{
			{Stage: StageSharding, Unit: "rows", Total: "rows_expected"},
			{Stage: StageWriting, Unit: "rows", Total: "rows_expected"},
		},
	})
	_ = metrics.MustDeclare[ShardingCompleted](Catalog, metrics.Spec{
		Code: 2, Wire: "write.sharding_completed", Group: GroupWrite,
		Help: "Every row was assigned to its shard.", Message: "sharding completed in {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Hist("sharding_duration_seconds", "Time spent assigning rows to shards, in seconds.", "duration_ms", metrics.BucketsStep),
		},
		Work: []metrics.Work{
			{Stage: StageSharding, Unit: "rows", Complete: true},
			{Stage: StageWriting, Unit: "rows", Total: "rows"},
		},
	})
	_ = metrics.MustDeclare[ShardWriteStarted](Catalog, metrics.Spec{
		Code: 3, Wire: "write.shard.started", Group: GroupWrite, Level: slog.LevelDebug,
		Help: "A shard began writing.", Message: "shard {db_id} started",
		Instruments: []metrics.Instrument{metrics.Count("shard_writes_started_total", "Shard writes started.")},
		Work:        []metrics.Work{{Stage: StageWriting, Unit: "rows", Part: "db_id", Total: "row_count"}},
	})
	_ = metrics.MustDeclare[ShardWriteCompleted](Catalog, metrics.Spec{
		Code: 4, Wire: "write.shard.completed", Group: GroupWrite,
		Help: "A shard was written and closed.", Message: "shard {db_id} written: {row_count} rows in {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Count("shard_writes_completed_total", "Shard writes completed."),
			metrics.Hist("shard_write_duration_seconds", "Time to write one shard, in seconds.", "duration_ms", metrics.BucketsStep),
			metrics.Sum("shard_rows_written_total", "Rows written into completed shards.", "row_count"),
		},
		Work: []metrics.Work{{Stage: StageWriting, Unit: "rows", Part: "db_id", Complete: true}},
	})
	_ = metrics.MustDeclare[ShardWritesCompleted](Catalog, metrics.Spec{
		Code: 5, Wire: "write.shards_completed", Group: GroupWrite,
		Help: "Every shard of a write was written.", Message: "all shards written: {rows_written} rows in {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Hist("shard_writes_phase_duration_seconds", "Time to write all shards of a write, in seconds.", "duration_ms", metrics.BucketsRun),
		},
	})
	_ = metrics.MustDeclare[BatchWritten](Catalog, metrics.Spec{
		Code: 6, Wire: "write.batch_written", Group: GroupWrite, Level: slog.LevelDebug,
		Help: "A batch of rows was written into a shard.", Message: "shard {db_id}: batch of {batch_size} rows written",
		Instruments: []metrics.Instrument{
			metrics.Count("batches_written_total", "Batches written into shards."),
			metrics.Sum("batch_rows_total", "Rows written in batches.", "batch_size"),
		},
		Work: []metrics.Work{{Stage: StageWriting, Unit: "rows", Part: "db_id", Done: "batch_size"}},
	})
	_ = metrics.MustDeclare[ManifestPublished](Catalog, metrics.Spec{
		Code: 7, Wire: "write.manifest_published", Group: GroupWrite,
		Help: "The manifest listing a write's shards was published.", Message: "manifest published",
		Instruments: []metrics.Instrument{metrics.Count("manifests_published_total", "Manifests published.")},
	})
	_ = metrics.MustDeclare[CurrentPublished](Catalog, metrics.Spec{
		Code: 8, Wire: "write.current_published", Group: GroupWrite,
		Help: "The CURRENT pointer was moved to a new manifest.", Message: "CURRENT published",
		Instruments: []metrics.Instrument{metrics.Count("current_published_total", "CURRENT pointers published.")},
	})
	_ = metrics.MustDeclare[WriteCompleted](Catalog, metrics.Spec{
		Code: 9, Wire: "write.completed", Group: GroupWrite, EndsRun: true,
		Help: "A sharded write finished and its snapshot is readable.", Message: "write completed: {rows_written} rows in {elapsed_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Count("writes_completed_total", "Sharded writes completed."),
			metrics.Hist("write_duration_seconds", "Time from the start of a write to its completion, in seconds.", "elapsed_ms", metrics.BucketsRun),
			metrics.Sum("rows_written_total", "Rows written by completed writes.", "rows_written"),
		},
	})
	_ = metrics.MustDeclare[ReaderInitialized](Catalog, metrics.Spec{
		Code: 10, Wire: "reader.initialized", Group: GroupReader,
		Help: "A reader opened the current snapshot.", Message: "reader initialized",
		Instruments: []metrics.Instrument{metrics.Count("reader_initialized_total", "Readers initialized.")},
	})
	_ = metrics.MustDeclare[ReaderGet](Catalog, metrics.Spec{
		Code: 11, Wire: "reader.get", Group: GroupReader, Level: slog.LevelDebug,
		Help: "A reader looked up one key.", Message: "get: found={found} in {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Count("reader_gets_total", "Single-key lookups."),
			metrics.Hist("reader_get_duration_seconds", "Time of a single-key lookup, in seconds.", "duration_ms", metrics.BucketsLookup),
			metrics.CountIf("reader_get_misses_total", "Single-key lookups that found no value.", "found", false),
		},
	})
	_ = metrics.MustDeclare[ReaderMultiGet](Catalog, metrics.Spec{
		Code: 12, Wire: "reader.multi_get", Group: GroupReader, Level: slog.LevelDebug,
		Help: "A reader looked up several keys at once.", Message: "multi-get of {num_keys} keys in {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Count("reader_multi_gets_total", "Multi-key lookups."),
			metrics.Hist("reader_multi_get_duration_seconds", "Time of a multi-key lookup, in seconds.", "duration_ms", metrics.BucketsLookup),
			metrics.Sum("reader_multi_get_keys_total", "Keys asked for in multi-key lookups.", "num_keys"),
		},
	})
	_ = metrics.MustDeclare[ReaderRefreshed](Catalog, metrics.Spec{
		Code: 13, Wire: "reader.refreshed", Group: GroupReader,
		Help: "A reader checked CURRENT for a new snapshot.", Message: "reader refreshed: changed={changed}",
		Instruments: []metrics.Instrument{
			metrics.Count("reader_refreshes_total", "Reader refreshes."),
			metrics.CountIf("reader_snapshot_changes_total", "Reader refreshes that moved to a new snapshot.", "changed", true),
		},
	})
	_ = metrics.MustDeclare[ReaderClosed](Catalog, metrics.Spec{
		Code: 14, Wire: "reader.closed", Group: GroupReader, EndsRun: true,
		Help: "A reader closed its shard handles.", Message: "reader closed {num_handles} handles",
		Instruments: []metrics.Instrument{metrics.Count("reader_closed_total", "Readers closed.")},
	})
	_ = metrics.MustDeclare[ShardWriteRetried](Catalog, metrics.Spec{
		Code: 15, Wire: "write.shard.retried", Group: GroupWrite, Level: slog.LevelWarn,
		Help:    "A shard write failed and will be tried again after a backoff.",
		Message: "shard {db_id}: attempt {attempt} failed, retrying in {backoff_s} s",
		Instruments: []metrics.Instrument{
			metrics.Count("shard_write_retries_total", "Shard write attempts retried."),
			metrics.Hist("shard_write_backoff_seconds", "Backoff before a shard write is retried, in seconds.", "backoff_s", metrics.BucketsWait),
		},
		// The failed attempt's batches are not progress: the shard starts over.
		Work: []metrics.Work{{Stage: StageWriting, Unit: "rows", Part: "db_id", Restart: true}},
	})
	_ = metrics.MustDeclare[ShardWriteRetryExhausted](Catalog, metrics.Spec{
		Code: 16, Wire: "write.shard.retry_exhausted", Group: GroupWrite, Level: slog.LevelError,
		Help: "A shard write failed on its last allowed attempt.", Message: "shard {db_id}: failed after {attempts} attempts",
		Instruments: []metrics.Instrument{
			metrics.Count("shard_write_retries_exhausted_total", "Shard writes that failed after every retry."),
		},
	})
	_ = metrics.MustDeclare[S3Retry](Catalog, metrics.Spec{
		Code: 17, Wire: "s3.retry", Group: GroupS3, Level: slog.LevelWarn,
		Help:    "An object-storage request failed transiently and will be retried after a delay.",
		Message: "storage request attempt {attempt} of {max_retries} failed, retrying in {delay_s} s",
		Instruments: []metrics.Instrument{
			metrics.Count("s3_retries_total", "Object-storage requests retried."),
			metrics.Hist("s3_retry_delay_seconds", "Delay before an object-storage request is retried, in seconds.", "delay_s", metrics.BucketsWait),
		},
	})
	_ = metrics.MustDeclare[S3RetryExhausted](Catalog, metrics.Spec{
		Code: 18, Wire: "s3.retry_exhausted", Group: GroupS3, Level: slog.LevelError,
		Help: "An object-storage request failed after every retry.", Message: "storage request failed after {attempts} attempts",
		Instruments: []metrics.Instrument{
			metrics.Count("s3_retries_exhausted_total", "Object-storage requests that failed after every retry."),
		},
	})
	_ = metrics.MustDeclare[RateLimiterThrottled](Catalog, metrics.Spec{
		Code: 19, Wire: "rate_limiter.throttled", Group: GroupRateLimiter, Level: slog.LevelDebug,
		Help: "A rate limiter made the caller wait.", Message: "rate limiter: waited {wait_seconds} s",
		Instruments: []metrics.Instrument{
			metrics.Count("rate_limiter_throttled_total", "Requests delayed by the rate limiter."),
			metrics.Hist("rate_limiter_wait_seconds", "Time a request waited for the rate limiter, in seconds.", "wait_seconds", metrics.BucketsWait),
		},
	})
	_ = metrics.MustDeclare[RateLimiterDenied](Catalog, metrics.Spec{
		Code: 20, Wire: "rate_limiter.denied", Group: GroupRateLimiter, Level: slog.LevelWarn,
		Help: "A rate limiter refused a request it could never satisfy in time.", Message: "rate limiter: refused {tokens_requested} tokens",
		Instruments: []metrics.Instrument{metrics.Count("rate_limiter_denied_total", "Requests refused by the rate limiter.")},
	})
	_ = metrics.MustDeclare[WriteFailed](Catalog, metrics.Spec{
		Code: 21, Wire: "write.failed", Group: GroupWrite, Level: slog.LevelError, EndsRun: true,
		Help: "A sharded write failed or was cancelled; no snapshot was published.", Message: "write failed ({error_type}) after {elapsed_ms} ms",
		Instruments: []metrics.Instrument{metrics.Count("writes_failed_total", "Sharded writes that failed or were cancelled, by error type.", "error_type")},
	})
	_ = metrics.MustDeclare[ShardingProgress](Catalog, metrics.Spec{
		Code: 22, Wire: "write.sharding_progress", Group: GroupWrite, Level: slog.LevelDebug,
		Help: "Sharding assigned more rows to their shards.", Message: "{rows} more rows sharded",
		Instruments: []metrics.Instrument{metrics.Sum("rows_sharded_total", "Rows assigned to their shard by sharding.", "rows")},
		Work:        []metrics.Work{{Stage: StageSharding, Unit: "rows", Done: "rows"}},
	})
)
