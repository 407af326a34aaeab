package runs

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
)

// record is one line. Pointers tell a key that is absent from a zero.
// Its strings point into the line (see decode).
type record struct {
	Event       string
	TS          string
	RunID       *string
	TraceID     string
	RunKey      string
	EndsRun     []string
	Status      string
	Version     string
	Host        string
	PID         int64
	Count       int64
	ElapsedMS   *float64
	DurationMS  *float64
	DBID        *int64
	RowCount    int64
	RowsWritten *int64
	BatchSize   int64
	Found       *bool
	NumKeys     int64
	Changed     bool
	NumHandles  int64
	Attempt     int64
	Attempts    int64
	MaxRetries  int64
	BackoffS    float64
	DelayS      float64
	WaitSeconds float64
	Tokens      int64
	ErrorType   string
	// Progress (metrics.Work): decoded, not reported by the sections.
	RowsExpected int64
	Rows         int64

	// held are what the pointers point to, so that a line costs no
	// allocation of its own.
	held struct {
		runID             string
		elapsed, duration float64
		dbID, rowsWritten int64
		found             bool
	}
}

// decode fills r from a line's members: the keys it knows, each of the
// JSON type it must have (null leaves a key as if absent); any other key
// is the event's own, read by the event table. Its strings point into the
// line, which Read never reuses: what outlives the line is cloned where it
// is kept.
func (r *record) decode(members []jsonscan.Member) error {
	for _, m := range members {
		var err error
		switch m.Key {
		case "event":
			err = str(m, &r.Event)
		case "ts":
			err = str(m, &r.TS)
		case "run_id":
			if err = str(m, &r.held.runID); err == nil && !isNull(m.Raw) {
				r.RunID = &r.held.runID
			}
		case "trace_id":
			err = str(m, &r.TraceID)
		case "run_key":
			err = str(m, &r.RunKey)
		case "ends_run":
			if err = json.Unmarshal(m.Raw, &r.EndsRun); err != nil {
				err = fmt.Errorf("%s: %w", m.Key, err)
			}
		case "status":
			err = str(m, &r.Status)
		case "version":
			err = str(m, &r.Version)
		case "host":
			err = str(m, &r.Host)
		case "error_type":
			err = str(m, &r.ErrorType)
		case "pid":
			err = integer(m, &r.PID)
		case "count":
			err = integer(m, &r.Count)
		case "row_count":
			err = integer(m, &r.RowCount)
		case "batch_size":
			err = integer(m, &r.BatchSize)
		case "num_keys":
			err = integer(m, &r.NumKeys)
		case "num_handles":
			err = integer(m, &r.NumHandles)
		case "attempt":
			err = integer(m, &r.Attempt)
		case "attempts":
			err = integer(m, &r.Attempts)
		case "max_retries":
			err = integer(m, &r.MaxRetries)
		case "tokens_requested":
			err = integer(m, &r.Tokens)
		case "rows_expected":
			err = integer(m, &r.RowsExpected)
		case "rows":
			err = integer(m, &r.Rows)
		case "db_id":
			r.DBID, err = optional(m, integer, &r.held.dbID)
		case "rows_written":
			r.RowsWritten, err = optional(m, integer, &r.held.rowsWritten)
		case "backoff_s":
			err = float(m, &r.BackoffS)
		case "delay_s":
			err = float(m, &r.DelayS)
		case "wait_seconds":
			err = float(m, &r.WaitSeconds)
		case "elapsed_ms":
			r.ElapsedMS, err = optional(m, float, &r.held.elapsed)
		case "duration_ms":
			r.DurationMS, err = optional(m, float, &r.held.duration)
		case "changed":
			err = boolean(m, &r.Changed)
		case "found":
			r.Found, err = optional(m, boolean, &r.held.found)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func isNull(raw []byte) bool { return string(raw) == "null" }

// wrongType is the error of a value of the wrong JSON type.
func wrongType(m jsonscan.Member, want string) error {
	kind := "number"
	switch raw := m.Raw; {
	case len(raw) == 0:
		kind = "nothing"
	case raw[0] == '"':
		kind = "string"
	case raw[0] == '{':
		kind = "object"
	case raw[0] == '[':
		kind = "array"
	case raw[0] == 't' || raw[0] == 'f':
		kind = "bool"
	}
	return fmt.Errorf("%s: cannot unmarshal %s into %s", m.Key, kind, want)
}

func str(m jsonscan.Member, dst *string) error {
	if isNull(m.Raw) {
		return nil
	}
	v, ok := jsonscan.Str(m.Raw)
	if !ok {
		return wrongType(m, "a string")
	}
	*dst = v
	return nil
}

func integer(m jsonscan.Member, dst *int64) error {
	if isNull(m.Raw) {
		return nil
	}
	v, err := strconv.ParseInt(unsafeString(m.Raw), 10, 64)
	if err != nil {
		return wrongType(m, "an int64")
	}
	*dst = v
	return nil
}

func float(m jsonscan.Member, dst *float64) error {
	if isNull(m.Raw) {
		return nil
	}
	if c := m.Raw[0]; c != '-' && (c < '0' || c > '9') {
		return wrongType(m, "a float64") // not a JSON number (Inf, NaN, a string)
	}
	v, err := strconv.ParseFloat(unsafeString(m.Raw), 64)
	if err != nil {
		return wrongType(m, "a float64")
	}
	*dst = v
	return nil
}

func boolean(m jsonscan.Member, dst *bool) error {
	switch string(m.Raw) {
	case "null":
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return wrongType(m, "a bool")
	}
	return nil
}

// optional decodes m with fill into v and returns v, or nil when m is
// null.
func optional[T any](m jsonscan.Member, fill func(jsonscan.Member, *T) error, v *T) (*T, error) {
	if isNull(m.Raw) {
		return nil, nil
	}
	if err := fill(m, v); err != nil {
		return nil, err
	}
	return v, nil
}
