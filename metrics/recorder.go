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
	mu sync.Mutex
	// chunks hold the records in order, recorderChunk to a chunk, so that
	// recording never copies the records kept so far.
	chunks [][]Record
}

// recorderChunk is the number of records a chunk holds.
const recorderChunk = 256

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Emit records the event; events outside the catalog are ignored.
func (r *Recorder) Emit(_ context.Context, ev Event, p Payload) {
	if !ev.Known() {
		return
	}
	now := time.Now()
	r.mu.Lock()
	if len(r.chunks) == 0 || len(r.chunks[len(r.chunks)-1]) == recorderChunk {
		r.chunks = append(r.chunks, make([]Record, 0, recorderChunk))
	}
	last := &r.chunks[len(r.chunks)-1]
	*last = append(*last, Record{Event: ev, Payload: p, At: now})
	r.mu.Unlock()
}

// each calls fn on every record in order, with r's lock held.
func (r *Recorder) each(fn func(rec *Record)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.chunks {
		for i := range c {
			fn(&c[i])
		}
	}
}

// Records returns a copy of every record, in order.
func (r *Recorder) Records() []Record {
	out := make([]Record, 0, r.Len())
	r.each(func(rec *Record) { out = append(out, *rec) })
	return out
}

// Events returns the recorded events, in order.
func (r *Recorder) Events() []Event {
	evs := make([]Event, 0, r.Len())
	r.each(func(rec *Record) { evs = append(evs, rec.Event) })
	return evs
}

// Len returns how many events were recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.chunks) == 0 {
		return 0
	}
	return (len(r.chunks)-1)*recorderChunk + len(r.chunks[len(r.chunks)-1])
}

// Count returns how many times ev was recorded.
func (r *Recorder) Count(ev Event) int {
	n := 0
	r.each(func(rec *Record) {
		if rec.Event == ev {
			n++
		}
	})
	return n
}

// Payloads returns the payloads recorded with ev, in order.
func (r *Recorder) Payloads(ev Event) []Payload {
	var ps []Payload
	r.each(func(rec *Record) {
		if rec.Event == ev {
			ps = append(ps, rec.Payload)
		}
	})
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

// String returns the recorded events one a line, in order: the wire name,
// then each field as name=value in the event log's units, as
//
//	write.shard.completed elapsed_ms=0 db_id=3 row_count=5000 duration_ms=1500
func (r *Recorder) String() string {
	var b []byte
	r.each(func(rec *Record) {
		d, ok := Describe(rec.Event)
		if !ok {
			b = append(b, rec.Event.String()...)
			b = append(b, '\n')
			return
		}
		b = append(b, d.Wire...)
		for _, f := range d.Fields {
			b = append(b, ' ')
			b = append(b, f.Name...)
			b = append(b, '=')
			b = AppendValue(b, f, &rec.Payload)
		}
		b = append(b, '\n')
	})
	return string(b)
}

// Reset forgets every record.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.chunks = nil
	r.mu.Unlock()
}

// Recorded returns the events of type T that r recorded, in order, as the
// structs they were emitted as (their timing fields as the timing helpers
// filled them): the typed view tests assert on.
//
//	gets := metrics.Recorded[shardyfusion.ReaderGet](rec)
func Recorded[T any](r *Recorder) []T {
	t := TypeOf[T]()
	if t == nil {
		return nil
	}
	var out []T
	r.each(func(rec *Record) {
		if rec.Event == t.d.Event {
			out = append(out, t.Unpack(rec.Payload))
		}
	})
	return out
}
