package shardkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"golang.org/x/time/rate"
)

// ErrRateLimited is returned when a rate limiter refuses a request: it asks
// for more tokens than the limiter's burst (it could never be served), or
// serving it would take longer than the limiter's MaxWait or the context's
// deadline allows. A request refused for its wait may succeed later; one
// refused for its size never will (see ErrExceedsBurst).
var ErrRateLimited = errors.New("shardkv: rate limited")

// ErrExceedsBurst is returned, wrapped with ErrRateLimited, when a request
// asks for more tokens than the limiter's burst.
var ErrExceedsBurst = errors.New("request exceeds the limiter's burst")

// Limiter is a token-bucket rate limiter (golang.org/x/time/rate) shared by
// the writers and readers it is given to. A writer takes one token per row
// of each batch, a reader one per key looked up.
//
// A request that must wait for its tokens waits and is counted as
// rate_limiter.throttled with the time it waited; a request that could never
// be served, or would wait longer than MaxWait or than its context allows,
// is refused at once, counted as rate_limiter.denied, and fails with
// ErrRateLimited.
type Limiter struct {
	lim     *rate.Limiter
	maxWait time.Duration
}

// NewLimiter returns a Limiter that allows perSecond tokens per second with
// bursts of up to burst tokens, and refuses requests that would wait longer
// than maxWait (0 means no limit other than the context's deadline).
func NewLimiter(perSecond float64, burst int, maxWait time.Duration) (*Limiter, error) {
	switch {
	case perSecond <= 0 || math.IsNaN(perSecond):
		return nil, fmt.Errorf("shardkv: NewLimiter: perSecond must be > 0, got %v", perSecond)
	case burst < 1:
		return nil, fmt.Errorf("shardkv: NewLimiter: burst must be >= 1, got %d", burst)
	case maxWait < 0:
		return nil, fmt.Errorf("shardkv: NewLimiter: maxWait must not be negative, got %v", maxWait)
	}
	return &Limiter{lim: rate.NewLimiter(rate.Limit(perSecond), burst), maxWait: maxWait}, nil
}

// Burst returns the most tokens one request may take.
func (l *Limiter) Burst() int { return l.lim.Burst() }

// wait takes n tokens, waiting for them if it must. A nil Limiter never
// waits.
func (l *Limiter) wait(ctx context.Context, run *metrics.Run, log *slog.Logger, n int) error {
	if l == nil || n <= 0 {
		return nil
	}
	now := time.Now()
	r := l.lim.ReserveN(now, n)
	if !r.OK() {
		return l.deny(ctx, run, log, n, fmt.Errorf("%w: %d tokens, burst %d: %w", ErrRateLimited, n, l.lim.Burst(), ErrExceedsBurst))
	}
	d := r.DelayFrom(now)
	if d == 0 {
		return nil
	}
	if l.maxWait > 0 && d > l.maxWait {
		r.CancelAt(now)
		return l.deny(ctx, run, log, n, fmt.Errorf("%w: %d tokens need a %v wait, more than the %v allowed", ErrRateLimited, n, d, l.maxWait))
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
		r.CancelAt(now)
		return l.deny(ctx, run, log, n, fmt.Errorf("%w: %d tokens need a %v wait, past the context's deadline", ErrRateLimited, n, d))
	}
	if err := sleep(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	metrics.Emit(ctx, run, shardyfusion.RateLimiterThrottled{Wait: time.Since(now)})
	return nil
}

func (l *Limiter) deny(ctx context.Context, run *metrics.Run, log *slog.Logger, n int, err error) error {
	metrics.Emit(ctx, run, shardyfusion.RateLimiterDenied{Tokens: n})
	logctx.Failure(ctx, log, "rate_limiter_denied", logctx.Transient, err, "tokens_requested", n)
	return err
}
