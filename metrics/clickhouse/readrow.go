package clickhouse

import (
	"fmt"
	"strconv"

	"github.com/milestone-go/milestone/internal/lib/jsonscan"
)

// rowDecoder decodes the JSONEachRow lines of ReadRun's query into a
// storedRow without encoding/json: a row's strings point into its line and
// are good until the next one (appendLine copies what it keeps), and its
// slices are reused row to row.
type rowDecoder struct {
	members []jsonscan.Member
	elems   [][]byte
	r       storedRow
}

// decode returns the row of line.
func (d *rowDecoder) decode(line []byte) (*storedRow, error) {
	var err error
	if d.members, err = jsonscan.Object(d.members[:0], line); err != nil {
		return nil, err
	}
	r := &d.r
	r.NumKeys, r.NumValues, r.StrKeys, r.StrValues = r.NumKeys[:0], r.NumValues[:0], r.StrKeys[:0], r.StrValues[:0]
	r.TraceID, r.SpanID, r.ParentID, r.EndsRun = "", "", "", false
	for _, m := range d.members {
		switch m.Key {
		case "t":
			r.TS, err = strconv.ParseInt(string(m.Raw), 10, 64)
		case "ts_ms":
			r.TSMillis, err = strconv.ParseInt(string(m.Raw), 10, 64)
		case "seq":
			r.Seq, err = strconv.ParseUint(string(m.Raw), 10, 64)
		case "run_id":
			r.RunID, err = str(m.Raw)
		case "trace_id":
			r.TraceID, err = str(m.Raw)
		case "span_id":
			r.SpanID, err = str(m.Raw)
		case "parent_span_id":
			r.ParentID, err = str(m.Raw)
		case "catalog":
			r.Catalog, err = str(m.Raw)
		case "event":
			r.Event, err = str(m.Raw)
		case "ends_run":
			r.EndsRun = string(m.Raw) == "1"
		case "num_keys":
			r.NumKeys, err = elements(d, r.NumKeys, m.Raw, str)
		case "str_keys":
			r.StrKeys, err = elements(d, r.StrKeys, m.Raw, str)
		case "str_values":
			r.StrValues, err = elements(d, r.StrValues, m.Raw, str)
		case "num_values":
			r.NumValues, err = elements(d, r.NumValues, m.Raw, number)
		}
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", m.Key, err)
		}
	}
	return r, nil
}

// str reads a string; it may point into raw.
func str(raw []byte) (string, error) {
	s, ok := jsonscan.Str(raw)
	if !ok {
		return "", fmt.Errorf("not a string: %.40s", raw)
	}
	return s, nil
}

// elements appends the elements of the JSON array raw to dst, each read
// with parse.
func elements[T any](d *rowDecoder, dst []T, raw []byte, parse func([]byte) (T, error)) ([]T, error) {
	var err error
	if d.elems, err = jsonscan.Array(d.elems[:0], raw); err != nil {
		return dst, err
	}
	for _, e := range d.elems {
		v, err := parse(e)
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// number reads a number; ClickHouse writes a NaN or an infinity as nan,
// inf or null (0), which read back as written.
func number(raw []byte) (float64, error) {
	if string(raw) == "null" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %.40s", raw)
	}
	return v, nil
}
