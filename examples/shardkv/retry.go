package shardkv

import (
	"context"
	"log/slog"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// retryingStorage retries the transient failures of s as p allows, emitting
// s3.retry before each new attempt and s3.retry_exhausted when it gives up.
type retryingStorage struct {
	s   Storage
	p   RetryPolicy
	run *metrics.Run
	log *slog.Logger
}

func (r *retryingStorage) do(ctx context.Context, op Op, name string, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !IsTransient(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= r.p.MaxAttempts {
			metrics.Emit(ctx, r.run, shardyfusion.S3RetryExhausted{Attempts: attempt})
			logctx.Failure(ctx, r.log, "storage_retry_exhausted", logctx.Error, err,
				"op", op.String(), "object", name, "attempts", attempt)
			return &ExhaustedError{Op: op, Name: name, Attempts: attempt, Err: err}
		}
		d := r.p.delay(attempt)
		metrics.Emit(ctx, r.run, shardyfusion.S3Retry{Attempt: attempt, MaxRetries: r.p.MaxAttempts - 1, Delay: d})
		logctx.Failure(ctx, r.log, "storage_retry", logctx.Transient, err,
			"op", op.String(), "object", name, "attempt", attempt, "max_retries", r.p.MaxAttempts-1, "delay_s", d.Seconds())
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (r *retryingStorage) Put(ctx context.Context, name string, data []byte) error {
	return r.do(ctx, OpPut, name, func() error { return r.s.Put(ctx, name, data) })
}

func (r *retryingStorage) Get(ctx context.Context, name string) ([]byte, error) {
	var b []byte
	err := r.do(ctx, OpGet, name, func() (err error) {
		b, err = r.s.Get(ctx, name)
		return err
	})
	return b, err
}

func (r *retryingStorage) Open(ctx context.Context, name string) (Object, error) {
	var o Object
	err := r.do(ctx, OpOpen, name, func() (err error) {
		o, err = r.s.Open(ctx, name)
		return err
	})
	return o, err
}

// buildStorage stacks the layers every writer and reader uses: the local
// directory, the injected faults, and the retries.
func buildStorage(dir string, faults *Faults, p RetryPolicy, run *metrics.Run, log *slog.Logger) (Storage, error) {
	ds, err := NewDirStorage(dir)
	if err != nil {
		return nil, err
	}
	var s Storage = ds
	if faults != nil {
		s = &faultyStorage{s: s, f: faults}
	}
	return &retryingStorage{s: s, p: p, run: run, log: log}, nil
}
