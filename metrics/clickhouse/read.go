package clickhouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/metrics"
)

// storedRow is one row as ReadRun queries it.
type storedRow struct {
	TS        int64     `json:"t"`
	TSMillis  int64     `json:"ts_ms"`
	RunID     string    `json:"run_id"`
	Seq       uint64    `json:"seq"`
	TraceID   string    `json:"trace_id"`
	SpanID    string    `json:"span_id"`
	ParentID  string    `json:"parent_span_id"`
	Catalog   string    `json:"catalog"`
	Event     string    `json:"event"`
	NumKeys   []string  `json:"num_keys"`
	NumValues []float64 `json:"num_values"`
	StrKeys   []string  `json:"str_keys"`
	StrValues []string  `json:"str_values"`
}

// ReadRun returns the events of run runID stored in the table, in their
// order (seq), as the lines metrics/eventlog writes for them: what
// `milestone summarize --clickhouse` reads, with the same code as a file.
// A row delivered twice by a retry is read once. The options are New's
// (only the connection and table options matter).
func ReadRun(ctx context.Context, runID string, opts ...Option) ([]byte, error) {
	runs, err := readRuns(ctx, "WHERE run_id = "+quote(runID), opts)
	if err != nil {
		return nil, err
	}
	return runs[runID], nil
}

// ListRuns returns the events of every run stored in the table, by run id,
// as ReadRun does for one.
func ListRuns(ctx context.Context, opts ...Option) (map[string][]byte, error) {
	return readRuns(ctx, "", opts)
}

func readRuns(ctx context.Context, where string, opts []Option) (map[string][]byte, error) {
	cfg := config{timeout: DefaultTimeout}
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	if cfg.client == nil {
		cfg.client = http.DefaultClient
	}
	ids := "trace_id, span_id, parent_span_id"
	var err error
	for _, srv := range cfg.servers() {
		var out map[string][]byte
		out, err = readFrom(ctx, &cfg, srv, where, ids)
		var se *serverError
		if errors.As(err, &se) && se.code == 47 && (strings.Contains(se.msg, "trace_id") || strings.Contains(se.msg, "span_id")) {
			// A table from before the trace columns.
			out, err = readFrom(ctx, &cfg, srv, where, "'' AS trace_id, '' AS span_id, '' AS parent_span_id")
		}
		if err == nil {
			return out, nil
		}
		if errors.As(err, &se) && !se.retryable() {
			return nil, err // every server would say the same
		}
	}
	return nil, err
}

// readFrom runs ReadRun's query on srv: the rows where says, with ids
// selecting the id columns.
func readFrom(ctx context.Context, cfg *config, srv *server, where, ids string) (map[string][]byte, error) {
	sql := "SELECT toUnixTimestamp(ts) AS t, ts_ms, run_id, seq, " + ids + ", catalog, event, num_keys, num_values, str_keys, str_values FROM " +
		cfg.database + "." + cfg.table + " " + where + " ORDER BY run_id, seq FORMAT JSONEachRow"
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.base+"/?output_format_json_quote_64bit_integers=0", strings.NewReader(sql))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(srv.user, srv.password)
	resp, err := cfg.client.Do(req)
	if err != nil {
		return nil, srv.redact(fmt.Errorf("clickhouse: reading from %s: %w", srv.target, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("clickhouse: reading from %s: %w", srv.target, srv.redact(newServerError(resp.StatusCode, string(msg))))
	}
	out := map[string][]byte{}
	last := map[string]uint64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r storedRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("clickhouse: reading from %s: %w", srv.target, err)
		}
		if seq, seen := last[r.RunID]; seen && seq == r.Seq {
			continue // delivered twice by a retry
		}
		last[r.RunID] = r.Seq
		out[r.RunID] = appendLine(out[r.RunID], &r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: reading from %s: %w", srv.target, err)
	}
	return out, nil
}

// appendLine appends the event-log line of r: for an event this binary
// declares, its fields in declaration order with their kinds (a boolean as
// true or false, an integer as a whole number); for any other, the numbers
// then the strings.
func appendLine(b []byte, r *storedRow) []byte {
	b = append(b, `{"event":`...)
	b = jsonenc.AppendString(b, r.Event)
	b = append(b, `,"ts":`...)
	b = jsonenc.AppendTimestamp(b, time.Unix(r.TS, r.TSMillis*1e6))
	b = append(b, `,"run_id":`...)
	b = jsonenc.AppendString(b, r.RunID)
	if r.TraceID != "" {
		b = append(b, `,"trace_id":`...)
		b = jsonenc.AppendString(b, r.TraceID)
		b = append(b, `,"span_id":`...)
		b = jsonenc.AppendString(b, r.SpanID)
		if r.ParentID != "" {
			b = append(b, `,"parent_span_id":`...)
			b = jsonenc.AppendString(b, r.ParentID)
		}
	}
	nums := map[string]float64{}
	for i, k := range r.NumKeys {
		if i < len(r.NumValues) {
			nums[k] = r.NumValues[i]
		}
	}
	strs := map[string]string{}
	for i, k := range r.StrKeys {
		if i < len(r.StrValues) {
			strs[k] = r.StrValues[i]
		}
	}
	if d := describe(r.Catalog, r.Event); d != nil {
		for _, f := range d.Fields {
			b = append(b, ',')
			b = jsonenc.AppendString(b, f.Name)
			b = append(b, ':')
			switch f.Kind {
			case metrics.KindString:
				b = jsonenc.AppendString(b, strs[f.Name])
			case metrics.KindBool:
				b = strconv.AppendBool(b, nums[f.Name] != 0)
			case metrics.KindInt:
				b = strconv.AppendInt(b, int64(nums[f.Name]), 10)
			case metrics.KindDuration:
				// A duration is a whole number of nanoseconds: round away
				// the last-bit error of 18.16's float parser, so that the
				// value reads back as the event log wrote it.
				scale := f.Unit.Scale()
				b = appendNumber(b, math.Round(nums[f.Name]*scale)/scale)
			default:
				b = appendNumber(b, nums[f.Name])
			}
		}
		return append(b, "}\n"...)
	}
	for i, k := range r.NumKeys {
		b = append(b, ',')
		b = jsonenc.AppendString(b, k)
		b = append(b, ':')
		b = appendNumber(b, r.NumValues[i])
	}
	for i, k := range r.StrKeys {
		b = append(b, ',')
		b = jsonenc.AppendString(b, k)
		b = append(b, ':')
		b = jsonenc.AppendString(b, r.StrValues[i])
	}
	return append(b, "}\n"...)
}

// describe finds the declaration of an event by catalog and wire name.
func describe(catalog, wire string) *metrics.Descriptor {
	for _, c := range metrics.Catalogs() {
		if c.Namespace() == catalog {
			if d, ok := c.Lookup(wire); ok {
				return d
			}
		}
	}
	return nil
}

// quote returns s as a ClickHouse string literal.
func quote(s string) string {
	var b bytes.Buffer
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// appendNumber appends v as the shortest decimal, or nan, inf and -inf
// (as ClickHouse's JSON writes them).
func appendNumber(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "nan"...)
	case math.IsInf(v, 1):
		return append(b, "inf"...)
	case math.IsInf(v, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
