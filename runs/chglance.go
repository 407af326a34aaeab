package runs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// ListGlances lists the table's runs from one aggregate query: the server
// sends a row a run with the figures Glance takes from its lines, so the
// listing moves a row a run rather than every event. A row delivered twice
// by a retry (the same run and seq) counts once, as when a run is read.
func (c chSource) ListGlances(ctx context.Context) ([]RunInfo, error) {
	cols := glanceColumns{traceID: "trace_id", endsRun: "ends_run"}
	for {
		list, err := c.glances(ctx, cols)
		if clickhouse.ErrorCode(err) != 47 {
			return list, err
		}
		// A table from an older release, without a column.
		switch msg := err.Error(); {
		case cols.endsRun != "0" && strings.Contains(msg, "ends_run"):
			cols.endsRun = "0"
		case cols.traceID != "''" && strings.Contains(msg, "trace_id"):
			cols.traceID = "''"
		default:
			return list, err
		}
	}
}

// glanceColumns are the expressions glanceSQL uses for the columns a
// table from an older release may lack: the column, or a constant.
type glanceColumns struct{ traceID, endsRun string }

// glanceRow is one row of glanceSQL's answer.
type glanceRow struct {
	RunID           string   `json:"run_id"`
	TraceID         string   `json:"trace"`
	FirstMS         int64    `json:"first_ms"`
	LastMS          int64    `json:"last_ms"`
	Events          int      `json:"events"`
	Errors          int      `json:"errors"`
	ShardedKV       int      `json:"kv_events"`
	WritesStarted   int      `json:"writes_started"`
	WritesCompleted int      `json:"writes_completed"`
	WritesFailed    [][2]any `json:"writes_failed"`     // (seq, error_type)
	CompletedMS     [][2]any `json:"completed_elapsed"` // (seq, elapsed_ms)
	EndedBy         string   `json:"ended_by"`
	EndStatus       string   `json:"end_status"`
}

func (c chSource) glances(ctx context.Context, cols glanceColumns) ([]RunInfo, error) {
	body, err := clickhouse.Query(ctx, glanceSQL(cols), c.opts...)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var list []RunInfo
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r glanceRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("runs: a glance at ClickHouse's runs: %w", err)
		}
		list = append(list, InfoFrom(r.RunID, r.summary(), nil))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("runs: a glance at ClickHouse's runs: %w", err)
	}
	SortRuns(list)
	return list, nil
}

// summary is the Summary Glance gives for the run's lines.
func (r *glanceRow) summary() *Summary {
	s := &Summary{RunIDs: []string{r.RunID}, Events: r.Events, Errors: r.Errors, ShardedKV: r.ShardedKV > 0,
		WritesStarted: r.WritesStarted, WritesCompleted: r.WritesCompleted, EndedBy: r.EndedBy, EndStatus: r.EndStatus}
	if r.TraceID != "" {
		s.TraceIDs = []string{r.TraceID}
	}
	s.First, s.Last = time.UnixMilli(r.FirstMS).UTC(), time.UnixMilli(r.LastMS).UTC()
	for _, f := range r.WritesFailed {
		if s.WritesFailed == nil {
			s.WritesFailed = map[string]int{}
		}
		kind, _ := f[1].(string)
		s.WritesFailed[kind]++
	}
	if len(r.CompletedMS) > 0 {
		for _, c := range r.CompletedMS {
			ms, _ := c[1].(float64)
			s.TotalMS += ms
		}
		s.TotalSource = "write.completed elapsed_ms"
	} else {
		s.TotalMS, s.TotalSource = float64(s.Last.Sub(s.First))/float64(time.Millisecond), "first to last timestamp"
	}
	return s
}

// glanceSQL is the query of a glance at every run: Glance's figures, each
// event counted once by its seq. An event ends its run when this binary
// declares so or its row says so (ends_run), as a file's header says.
func glanceSQL(cols glanceColumns) string {
	traceID := cols.traceID
	kv := "catalog = " + sqlString(shardyfusion.Catalog.Namespace())
	write := func(event string) string { return kv + " AND event = " + sqlString(event) }
	var ends []string
	for _, d := range metrics.Descriptors() {
		if d.EndsRun {
			ends = append(ends, sqlString(d.Wire))
		}
	}
	endsRun := cols.endsRun + " = 1"
	if len(ends) > 0 {
		endsRun = "(event IN (" + strings.Join(ends, ", ") + ") OR " + endsRun + ")"
	}
	return `SELECT run_id,
	argMinIf(` + traceID + `, seq, ` + traceID + ` != '') AS trace,
	min(toUInt64(toUnixTimestamp(ts)) * 1000 + ts_ms) AS first_ms,
	max(toUInt64(toUnixTimestamp(ts)) * 1000 + ts_ms) AS last_ms,
	uniqExact(seq) AS events,
	uniqExactIf(seq, level LIKE 'ERROR%') AS errors,
	uniqExactIf(seq, ` + kv + `) AS kv_events,
	uniqExactIf(seq, ` + write("write.started") + `) AS writes_started,
	uniqExactIf(seq, ` + write("write.completed") + `) AS writes_completed,
	groupUniqArrayIf((seq, str_values[indexOf(str_keys, 'error_type')]), ` + write("write.failed") + `) AS writes_failed,
	groupUniqArrayIf((seq, num_values[indexOf(num_keys, 'elapsed_ms')]), ` + write("write.completed") + ` AND has(num_keys, 'elapsed_ms')) AS completed_elapsed,
	argMaxIf(event, seq, ` + endsRun + `) AS ended_by,
	argMaxIf(str_values[indexOf(str_keys, 'status')], seq, ` + endsRun + `) AS end_status
FROM {table}
GROUP BY run_id
FORMAT JSONEachRow`
}

// sqlString quotes s as a ClickHouse string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
