package main

import (
	"log/slog"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/mixin"
)

// Catalog is the query engine's own catalog of events: its metrics are
// querylog_*, its OTel instruments querylog.*, its loggers querylog.*.
var Catalog = metrics.MustNewCatalog("querylog")

// The query engine's events. Durations are filled by the timing helpers.
type (
	// SessionStarted: a client session began; its first query's event log
	// holds it.
	SessionStarted struct {
		SessionID string `milestone:"session_id"`
	}
	// QueryStarted: a query was received; Query is its text.
	QueryStarted struct {
		Query string
	}
	// OptimizationStarted: the planner began.
	OptimizationStarted struct{}
	// OptimizationEnded: the plan is ready.
	OptimizationEnded struct {
		Duration time.Duration `milestone:"duration_ms,duration"`
		Nodes    int           `milestone:"nodes"`
	}
	// ExecutionStarted: the operators began, to scan BytesTotal bytes.
	ExecutionStarted struct {
		BytesTotal int64 `milestone:"bytes_total"`
	}
	// OperatorStarted: one operator of the plan began.
	OperatorStarted struct {
		NodeID   int    `milestone:"node_id"`
		Operator string `milestone:"operator,label,values=scan|filter|project|aggregate|sink"`
	}
	// Stats: what an operator did since its last stats event.
	Stats struct {
		NodeID       int    `milestone:"node_id"`
		Operator     string `milestone:"operator,label,values=scan|filter|project|aggregate|sink"`
		RowsIn       int64  `milestone:"rows_in"`
		RowsOut      int64  `milestone:"rows_out"`
		BytesRead    int64  `milestone:"bytes_read"`
		BytesWritten int64  `milestone:"bytes_written"`
	}
	// OperatorEnded: an operator finished (or stopped with the query).
	OperatorEnded struct {
		NodeID   int           `milestone:"node_id"`
		Operator string        `milestone:"operator,label,values=scan|filter|project|aggregate|sink"`
		Duration time.Duration `milestone:"duration_ms,duration"`
	}
	// ExecutionEnded: every operator finished.
	ExecutionEnded struct {
		Duration time.Duration `milestone:"duration_ms,duration"`
	}
	// ResultOut: the result was written.
	ResultOut struct {
		Rows int64 `milestone:"rows"`
	}
	// QueryEnded: the query ended, ok, with an error or cancelled.
	QueryEnded struct {
		Duration  time.Duration `milestone:"duration_ms,duration"`
		Status    string        `milestone:"status,label,values=ok|error|cancelled"`
		ErrorType string        `milestone:"error_type,label,cap=16"`
	}
)

var (
	_ = metrics.MustDeclare[SessionStarted](Catalog, metrics.Spec{
		Code: 1, Wire: "session_started", Group: "session", Help: "A client session began.", Message: "session {session_id} started",
		Instruments: []metrics.Instrument{metrics.Count("sessions_total", "Sessions started.")},
	})
	_ = metrics.MustDeclare[QueryStarted](Catalog, metrics.Spec{
		Code: 2, Wire: "query_started", Group: "query", Help: "A query was received.", Message: "query started: {query}",
		Instruments: []metrics.Instrument{metrics.Count("queries_started_total", "Queries started.")},
	})
	_ = metrics.MustDeclare[OptimizationStarted](Catalog, metrics.Spec{
		Code: 3, Wire: "optimization_started", Group: "query", Help: "The planner began.", Message: "optimization started",
		Instruments: []metrics.Instrument{metrics.Count("optimizations_total", "Plans optimized.")},
	})
	_ = metrics.MustDeclare[OptimizationEnded](Catalog, metrics.Spec{
		Code: 4, Wire: "optimization_ended", Group: "query", Help: "The plan is ready.", Message: "plan of {nodes} nodes ready in {duration_ms} ms",
		Instruments: []metrics.Instrument{metrics.Hist("optimization_duration_seconds", "Time to plan a query, in seconds.", "duration_ms", metrics.BucketsLookup)},
	})
	_ = metrics.MustDeclare[ExecutionStarted](Catalog, metrics.Spec{
		Code: 5, Wire: "execution_started", Group: "query", Help: "The operators began.", Message: "execution started",
		Instruments: []metrics.Instrument{metrics.Count("executions_total", "Executions started.")},
		// A query's work is the bytes its scan reads.
		Work: []metrics.Work{{Stage: "scan", Unit: "bytes", Total: "bytes_total"}},
	})
	_ = metrics.MustDeclare[OperatorStarted](Catalog, metrics.Spec{
		Code: 6, Wire: "operator_started", Group: "operator", Level: slog.LevelDebug, Help: "An operator of the plan began.",
		Message:     "{operator} (node {node_id}) started",
		Instruments: []metrics.Instrument{metrics.Count("operators_started_total", "Operators started, by operator.", "operator")},
	})
	_ = metrics.MustDeclare[Stats](Catalog, metrics.Spec{
		Code: 7, Wire: "stats", Group: "operator", Level: slog.LevelDebug, Help: "What an operator did since its last stats event.",
		Message: "{operator} (node {node_id}): {rows_in} rows in, {rows_out} out",
		Instruments: []metrics.Instrument{
			metrics.Sum("operator_rows_in_total", "Rows operators took in, by operator.", "rows_in", "operator"),
			metrics.Sum("operator_rows_out_total", "Rows operators passed on, by operator.", "rows_out", "operator"),
			metrics.Sum("operator_bytes_read_total", "Bytes operators read, by operator.", "bytes_read", "operator"),
			metrics.Sum("operator_bytes_written_total", "Bytes operators wrote, by operator.", "bytes_written", "operator"),
		},
		Work: []metrics.Work{{Stage: "scan", Unit: "bytes", Done: "bytes_read"}},
	})
	_ = metrics.MustDeclare[OperatorEnded](Catalog, metrics.Spec{
		Code: 8, Wire: "operator_ended", Group: "operator", Help: "An operator finished.",
		Message:     "{operator} (node {node_id}) ended after {duration_ms} ms",
		Instruments: []metrics.Instrument{metrics.Hist("operator_duration_seconds", "Time an operator ran, in seconds, by operator.", "duration_ms", metrics.BucketsStep, "operator")},
	})
	_ = metrics.MustDeclare[ExecutionEnded](Catalog, metrics.Spec{
		Code: 9, Wire: "execution_ended", Group: "query", Help: "Every operator finished.", Message: "execution ended after {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Count("executions_ended_total", "Executions that ended."),
			metrics.Hist("execution_duration_seconds", "Time to execute a plan, in seconds.", "duration_ms", metrics.BucketsStep),
		},
	})
	_ = metrics.MustDeclare[ResultOut](Catalog, metrics.Spec{
		Code: 10, Wire: "result_out", Group: "query", Help: "The result was written.", Message: "{rows} result rows written",
		Instruments: []metrics.Instrument{metrics.Sum("result_rows_total", "Rows of query results.", "rows")},
	})
	_ = metrics.MustDeclare[QueryEnded](Catalog, metrics.Spec{
		Code: 11, Wire: "query_ended", Group: "query", EndsRun: true, Help: "A query ended.",
		// A failed query is an ERROR line (and a critical alert in the
		// mixin), a cancelled one a WARN line.
		LevelBy: "status", Levels: map[string]slog.Level{"error": slog.LevelError, "cancelled": slog.LevelWarn},
		Message: "query {status} after {duration_ms} ms",
		Instruments: []metrics.Instrument{
			metrics.Count("queries_total", "Queries ended, by status and error type.", "status", "error_type"),
			metrics.Hist("query_duration_seconds", "Time from a query's start to its end, in seconds.", "duration_ms", metrics.BucketsStep, "status"),
		},
	})
)

// MixinConfig is the thresholds of the query engine's alerts (metrics/mixin,
// `milestone mixin --catalog querylog` in a binary that declares it): a
// query p99 above 2 s or an operator p99 above 1 s for 10 minutes, and
// executions that start while none ends for an hour.
func MixinConfig() mixin.Config {
	cfg := mixin.DefaultConfig(Catalog)
	cfg.LatencyP99 = map[string]time.Duration{
		"query_duration_seconds":    2 * time.Second,
		"operator_duration_seconds": time.Second,
	}
	cfg.Stalled = []mixin.Stall{{Name: "ExecutionsStalled", Started: "executions_total", Completed: "executions_ended_total"}}
	return cfg
}
