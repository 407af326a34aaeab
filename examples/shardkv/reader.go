package shardkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// ReadOptions configures Open. The zero value reads with the default storage
// retry policy, no rate limit, no metrics and the package's default logger.
type ReadOptions struct {
	// Collector receives the reader's events; nil emits nothing.
	Collector metrics.Collector
	// Logger receives the reader's log lines; nil uses the logger
	// "shardyfusion.reader".
	Logger *slog.Logger
	// RateLimit, when set, limits the keys looked up per second: Get takes
	// one token, MultiGet one per key. A lookup it refuses fails with
	// ErrRateLimited.
	RateLimit *Limiter
	// StorageRetry says how often a storage request that failed transiently
	// is sent again (default 4 attempts, 20 ms delay doubling up to 1 s).
	StorageRetry RetryPolicy
	// Faults, when set, injects transient storage failures.
	Faults *Faults
}

// ErrClosed is returned by a Reader's methods after Close.
var ErrClosed = errors.New("shardkv: reader closed")

// Reader serves lookups from the published snapshot of a directory. It is
// safe for concurrent use; Refresh swaps snapshots under lookups without
// stopping them for longer than the swap.
type Reader struct {
	store Storage
	opts  ReadOptions
	run   *metrics.Run
	// runCtx is the context of the reader's run, its life: the events of a
	// lookup made outside any run or trace of the caller's belong to it.
	runCtx context.Context
	log    *slog.Logger

	refreshMu sync.Mutex // one Refresh at a time

	mu     sync.RWMutex
	snap   *snapshot
	closed bool
}

type snapshot struct {
	name   string
	m      *Manifest
	shards []*shardFile
}

func (s *snapshot) close() error {
	var errs []error
	for _, sh := range s.shards {
		errs = append(errs, sh.close())
	}
	return errors.Join(errs...)
}

// Snapshot describes the snapshot a Reader serves.
type Snapshot struct {
	// RunID is the id of the write that produced it.
	RunID string
	// ManifestName is its manifest's object name.
	ManifestName string
	// Created is when its manifest was written.
	Created time.Time
	// NumShards and Rows are its number of shards and of keys.
	NumShards int
	Rows      int64
}

// Open opens the snapshot CURRENT points to in dir: it reads the manifest,
// opens every shard, checks each against the manifest's size and CRC, and
// loads the shard indexes. It emits reader.initialized. It fails with
// ErrNoSnapshot when nothing was published in dir yet.
func Open(ctx context.Context, dir string, opts ReadOptions) (*Reader, error) {
	if err := opts.StorageRetry.validate("ReadOptions.StorageRetry"); err != nil {
		return nil, err
	}
	opts.StorageRetry = opts.StorageRetry.withDefaults(4, 20*time.Millisecond, time.Second)
	if opts.Logger == nil {
		opts.Logger = logctx.Logger("reader")
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("shardkv: Open: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("shardkv: Open: %s is not a directory", dir)
	}
	r := &Reader{opts: opts, log: withContextFields(opts.Logger)}
	ctx, r.run = metrics.StartRun(ctx, opts.Collector)
	r.runCtx = context.WithoutCancel(ctx)
	store, err := buildStorage(dir, opts.Faults, opts.StorageRetry, r.run, r.log)
	if err != nil {
		return nil, err
	}
	r.store = store
	name, err := loadCurrent(ctx, store)
	if err != nil {
		return nil, err
	}
	snap, err := r.load(ctx, name)
	if err != nil {
		return nil, err
	}
	r.snap = snap
	metrics.Emit(ctx, r.run, shardyfusion.ReaderInitialized{})
	logctx.Event(ctx, r.log, "reader_initialized", "snapshot", snap.m.RunID, "num_shards", snap.m.NumShards,
		"rows", snap.m.Rows, "duration_ms", ms(r.run.Elapsed()))
	return r, nil
}

// load opens the snapshot whose manifest is name.
func (r *Reader) load(ctx context.Context, name string) (_ *snapshot, err error) {
	m, err := loadManifest(ctx, r.store, name)
	if err != nil {
		return nil, err
	}
	s := &snapshot{name: name, m: m, shards: make([]*shardFile, 0, m.NumShards)}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	for _, info := range m.Shards {
		sh, err := openShard(ctx, r.store, info)
		if err != nil {
			return nil, err
		}
		s.shards = append(s.shards, sh)
	}
	return s, nil
}

// eventCtx is the context a lookup's events are emitted in: ctx when it
// holds a span (a request's: the lookup is its child) or names a run, else
// the reader's own run.
func (r *Reader) eventCtx(ctx context.Context) context.Context {
	if trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	if _, ok := runctx.ID(ctx); ok {
		return ctx
	}
	return r.runCtx
}

// Get returns the value stored under key, and whether it was found. It
// emits reader.get with the lookup's duration.
func (r *Reader) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	if err := r.opts.RateLimit.wait(ctx, r.run, r.log, 1); err != nil {
		return nil, false, err
	}
	ctx, step := r.run.Step(r.eventCtx(ctx))
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return nil, false, ErrClosed
	}
	s := r.snap
	v, found, err := s.shards[shardOf(key, len(s.shards))].get(key)
	r.mu.RUnlock()
	if err != nil {
		return nil, false, err
	}
	metrics.End(ctx, step, shardyfusion.ReaderGet{Found: found})
	return v, found, nil
}

// MultiGet looks up every key and returns their values in the same order,
// nil for a key that is not found (a found empty value is a non-nil empty
// slice). It emits reader.multi_get with the number of keys and the
// duration of the whole lookup.
func (r *Reader) MultiGet(ctx context.Context, keys [][]byte) ([][]byte, error) {
	if err := r.opts.RateLimit.wait(ctx, r.run, r.log, len(keys)); err != nil {
		return nil, err
	}
	ctx, step := r.run.Step(r.eventCtx(ctx))
	vals := make([][]byte, len(keys))
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return nil, ErrClosed
	}
	s := r.snap
	for i, k := range keys {
		v, found, err := s.shards[shardOf(k, len(s.shards))].get(k)
		if err != nil {
			r.mu.RUnlock()
			return nil, err
		}
		if found {
			vals[i] = v
		}
	}
	r.mu.RUnlock()
	metrics.End(ctx, step, shardyfusion.ReaderMultiGet{Keys: len(keys)})
	return vals, nil
}

// Refresh reads CURRENT and, when it names a new snapshot, opens it and
// swaps it in, closing the old one's files. It reports whether the snapshot
// changed and emits reader.refreshed. On error the reader keeps serving the
// snapshot it had.
func (r *Reader) Refresh(ctx context.Context) (changed bool, err error) {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	r.mu.RLock()
	closed, cur := r.closed, r.snap
	r.mu.RUnlock()
	if closed {
		return false, ErrClosed
	}
	name, err := loadCurrent(ctx, r.store)
	if err != nil {
		logctx.Failure(ctx, r.log, "reader_refresh_failed", logctx.Transient, err, "snapshot", cur.m.RunID)
		return false, err
	}
	if name != cur.name {
		next, err := r.load(ctx, name)
		if err != nil {
			logctx.Failure(ctx, r.log, "reader_refresh_failed", logctx.Transient, err, "snapshot", cur.m.RunID, "manifest", name)
			return false, err
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			next.close()
			return false, ErrClosed
		}
		r.snap = next
		r.mu.Unlock()
		if err := cur.close(); err != nil {
			logctx.Failure(ctx, r.log, "reader_close_failed", logctx.Transient, err, "snapshot", cur.m.RunID)
		}
		changed = true
	}
	metrics.Emit(r.eventCtx(ctx), r.run, shardyfusion.ReaderRefreshed{Changed: changed})
	if changed {
		s := r.Snapshot()
		logctx.Event(ctx, r.log, "reader_refreshed", "changed", true, "snapshot", s.RunID, "previous", cur.m.RunID, "rows", s.Rows)
	} else {
		r.log.DebugContext(ctx, "reader_refreshed", "changed", false, "snapshot", cur.m.RunID)
	}
	return changed, nil
}

// Snapshot describes the snapshot the reader serves.
func (r *Reader) Snapshot() Snapshot {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m := r.snap.m
	return Snapshot{RunID: m.RunID, ManifestName: r.snap.name, Created: m.Created, NumShards: m.NumShards, Rows: m.Rows}
}

// Close closes every shard file and emits reader.closed with the number of
// handles closed. Lookups after Close fail with ErrClosed; a second Close
// does nothing.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	s := r.snap
	r.mu.Unlock()
	err := s.close()
	metrics.Emit(r.runCtx, r.run, shardyfusion.ReaderClosed{Handles: len(s.shards)})
	logctx.Event(r.runCtx, r.log, "reader_closed", "num_handles", len(s.shards), "snapshot", s.m.RunID)
	return err
}
