package prom

import (
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// field names one field of metrics.Payload, so that Emit reads it with one
// switch instead of going through the catalog's generic Payload.Field.
//
// Which field a catalog key reads is never written down here: New finds it
// by probing the catalog's own accessors (Payload.Field, Payload.Seconds)
// with payloads that set one field at a time, and an instrument whose key
// matches no field, or more than one, keeps the generic path
// (Instrument.Delta, Instrument.Observation). So the catalog stays the one
// source of what an instrument reads.
type field uint8

const (
	fieldNone field = iota
	// durations
	fieldElapsed
	fieldDuration
	fieldBackoff
	fieldDelay
	fieldWait
	// whole numbers
	fieldDBID
	fieldRows
	fieldBatchSize
	fieldKeys
	fieldHandles
	fieldAttempt
	fieldAttempts
	fieldMaxRetries
	fieldTokens
	// booleans
	fieldFound
	fieldChanged
	numFields
)

func (f field) isDuration() bool { return f >= fieldElapsed && f <= fieldWait }
func (f field) isInt() bool      { return f >= fieldDBID && f <= fieldTokens }
func (f field) isBool() bool     { return f == fieldFound || f == fieldChanged }

// duration returns a duration field of p.
func (f field) duration(p *metrics.Payload) time.Duration {
	switch f {
	case fieldElapsed:
		return p.Elapsed
	case fieldDuration:
		return p.Duration
	case fieldBackoff:
		return p.Backoff
	case fieldDelay:
		return p.Delay
	case fieldWait:
		return p.Wait
	}
	return 0
}

// int returns a whole-number field of p.
func (f field) int(p *metrics.Payload) int64 {
	switch f {
	case fieldDBID:
		return int64(p.DBID)
	case fieldRows:
		return p.Rows
	case fieldBatchSize:
		return int64(p.BatchSize)
	case fieldKeys:
		return int64(p.Keys)
	case fieldHandles:
		return int64(p.Handles)
	case fieldAttempt:
		return int64(p.Attempt)
	case fieldAttempts:
		return int64(p.Attempts)
	case fieldMaxRetries:
		return int64(p.MaxRetries)
	case fieldTokens:
		return int64(p.Tokens)
	}
	return 0
}

// bool returns a boolean field of p.
func (f field) bool(p *metrics.Payload) bool {
	switch f {
	case fieldFound:
		return p.Found
	case fieldChanged:
		return p.Changed
	}
	return false
}

// set sets field f of p to v (a duration in nanoseconds, a number, or true
// when v is not 0), for probing.
func (f field) set(p *metrics.Payload, v int64) {
	d := time.Duration(v)
	n := int(v)
	switch f {
	case fieldElapsed:
		p.Elapsed = d
	case fieldDuration:
		p.Duration = d
	case fieldBackoff:
		p.Backoff = d
	case fieldDelay:
		p.Delay = d
	case fieldWait:
		p.Wait = d
	case fieldDBID:
		p.DBID = n
	case fieldRows:
		p.Rows = v
	case fieldBatchSize:
		p.BatchSize = n
	case fieldKeys:
		p.Keys = n
	case fieldHandles:
		p.Handles = n
	case fieldAttempt:
		p.Attempt = n
	case fieldAttempts:
		p.Attempts = n
	case fieldMaxRetries:
		p.MaxRetries = n
	case fieldTokens:
		p.Tokens = n
	case fieldFound:
		p.Found = v != 0
	case fieldChanged:
		p.Changed = v != 0
	}
}

// probes are the marker values probes set, one at a time: a field
// matches a key only when the catalog reads back each of them.
var probes = [...]int64{7919, -3}

// all reports whether read(v) is true for every probe value v.
func all(read func(v int64) bool) bool {
	for _, v := range probes {
		if !read(v) {
			return false
		}
	}
	return true
}

// countField returns the whole-number field that the catalog reads for key
// k (Payload.Field(k).Int), or fieldNone when no single field matches.
func countField(k metrics.Key) field {
	return unique(func(f field) bool {
		if !f.isInt() {
			return false
		}
		return all(func(v int64) bool {
			var p metrics.Payload
			f.set(&p, v)
			return p.Field(k).Int == v
		})
	})
}

// secondsField returns the duration field that the catalog observes for key
// k (Payload.Seconds(k)), or fieldNone when no single field matches.
func secondsField(k metrics.Key) field {
	return unique(func(f field) bool {
		if !f.isDuration() {
			return false
		}
		return all(func(v int64) bool {
			var p metrics.Payload
			f.set(&p, v*int64(time.Millisecond))
			s, ok := p.Seconds(k)
			return ok && s == f.duration(&p).Seconds()
		})
	})
}

// boolField returns the boolean field that the catalog reads for key k
// (Payload.Field(k).Bool), or fieldNone when no single field matches.
func boolField(k metrics.Key) field {
	var zero metrics.Payload
	if zero.Field(k).Bool {
		return fieldNone
	}
	return unique(func(f field) bool {
		if !f.isBool() {
			return false
		}
		var p metrics.Payload
		f.set(&p, 1)
		return p.Field(k).Bool
	})
}

func unique(match func(field) bool) field {
	found := fieldNone
	for f := fieldNone + 1; f < numFields; f++ {
		if match(f) {
			if found != fieldNone {
				return fieldNone
			}
			found = f
		}
	}
	return found
}
