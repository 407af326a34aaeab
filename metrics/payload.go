package metrics

import "time"

// Payload carries the values of one event. It is passed by value and holds
// no pointers, so emitting an event allocates nothing.
//
// Its size is 128 bytes on 64-bit, a multiple of 16, and a test keeps it so:
// Go copies a struct argument in 16-byte moves, and at 120 bytes (the size
// with both booleans packed at the end) the last move overlaps the one before
// it, so a collector that passes on a payload it was just handed, as Multi
// does, stalls the CPU's store forwarding on every copy.
//
// Which fields an event carries is declared by the catalog (Event.Keys),
// never inferred from whether a value is zero: a ReaderGet with Found false
// is a miss, and a field the event does not carry is ignored by every
// backend. Durations are time.Duration; backends convert them at the edge
// (milliseconds for logs and the event log, seconds for histograms).
type Payload struct {
	// Elapsed is the time since the run started (key elapsed_ms).
	Elapsed time.Duration
	// Duration is how long the step took (key duration_ms).
	Duration time.Duration
	// DBID is the shard number (key db_id).
	DBID int
	// Rows is a row count: row_count for one shard, rows_written for a
	// whole phase or run, as the event names it.
	Rows int64
	// BatchSize is the number of rows in a batch (key batch_size).
	BatchSize int
	// Found reports whether a reader found the key (key found).
	Found bool
	// Keys is the number of keys in a multi-get (key num_keys).
	Keys int
	// Changed reports whether a refresh moved to a new snapshot (key changed).
	Changed bool
	// Handles is the number of shard handles a reader closed (key num_handles).
	Handles int
	// Attempt is the 1-based number of the attempt that failed (key attempt).
	Attempt int
	// Attempts is the number of attempts made before giving up (key attempts).
	Attempts int
	// MaxRetries is the retry budget (key max_retries).
	MaxRetries int
	// Backoff is the wait before the next shard write attempt (key backoff_s).
	Backoff time.Duration
	// Delay is the wait before the next storage request (key delay_s).
	Delay time.Duration
	// Wait is how long a rate limiter made the caller wait (key wait_seconds).
	Wait time.Duration
	// Tokens is the number of tokens a denied request asked for (key
	// tokens_requested).
	Tokens int
}

// Key names one payload key of the catalog, such as duration_ms or db_id.
type Key uint8

// The payload keys. Each maps to one Payload field; two keys (row_count and
// rows_written) share the Rows field.
const (
	KeyElapsed     Key = iota + 1 // elapsed_ms: Payload.Elapsed in milliseconds
	KeyDuration                   // duration_ms: Payload.Duration in milliseconds
	KeyDBID                       // db_id: Payload.DBID
	KeyRowCount                   // row_count: Payload.Rows, for one shard
	KeyRowsWritten                // rows_written: Payload.Rows, for a phase or run
	KeyBatchSize                  // batch_size: Payload.BatchSize
	KeyFound                      // found: Payload.Found
	KeyNumKeys                    // num_keys: Payload.Keys
	KeyChanged                    // changed: Payload.Changed
	KeyNumHandles                 // num_handles: Payload.Handles
	KeyAttempt                    // attempt: Payload.Attempt
	KeyAttempts                   // attempts: Payload.Attempts
	KeyMaxRetries                 // max_retries: Payload.MaxRetries
	KeyBackoff                    // backoff_s: Payload.Backoff in seconds
	KeyDelay                      // delay_s: Payload.Delay in seconds
	KeyWait                       // wait_seconds: Payload.Wait in seconds
	KeyTokens                     // tokens_requested: Payload.Tokens
	numKeys
)

// Kind is the JSON type of a key's value.
type Kind uint8

// The kinds of payload values.
const (
	KindInt   Kind = iota + 1 // a whole number, in Field.Int
	KindFloat                 // a number, in Field.Float (durations in ms or s)
	KindBool                  // true or false, in Field.Bool
)

type keyInfo struct {
	name string
	kind Kind
}

var keys = [numKeys]keyInfo{
	KeyElapsed:     {"elapsed_ms", KindFloat},
	KeyDuration:    {"duration_ms", KindFloat},
	KeyDBID:        {"db_id", KindInt},
	KeyRowCount:    {"row_count", KindInt},
	KeyRowsWritten: {"rows_written", KindInt},
	KeyBatchSize:   {"batch_size", KindInt},
	KeyFound:       {"found", KindBool},
	KeyNumKeys:     {"num_keys", KindInt},
	KeyChanged:     {"changed", KindBool},
	KeyNumHandles:  {"num_handles", KindInt},
	KeyAttempt:     {"attempt", KindInt},
	KeyAttempts:    {"attempts", KindInt},
	KeyMaxRetries:  {"max_retries", KindInt},
	KeyBackoff:     {"backoff_s", KindFloat},
	KeyDelay:       {"delay_s", KindFloat},
	KeyWait:        {"wait_seconds", KindFloat},
	KeyTokens:      {"tokens_requested", KindInt},
}

// String returns the key's wire name, such as "duration_ms", or "" for a
// value that is not a key.
func (k Key) String() string {
	if k >= numKeys {
		return ""
	}
	return keys[k].name
}

// Kind returns the JSON type of the key's value, or 0 for a value that is
// not a key.
func (k Key) Kind() Kind {
	if k >= numKeys {
		return 0
	}
	return keys[k].kind
}

// Field is one key of a payload with its value converted to the key's unit:
// milliseconds for *_ms keys, seconds for *_s keys and wait_seconds.
// Exactly one of Int, Float and Bool is meaningful, as Kind says.
type Field struct {
	Key   Key
	Kind  Kind
	Int   int64
	Float float64
	Bool  bool
}

// Name returns the field's wire name.
func (f Field) Name() string { return f.Key.String() }

// Field returns the value of key k in p, converted to the key's unit. It
// allocates nothing, so backends that write every key of an event walk them
// as
//
//	for _, k := range ev.Keys() {
//		f := p.Field(k)
//		...
//	}
//
// Backends that need one typed value on a hot path use Int, Bool or Seconds,
// which skip building the Field.
func (p *Payload) Field(k Key) Field {
	f := Field{Key: k, Kind: k.Kind()}
	switch f.Kind {
	case KindInt:
		f.Int = p.Int(k)
	case KindBool:
		f.Bool = p.Bool(k)
	case KindFloat:
		switch k {
		case KeyElapsed:
			f.Float = millis(p.Elapsed)
		case KeyDuration:
			f.Float = millis(p.Duration)
		default:
			f.Float, _ = p.Seconds(k)
		}
	}
	return f
}

// Int returns the whole-number value of key k in p, or 0 for a key whose
// Kind is not KindInt.
func (p *Payload) Int(k Key) int64 {
	switch k {
	case KeyDBID:
		return int64(p.DBID)
	case KeyRowCount, KeyRowsWritten:
		return p.Rows
	case KeyBatchSize:
		return int64(p.BatchSize)
	case KeyNumKeys:
		return int64(p.Keys)
	case KeyNumHandles:
		return int64(p.Handles)
	case KeyAttempt:
		return int64(p.Attempt)
	case KeyAttempts:
		return int64(p.Attempts)
	case KeyMaxRetries:
		return int64(p.MaxRetries)
	case KeyTokens:
		return int64(p.Tokens)
	}
	return 0
}

// Bool returns the boolean value of key k in p, or false for a key whose
// Kind is not KindBool.
func (p *Payload) Bool(k Key) bool {
	switch k {
	case KeyFound:
		return p.Found
	case KeyChanged:
		return p.Changed
	}
	return false
}

// Seconds returns the duration held under key k in seconds, for histograms.
// It returns false for a key that does not hold a duration.
func (p *Payload) Seconds(k Key) (float64, bool) {
	switch k {
	case KeyElapsed:
		return p.Elapsed.Seconds(), true
	case KeyDuration:
		return p.Duration.Seconds(), true
	case KeyBackoff:
		return p.Backoff.Seconds(), true
	case KeyDelay:
		return p.Delay.Seconds(), true
	case KeyWait:
		return p.Wait.Seconds(), true
	}
	return 0, false
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
