package shardkv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// WriteOptions configures Write. The zero value writes 8 shards in batches of
// 1000 rows with the default retry policies, no rate limit, no metrics and
// the package's default logger.
type WriteOptions struct {
	// NumShards is the number of shards (default 8).
	NumShards int
	// BatchSize is the number of rows encoded per batch; each batch takes
	// its rows' tokens from RateLimit and emits write.batch_written
	// (default 1000).
	BatchSize int
	// Concurrency is how many shards are written at once (default
	// min(NumShards, GOMAXPROCS)).
	Concurrency int
	// Collector receives the write's events; nil emits nothing.
	Collector metrics.Collector
	// Logger receives the write's log lines, each carrying run_id; nil uses
	// the logger "shardyfusion.writer".
	Logger *slog.Logger
	// RateLimit, when set, limits the rows written per second across every
	// write sharing it. A batch larger than its burst, or one that would
	// wait past its MaxWait, fails the shard attempt.
	RateLimit *Limiter
	// ShardRetry says how often a failed shard is written again (default 3
	// attempts, 100 ms backoff doubling up to 5 s). Each retry emits
	// write.shard.retried; the last failure emits write.shard.retry_exhausted
	// and fails the write.
	ShardRetry RetryPolicy
	// StorageRetry says how often a storage request that failed transiently
	// is sent again (default 4 attempts, that is 3 retries, 20 ms delay
	// doubling up to 1 s). Each retry emits s3.retry; giving up emits
	// s3.retry_exhausted.
	StorageRetry RetryPolicy
	// Faults, when set, injects transient storage failures (for tests and
	// demos of the retry paths).
	Faults *Faults
	// RunID names the write; empty means NewRunID().
	RunID string
	// ExpectedRows is how many rows the caller will give, when it knows
	// (0: unknown). write.started carries it, so that progress is known
	// from the start (metrics/progress); sharding reports its progress
	// every ShardingProgressEvery rows either way.
	ExpectedRows int64
	// BeforePublish, when set, is called after every shard and the manifest
	// are stored and before CURRENT moves to the new manifest. An error
	// aborts the write and leaves the previous snapshot published.
	BeforePublish func(ctx context.Context, m *Manifest) error
}

// Result describes a completed write.
type Result struct {
	// Manifest is the published snapshot's manifest.
	Manifest *Manifest
	// ManifestName is the manifest's object name, which CURRENT now holds.
	ManifestName string
	// Duration is the time the whole write took.
	Duration time.Duration
}

func (o *WriteOptions) normalize() error {
	switch {
	case o.NumShards < 0:
		return fmt.Errorf("shardkv: WriteOptions.NumShards must be >= 1, got %d", o.NumShards)
	case o.BatchSize < 0:
		return fmt.Errorf("shardkv: WriteOptions.BatchSize must be >= 1, got %d", o.BatchSize)
	case o.Concurrency < 0:
		return fmt.Errorf("shardkv: WriteOptions.Concurrency must be >= 1, got %d", o.Concurrency)
	case o.RunID != "" && !validRunID(o.RunID):
		return fmt.Errorf("shardkv: WriteOptions.RunID %q may hold only letters, digits, '-', '_' and '.'", o.RunID)
	}
	if err := o.ShardRetry.validate("WriteOptions.ShardRetry"); err != nil {
		return err
	}
	if err := o.StorageRetry.validate("WriteOptions.StorageRetry"); err != nil {
		return err
	}
	if o.NumShards == 0 {
		o.NumShards = 8
	}
	if o.BatchSize == 0 {
		o.BatchSize = 1000
	}
	if o.Concurrency == 0 {
		o.Concurrency = min(o.NumShards, runtime.GOMAXPROCS(0))
	}
	o.ShardRetry = o.ShardRetry.withDefaults(3, 100*time.Millisecond, 5*time.Second)
	o.StorageRetry = o.StorageRetry.withDefaults(4, 20*time.Millisecond, time.Second)
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if o.Logger == nil {
		o.Logger = logctx.Logger("writer")
	}
	return nil
}

// record is one row held by the sharding pass: offsets into its shard's
// arena.
type record struct {
	koff, klen, vlen int
}

// bucket holds the rows of one shard between the sharding pass and the
// shard write.
type bucket struct {
	arena []byte
	recs  []record
}

func (b *bucket) key(r record) []byte { return b.arena[r.koff : r.koff+r.klen] }
func (b *bucket) val(r record) []byte { return b.arena[r.koff+r.klen : r.koff+r.klen+r.vlen] }

type writer struct {
	opts  WriteOptions
	run   *metrics.Run
	log   *slog.Logger
	store Storage
}

// Write writes the rows into a new snapshot under dir and publishes it. Rows
// are assigned to NumShards shards by the FNV-1a hash of their key, sorted,
// and written in batches of BatchSize rows into one file per shard; then a
// manifest listing the shards is stored, and CURRENT is replaced to point at
// it. A reader sees the previous snapshot until CURRENT moves, and the new
// one, complete, after: a write that fails or is killed at any point leaves
// the previous snapshot published and intact.
//
// When a key appears more than once, its last value wins. The row slices
// are copied, so the iterator may reuse them.
//
// Write emits, through opts.Collector, write.started, write.sharding_completed,
// for each shard write.shard.started, write.batch_written per batch and
// write.shard.completed, then write.shards_completed,
// write.manifest_published, write.current_published and write.completed —
// and, when they happen, the retry and rate-limiter events. Every log line
// of the write carries its run_id.
func Write(ctx context.Context, dir string, rows iter.Seq2[[]byte, []byte], opts WriteOptions) (*Result, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	if rows == nil {
		return nil, errors.New("shardkv: Write: nil rows")
	}
	w := &writer{opts: opts}
	ctx, w.run, w.log = startRun(ctx, opts.Collector, opts.Logger, opts.RunID)
	store, err := buildStorage(dir, opts.Faults, opts.StorageRetry, w.run, w.log)
	if err != nil {
		return nil, err
	}
	w.store = store
	res, err := w.write(ctx, rows)
	if err != nil {
		kind := ErrorType(err)
		metrics.Emit(ctx, w.run, shardyfusion.WriteFailed{ErrorType: kind})
		logctx.Failure(ctx, w.log, "write_failed", logctx.Error, err, "elapsed_ms", ms(w.run.Elapsed()), "error_type", kind)
		return nil, err
	}
	return res, nil
}

// ShardingProgressEvery is how many rows sharding assigns between two
// write.sharding_progress events when the number of rows is not known.
const ShardingProgressEvery = 16384

// ErrorType classifies a write's error for the error_type label of
// write.failed: "cancelled" and "deadline_exceeded" for a context that
// ended, "rate_limited", "injected_fault" (the demo's storage faults),
// "corrupt", "storage" for an error of the file system, and "other".
func ErrorType(err error) string {
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrInjected):
		return "injected_fault"
	case errors.Is(err, ErrCorrupt):
		return "corrupt"
	case errors.As(err, &pathErr):
		return "storage"
	}
	return "other"
}

func (w *writer) write(ctx context.Context, rows iter.Seq2[[]byte, []byte]) (*Result, error) {
	o := &w.opts
	metrics.Emit(ctx, w.run, shardyfusion.WriteStarted{RowsExpected: o.ExpectedRows})
	logctx.Event(ctx, w.log, "write_started", "num_shards", o.NumShards, "batch_size", o.BatchSize)

	// Sharding: assign every row to its shard, then sort each shard.
	shardingCtx, step := w.run.Step(ctx)
	buckets, total, err := w.shard(shardingCtx, rows)
	if err != nil {
		return nil, err
	}
	d := metrics.End(shardingCtx, step, shardyfusion.ShardingCompleted{Rows: total})
	logctx.Event(ctx, w.log, "sharding_completed", "rows", total, "duration_ms", ms(d))

	// Shard writes, Concurrency at a time, each a step within this phase's
	// step; the first failure cancels the rest.
	phaseCtx, step := w.run.Step(ctx)
	infos := make([]ShardInfo, o.NumShards)
	sctx, cancel := context.WithCancel(phaseCtx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
		next  = make(chan int)
	)
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				info, err := w.writeShard(sctx, id, &buckets[id])
				if err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					cancel()
					continue
				}
				infos[id] = info
				buckets[id] = bucket{} // let the shard's rows go
			}
		}()
	}
feed:
	for id := range o.NumShards {
		select {
		case next <- id:
		case <-sctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	var written int64
	for _, in := range infos {
		written += in.Rows
	}
	d = metrics.End(phaseCtx, step, shardyfusion.ShardWritesCompleted{Rows: written})
	logctx.Event(ctx, w.log, "shard_writes_completed", "num_shards", o.NumShards, "rows_written", written, "duration_ms", ms(d))

	// Manifest, then CURRENT.
	m := &Manifest{
		Format: formatName, RunID: o.RunID, Created: time.Now().UTC(), Hash: hashName,
		NumShards: o.NumShards, Rows: written, Shards: infos,
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	mname := manifestName(o.RunID)
	if err := w.store.Put(ctx, mname, append(mb, '\n')); err != nil {
		return nil, fmt.Errorf("shardkv: store manifest: %w", err)
	}
	metrics.Emit(ctx, w.run, shardyfusion.ManifestPublished{})
	logctx.Event(ctx, w.log, "manifest_published", "manifest", mname, "num_shards", o.NumShards, "rows", written)

	if o.BeforePublish != nil {
		if err := o.BeforePublish(ctx, m); err != nil {
			return nil, fmt.Errorf("shardkv: publish aborted: %w", err)
		}
	}
	if err := w.store.Put(ctx, CurrentName, []byte(mname+"\n")); err != nil {
		return nil, fmt.Errorf("shardkv: publish CURRENT: %w", err)
	}
	metrics.Emit(ctx, w.run, shardyfusion.CurrentPublished{})
	logctx.Event(ctx, w.log, "current_published", "manifest", mname)

	metrics.Emit(ctx, w.run, shardyfusion.WriteCompleted{Rows: written})
	elapsed := w.run.Elapsed()
	logctx.Event(ctx, w.log, "write_completed", "rows_written", written, "num_shards", o.NumShards, "elapsed_ms", ms(elapsed))
	return &Result{Manifest: m, ManifestName: mname, Duration: elapsed}, nil
}

// shard runs the sharding pass: it copies every row into its shard's arena,
// then sorts each shard by key, the last value of a repeated key winning.
func (w *writer) shard(ctx context.Context, rows iter.Seq2[[]byte, []byte]) ([]bucket, int64, error) {
	n := w.opts.NumShards
	buckets := make([]bucket, n)
	var seen, reported int64
	every := int64(ShardingProgressEvery)
	if w.opts.ExpectedRows > 0 {
		every = max(w.opts.ExpectedRows/50, 1024) // about fifty reports
	}
	for k, v := range rows {
		b := &buckets[shardOf(k, n)]
		b.recs = append(b.recs, record{koff: len(b.arena), klen: len(k), vlen: len(v)})
		b.arena = append(b.arena, k...)
		b.arena = append(b.arena, v...)
		seen++
		if seen%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		if seen-reported >= every {
			metrics.Emit(ctx, w.run, shardyfusion.ShardingProgress{Rows: seen - reported})
			reported = seen
		}
	}
	if seen > reported {
		metrics.Emit(ctx, w.run, shardyfusion.ShardingProgress{Rows: seen - reported})
	}
	var total int64
	for i := range buckets {
		b := &buckets[i]
		slices.SortStableFunc(b.recs, func(x, y record) int { return bytes.Compare(b.key(x), b.key(y)) })
		// Keep the last of each run of equal keys.
		out := b.recs[:0]
		for j, r := range b.recs {
			if j+1 < len(b.recs) && bytes.Equal(b.key(r), b.key(b.recs[j+1])) {
				continue
			}
			out = append(out, r)
		}
		b.recs = out
		total += int64(len(out))
	}
	return buckets, total, ctx.Err()
}

// writeShard writes one shard, trying again with a growing backoff when an
// attempt fails for a reason a retry may cure.
func (w *writer) writeShard(ctx context.Context, id int, b *bucket) (ShardInfo, error) {
	p := w.opts.ShardRetry
	ctx, step := w.run.Step(ctx)
	metrics.Emit(ctx, w.run, shardyfusion.ShardWriteStarted{DBID: id, Rows: int64(len(b.recs))})
	for attempt := 1; ; attempt++ {
		info, err := w.shardAttempt(ctx, id, b)
		if err == nil {
			d := metrics.End(ctx, step, shardyfusion.ShardWriteCompleted{DBID: id, Rows: info.Rows})
			logctx.Event(ctx, w.log, "shard_write_completed", "db_id", id, "row_count", info.Rows,
				"bytes", info.Bytes, "attempts", attempt, "duration_ms", ms(d))
			return info, nil
		}
		if ctx.Err() != nil {
			return ShardInfo{}, err
		}
		if errors.Is(err, ErrExceedsBurst) {
			logctx.Failure(ctx, w.log, "shard_write_failed", logctx.Error, err, "db_id", id, "attempt", attempt)
			return ShardInfo{}, fmt.Errorf("shardkv: shard %d: %w", id, err)
		}
		if attempt >= p.MaxAttempts {
			metrics.Emit(ctx, w.run, shardyfusion.ShardWriteRetryExhausted{DBID: id, Attempts: attempt})
			logctx.Failure(ctx, w.log, "shard_write_retry_exhausted", logctx.Error, err, "db_id", id, "attempts", attempt)
			return ShardInfo{}, fmt.Errorf("shardkv: shard %d failed after %d attempts: %w", id, attempt, err)
		}
		backoff := p.delay(attempt)
		metrics.Emit(ctx, w.run, shardyfusion.ShardWriteRetried{DBID: id, Attempt: attempt, Backoff: backoff})
		logctx.Failure(ctx, w.log, "shard_write_retried", logctx.Transient, err, "db_id", id, "attempt", attempt, "backoff_s", backoff.Seconds())
		if err := sleep(ctx, backoff); err != nil {
			return ShardInfo{}, err
		}
	}
}

// shardAttempt encodes the shard batch by batch, taking each batch's tokens
// from the rate limiter, and stores it.
func (w *writer) shardAttempt(ctx context.Context, id int, b *bucket) (ShardInfo, error) {
	bs := w.opts.BatchSize
	enc := newEncoder(len(b.arena)+len(b.recs)*4, len(b.arena)-int(sumVals(b))+len(b.recs)*8)
	for i := 0; i < len(b.recs); i += bs {
		batch := b.recs[i:min(i+bs, len(b.recs))]
		if err := w.opts.RateLimit.wait(ctx, w.run, w.log, len(batch)); err != nil {
			return ShardInfo{}, err
		}
		for _, r := range batch {
			enc.add(b.key(r), b.val(r))
		}
		metrics.Emit(ctx, w.run, shardyfusion.BatchWritten{DBID: id, BatchSize: len(batch)})
	}
	file, crc := enc.finish()
	name := shardName(w.opts.RunID, id)
	if err := w.store.Put(ctx, name, file); err != nil {
		return ShardInfo{}, err
	}
	return ShardInfo{DBID: id, Object: name, Rows: int64(len(b.recs)), Bytes: int64(len(file)), CRC32C: crc}, nil
}

func sumVals(b *bucket) int64 {
	var n int64
	for _, r := range b.recs {
		n += int64(r.vlen)
	}
	return n
}

// ms converts d to milliseconds for log fields.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
