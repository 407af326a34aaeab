package metrics

import (
	"context"
	"sync"
	"time"
)

// Record is one event kept by a Recorder.
type Record struct {
	Event   Event
	Payload Payload
	// At is when the Recorder received the event.
	At time.Time
}

// Recorder is a Collector that keeps every known event in the order it
// arrived, for tests. It is safe for concurrent use. The zero Recorder is
// ready to use.
type Recorder struct {
	mu      sync.Mutex
	records []Record
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Emit records the event; events outside the catalog are ignored.
func (r *Recorder) Emit(_ context.Context, ev Event, p Payload) {
	if !ev.Known() {
		return
	}
	now := time.Now()
	r.mu.Lock()
	r.records = append(r.records, Record{Event: ev, Payload: p, At: now})
	r.mu.Unlock()
}

// Records returns a copy of every record, in order.
func (r *Recorder) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.records...)
}

// Events returns the recorded events, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := make([]Event, len(r.records))
	for i, rec := range r.records {
		evs[i] = rec.Event
	}
	return evs
}

// Len returns how many events were recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.records)
}

// Count returns how many times ev was recorded.
func (r *Recorder) Count(ev Event) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.records {
		if rec.Event == ev {
			n++
		}
	}
	return n
}

// Payloads returns the payloads recorded with ev, in order.
func (r *Recorder) Payloads(ev Event) []Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ps []Payload
	for _, rec := range r.records {
		if rec.Event == ev {
			ps = append(ps, rec.Payload)
		}
	}
	return ps
}

// Filter returns the records for which keep returns true, in order.
// keep is called without the Recorder's lock held, so it may use r.
func (r *Recorder) Filter(keep func(Record) bool) []Record {
	var out []Record
	for _, rec := range r.Records() {
		if keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}

// Reset forgets every record.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.records = nil
	r.mu.Unlock()
}
