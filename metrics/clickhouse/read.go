package clickhouse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/metrics"
)

// storedRow is one row as ReadRun queries it (see rowDecoder).
type storedRow struct {
	TS        int64
	TSMillis  int64
	RunID     string
	Seq       uint64
	TraceID   string
	SpanID    string
	ParentID  string
	Catalog   string
	Event     string
	EndsRun   bool
	NumKeys   []string
	NumValues []float64
	StrKeys   []string
	StrValues []string
}

// ReadRun returns the events of run runID stored in the table, in their
// order (seq), as the lines metrics/eventlog writes for them: what
// `milestone summarize --clickhouse` reads, with the same code as a file.
// A row delivered twice by a retry is read once. The options are New's
// (only the connection and table options matter).
func ReadRun(ctx context.Context, runID string, opts ...Option) ([]byte, error) {
	var lines []byte
	err := readRuns(ctx, "run_id = "+quote(runID), opts, func(_ string, b []byte) error {
		lines = bytes.Clone(b)
		return nil
	})
	return lines, err
}

// ListRuns returns the events of every run stored in the table, by run id,
// as ReadRun does for one. It holds the whole table in memory: EachRun
// holds one run.
func ListRuns(ctx context.Context, opts ...Option) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := EachRun(ctx, func(id string, lines []byte) error {
		out[id] = bytes.Clone(lines)
		return nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachRun calls fn with the events of every run stored in the table, a run
// at a time in the order of their ids, as ReadRun gives them: it holds one
// run in memory whatever the table's size. lines is valid only until fn
// returns. An error from fn stops the reading and is what EachRun returns.
// When a server fails midway, the next one goes on from the run after the
// last one fn was given, so fn sees every run once.
func EachRun(ctx context.Context, fn func(runID string, lines []byte) error, opts ...Option) error {
	return readRuns(ctx, "", opts, fn)
}

// readRuns reads the runs where says (a condition, or "" for all) from the
// first server that answers, handing each to emit.
func readRuns(ctx context.Context, where string, opts []Option, emit func(string, []byte) error) error {
	cfg := config{timeout: DefaultTimeout}
	if err := cfg.apply(opts); err != nil {
		return err
	}
	if cfg.client == nil {
		cfg.client = http.DefaultClient
	}
	r := runReader{emit: emit}
	var err error
	for _, srv := range cfg.servers() {
		cols := readColumns{ids: "trace_id, span_id, parent_span_id", endsRun: "ends_run"}
		for range 3 {
			if err = r.readFrom(ctx, &cfg, srv, where, cols); !cols.older(err) {
				break
			}
		}
		if err == nil || r.emitErr != nil {
			return err
		}
		var se *serverError
		if errors.As(err, &se) && !se.retryable() {
			return err // every server would say the same
		}
	}
	return err
}

// readColumns are the expressions ReadRun's query selects for the columns
// a table from an older release may lack.
type readColumns struct {
	ids     string // trace_id, span_id, parent_span_id
	endsRun string // ends_run
}

// older reports whether err is the server's refusal of a column a table
// from an older release lacks, and if so selects a constant in its place.
func (c *readColumns) older(err error) bool {
	var se *serverError
	if !errors.As(err, &se) || se.code != 47 {
		return false
	}
	switch {
	case c.endsRun == "ends_run" && strings.Contains(se.msg, "ends_run"):
		c.endsRun = "0 AS ends_run" // from before ends_run
	case c.ids[0] != '\'' && (strings.Contains(se.msg, "trace_id") || strings.Contains(se.msg, "span_id")):
		c.ids = "'' AS trace_id, '' AS span_id, '' AS parent_span_id" // from before the trace columns
	default:
		return false
	}
	return true
}

// runReader gathers the rows of one run at a time and hands each run on,
// remembering the last one handed on.
type runReader struct {
	emit    func(string, []byte) error
	emitErr error  // what emit returned, which stops the reading
	done    string // the last run handed on
	handed  bool   // whether any run was
	head    []byte // a run's lines after its header, reused
}

// appendHeader appends the event_log_started line a run's lines begin
// with when some of its events end a run: its run id and their wire names
// (ends_run), as metrics/eventlog's header gives them, so that a reader
// that does not declare the run's catalog knows when it ended.
func appendHeader(b []byte, run string, ends []string) []byte {
	b = append(b, `{"event":"event_log_started","run_id":`...)
	b = jsonenc.AppendString(b, run)
	b = append(b, `,"ends_run":[`...)
	for i, w := range ends {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, w)
	}
	return append(b, "]}\n"...)
}

// readFrom runs ReadRun's query on srv: the rows where says and after the
// last run handed on, selecting cols for the columns an old table lacks.
func (rr *runReader) readFrom(ctx context.Context, cfg *config, srv *server, where string, cols readColumns) error {
	var conds []string
	if where != "" {
		conds = append(conds, where)
	}
	if rr.handed {
		conds = append(conds, "run_id > "+quote(rr.done))
	}
	sql := "SELECT toUnixTimestamp(ts) AS t, ts_ms, run_id, seq, " + cols.ids + ", catalog, event, " + cols.endsRun + ", num_keys, num_values, str_keys, str_values FROM " +
		cfg.database + "." + cfg.table
	if len(conds) > 0 {
		sql += " WHERE " + strings.Join(conds, " AND ")
	}
	sql += " ORDER BY run_id, seq FORMAT JSONEachRow"
	body, err := cfg.post(ctx, srv, sql)
	if err != nil {
		return err
	}
	defer body.Close()
	var (
		cur     string // the run being gathered
		lines   []byte
		ends    []string // the wire names of its events that end a run
		lastSeq uint64
		started bool
	)
	handOn := func() error {
		run := lines
		if len(ends) > 0 {
			// What an event log's header says: which events end a run.
			rr.head = appendHeader(rr.head[:0], cur, ends)
			run = append(rr.head, lines...)
			rr.head = run
		}
		if err := rr.emit(cur, run); err != nil {
			rr.emitErr = err
			return err
		}
		rr.done, rr.handed = cur, true
		return nil
	}
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var dec rowDecoder
	for sc.Scan() {
		r, err := dec.decode(sc.Bytes())
		if err != nil {
			return fmt.Errorf("clickhouse: reading from %s: %w", srv.target, err)
		}
		if started && r.RunID != cur {
			if err := handOn(); err != nil {
				return err
			}
			lines, ends = lines[:0], ends[:0]
		} else if started && r.Seq == lastSeq {
			continue // delivered twice by a retry
		}
		if !started || r.RunID != cur {
			cur = strings.Clone(r.RunID) // r's strings point into the line
		}
		lastSeq, started = r.Seq, true
		if r.EndsRun && !slices.Contains(ends, r.Event) {
			ends = append(ends, strings.Clone(r.Event))
		}
		lines = appendLine(lines, r)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("clickhouse: reading from %s: %w", srv.target, err)
	}
	if started {
		return handOn()
	}
	return nil
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
	if d := describe(r.Catalog, r.Event); d != nil {
		for _, f := range d.Fields {
			b = append(b, ',')
			b = jsonenc.AppendString(b, f.Name)
			b = append(b, ':')
			switch f.Kind {
			case metrics.KindString:
				b = jsonenc.AppendString(b, r.str(f.Name))
			case metrics.KindBool:
				b = strconv.AppendBool(b, r.num(f.Name) != 0)
			case metrics.KindInt:
				b = strconv.AppendInt(b, int64(r.num(f.Name)), 10)
			case metrics.KindDuration:
				// A duration is a whole number of nanoseconds: round away
				// the last-bit error of 18.16's float parser, so that the
				// value reads back as the event log wrote it.
				scale := f.Unit.Scale()
				b = appendNumber(b, math.Round(r.num(f.Name)*scale)/scale)
			default:
				b = appendNumber(b, r.num(f.Name))
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

// num returns the number named name, 0 when the row has none.
func (r *storedRow) num(name string) float64 {
	for i, k := range r.NumKeys {
		if k == name && i < len(r.NumValues) {
			return r.NumValues[i]
		}
	}
	return 0
}

// str returns the string named name, "" when the row has none.
func (r *storedRow) str(name string) string {
	for i, k := range r.StrKeys {
		if k == name && i < len(r.StrValues) {
			return r.StrValues[i]
		}
	}
	return ""
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
