package clickhouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
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
	u, _ := parseURL(cfg.url)
	u.User = nil
	q := url.Values{}
	q.Set("output_format_json_quote_64bit_integers", "0")
	sql := "SELECT toUnixTimestamp(ts) AS t, ts_ms, run_id, seq, trace_id, span_id, parent_span_id, catalog, event, num_keys, num_values, str_keys, str_values FROM " +
		cfg.database + "." + cfg.table + " " + where + " ORDER BY run_id, seq FORMAT JSONEachRow"
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String()+"/?"+q.Encode(), strings.NewReader(sql))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(cfg.user, cfg.password)
	client := cfg.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: reading from %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("clickhouse: reading from %s: %w", u, newServerError(resp.StatusCode, string(msg)))
	}
	out := map[string][]byte{}
	last := map[string]uint64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r storedRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("clickhouse: reading from %s: %w", u, err)
		}
		if seq, seen := last[r.RunID]; seen && seq == r.Seq {
			continue // delivered twice by a retry
		}
		last[r.RunID] = r.Seq
		out[r.RunID] = appendLine(out[r.RunID], &r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: reading from %s: %w", u, err)
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
