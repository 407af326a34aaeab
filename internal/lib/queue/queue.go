package queue

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Queue holds at most its size of items. Producers Push; one consumer
// takes them in batches with Take. It is safe for concurrent use.
type Queue[T any] struct {
	mu      sync.Mutex
	active  []T
	spare   []T
	closed  bool // no more Push
	closing bool // Close was called and not yet taken
	waiting bool // the consumer sleeps in Take
	flushes []chan struct{}
	wake    chan struct{} // capacity 1
	size    int
	hooks   Hooks[T]
}

// Hooks are called with the queue's lock held, so they must be quick
// (count, remember a run id); either may be nil.
type Hooks[T any] struct {
	// Reject is called for every item Push refuses because the queue is
	// full.
	Reject func(item T)
	// Take is called when Take hands over a batch: what Reject recorded
	// so far belongs with that batch.
	Take func()
}

// New returns a queue of size items.
func New[T any](size int, hooks Hooks[T]) *Queue[T] {
	return &Queue[T]{
		active: make([]T, 0, size), spare: make([]T, 0, size),
		wake: make(chan struct{}, 1), size: size, hooks: hooks,
	}
}

// Result says what Push did.
type Result uint8

// The results of Push.
const (
	Queued Result = iota // the item waits for the consumer
	Full                 // the queue was full: the item was dropped
	Closed               // Close was called: the item was dropped
)

// Push queues item without blocking.
func (q *Queue[T]) Push(item T) Result {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return Closed
	}
	if len(q.active) == cap(q.active) {
		if q.hooks.Reject != nil {
			q.hooks.Reject(item)
		}
		q.mu.Unlock()
		return Full
	}
	q.active = append(q.active, item)
	q.wakeLocked()
	return Queued
}

// wakeLocked wakes a sleeping consumer and unlocks.
func (q *Queue[T]) wakeLocked() {
	wake := q.waiting
	q.waiting = false
	q.mu.Unlock()
	if wake {
		q.wake <- struct{}{}
	}
}

// PushCounting is Push that counts a refused item in full or closed.
func (q *Queue[T]) PushCounting(item T, full, closed *atomic.Uint64) {
	switch q.Push(item) {
	case Full:
		full.Add(1)
	case Closed:
		closed.Add(1)
	}
}

// Flush requests a flush and waits until the consumer has done it, or ctx
// is done, whose error it returns. It reports false, at once, when the
// queue is closed.
func (q *Queue[T]) Flush(ctx context.Context) (bool, error) {
	done := q.RequestFlush()
	if done == nil {
		return false, nil
	}
	select {
	case <-done:
		return true, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

// RequestFlush returns a channel the consumer closes once it has taken
// every item pushed before the call and done what Take's caller does with
// a flush; nil when the queue is closed.
func (q *Queue[T]) RequestFlush() chan struct{} {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	q.flushes = append(q.flushes, done)
	q.wakeLocked()
	return done
}

// Close refuses further pushes and asks the consumer to take what is left
// and stop. It reports false when the queue was already closed.
func (q *Queue[T]) Close() bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.closed, q.closing = true, true
	q.wakeLocked()
	return true
}

// Batch is what Take hands the consumer.
type Batch[T any] struct {
	// Items are the items pushed since the last Take, in order; the
	// consumer gives the slice back with Recycle.
	Items []T
	// Flushes are the RequestFlush channels to close once Items are done.
	Flushes []chan struct{}
	// Closing is set when Close was called: Items are the last.
	Closing bool
	// Tick is set when Take returned because tick fired with nothing to
	// take.
	Tick bool
}

// Take blocks until there are items, a flush or a close request, or tick
// fires (a nil tick never does). Before it sleeps it calls idle, when not
// nil, with no lock held: the consumer's chance to write out what it
// buffered while the queue is quiet.
func (q *Queue[T]) Take(idle func(), tick <-chan time.Time) Batch[T] {
	q.mu.Lock()
	for len(q.active) == 0 && len(q.flushes) == 0 && !q.closing {
		q.waiting = true
		q.mu.Unlock()
		if idle != nil {
			idle()
		}
		select {
		case <-q.wake:
		case <-tick:
			q.mu.Lock()
			q.waiting = false
			q.mu.Unlock()
			return Batch[T]{Tick: true}
		}
		q.mu.Lock()
	}
	b := Batch[T]{Items: q.active, Flushes: q.flushes, Closing: q.closing}
	if q.hooks.Take != nil {
		q.hooks.Take()
	}
	if q.spare == nil { // the last batch was not given back
		q.spare = make([]T, 0, q.size)
	}
	q.active, q.spare = q.spare[:0], nil
	q.flushes = nil
	q.closing = false
	q.mu.Unlock()
	return b
}

// Recycle gives back the Items of a Batch once the consumer is done with
// them, zeroing them so that they pin no memory.
func (q *Queue[T]) Recycle(items []T) {
	clear(items)
	q.mu.Lock()
	q.spare = items[:0]
	q.mu.Unlock()
}

// State returns how many items wait and whether the consumer sleeps in
// Take, for tests that need the consumer busy.
func (q *Queue[T]) State() (queued int, consumerSleeps bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.active), q.waiting
}
