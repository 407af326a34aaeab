package main

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/progress"
)

// demoKey returns the key of row i: "user:00000042".
func demoKey(buf []byte, i int) []byte { return fmt.Appendf(buf[:0], "user:%08d", i) }

// demoRows yields the rows of generation gen: n users whose values change
// with every generation.
func demoRows(n int, gen int64) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		var k, v []byte
		for i := range n {
			k = demoKey(k, i)
			score := (uint64(i)*2654435761 + uint64(gen)*40503) % 1000
			v = fmt.Appendf(v[:0], `{"id":%d,"name":"user %d","generation":%d,"score":%d}`, i, i, gen, score)
			if !yield(k, v) {
				return
			}
		}
	}
}

// writeSnapshot writes the next generation of the demo data and prunes old
// snapshots. Every write meets a few transient storage faults when -faults
// is on: every fifth shard upload fails once, and from the second write on
// shard 3 fails four times in a row, which exhausts one upload's retries and
// makes the shard write retry.
// line, when not nil, draws the write's progress (metrics/progress.Line).
func (s *service) writeSnapshot(ctx context.Context, line *progress.Line) error {
	gen := s.gen.Add(1)
	opts := shardkv.WriteOptions{
		NumShards: s.cfg.shards,
		BatchSize: s.cfg.batch,
		Collector: s.writeCollector,
		RateLimit: s.writeLim,
		// Known up front: the progress of the write is known from its start.
		ExpectedRows: int64(s.cfg.rows),
	}
	if s.cfg.faults {
		opts.Faults = shardkv.NewFaults().Every(shardkv.OpPut, "shard-", 5)
		if gen > 1 && s.cfg.shards > 3 {
			opts.Faults.Fail(shardkv.OpPut, "shard-00003", 4)
		}
	}
	if line != nil {
		opts.Collector = metrics.Multi(s.writeCollector, line)
		defer line.Close()
	}
	res, err := shardkv.Write(ctx, s.cfg.data, demoRows(s.cfg.rows, gen), opts)
	if err != nil {
		return err
	}
	if removed, err := shardkv.Prune(ctx, s.cfg.data, s.cfg.keep); err != nil {
		logctx.Failure(ctx, s.log, "prune_failed", logctx.Transient, err)
	} else if len(removed) > 0 {
		logctx.Event(ctx, s.log, "snapshots_pruned", "removed", removed, "snapshot", res.Manifest.RunID)
	}
	return nil
}

// every calls fn every d until ctx is done.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// readLoop looks keys up every -read-every: a batch of random keys, one
// present key and, every tenth time, one that is not there.
func (s *service) readLoop(ctx context.Context) {
	keys := make([][]byte, 16)
	i := 0
	every(ctx, s.cfg.readEvery, func() {
		i++
		r := s.reader.Load()
		if r == nil {
			return
		}
		for j := range keys {
			keys[j] = demoKey(keys[j], rand.IntN(s.cfg.rows))
		}
		if _, err := r.MultiGet(ctx, keys); err != nil && ctx.Err() == nil {
			logctx.Failure(ctx, s.log, "background_read_failed", logctx.Transient, err)
		}
		key := keys[0]
		if i%10 == 0 {
			key = demoKey(nil, s.cfg.rows+rand.IntN(1000)) // a miss
		}
		if _, _, err := r.Get(ctx, key); err != nil && ctx.Err() == nil {
			logctx.Failure(ctx, s.log, "background_read_failed", logctx.Transient, err)
		}
	})
}

// rewrite writes a new generation of the snapshot and refreshes the reader
// onto it.
func (s *service) rewrite(ctx context.Context) {
	if err := s.writeSnapshot(ctx, nil); err != nil {
		if ctx.Err() == nil {
			logctx.Failure(ctx, s.log, "rewrite_failed", logctx.Error, err)
		}
		return
	}
	s.refresh(ctx)
}

func (s *service) refresh(ctx context.Context) {
	if r := s.reader.Load(); r != nil {
		if _, err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
			logctx.Failure(ctx, s.log, "refresh_failed", logctx.Transient, err)
		}
	}
}
