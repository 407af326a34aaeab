package selfmetrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/slogcol"
)

// Register registers the milestone_* families on reg, read from sources at
// every scrape. A source is one of *eventlog.Collector,
// *clickhouse.Collector, *metrics.Fanout (what metrics.Multi returns),
// *prom.Collector, *otelcol.Collector, *slogcol.Collector and
// *jsonlog.Handler; anything else is an error naming it, and so is a nil
// source. The catalogs' label overflows and the undeclared events are
// always exported. Call it once per registry: a second call returns the
// registry's AlreadyRegisteredError.
func Register(reg prometheus.Registerer, sources ...any) error {
	c := &collector{}
	for i, s := range sources {
		switch v := s.(type) {
		case *eventlog.Collector:
			c.eventlogs = append(c.eventlogs, v)
		case *clickhouse.Collector:
			c.clickhouses = append(c.clickhouses, v)
		case *metrics.Fanout:
			c.fanouts = append(c.fanouts, v)
		case *prom.Collector:
			c.proms = append(c.proms, v)
		case *otelcol.Collector:
			c.otels = append(c.otels, v)
		case *slogcol.Collector:
			c.slogcols = append(c.slogcols, v)
		case *jsonlog.Handler:
			c.handlers = append(c.handlers, v)
		default:
			return fmt.Errorf("selfmetrics: Register: source %d is a %T, which has no self-metrics", i, s)
		}
		if isNil(s) {
			return fmt.Errorf("selfmetrics: Register: source %d is a nil %T", i, s)
		}
	}
	return reg.Register(c)
}

func isNil(s any) bool {
	switch v := s.(type) {
	case *eventlog.Collector:
		return v == nil
	case *clickhouse.Collector:
		return v == nil
	case *metrics.Fanout:
		return v == nil
	case *prom.Collector:
		return v == nil
	case *otelcol.Collector:
		return v == nil
	case *slogcol.Collector:
		return v == nil
	case *jsonlog.Handler:
		return v == nil
	}
	return false
}

type collector struct {
	eventlogs   []*eventlog.Collector
	clickhouses []*clickhouse.Collector
	fanouts     []*metrics.Fanout
	proms       []*prom.Collector
	otels       []*otelcol.Collector
	slogcols    []*slogcol.Collector
	handlers    []*jsonlog.Handler
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	dDropped    = desc("milestone_events_dropped_total", "Events a sink refused because its queue was full or it was closed.", "sink")
	dLost       = desc("milestone_events_lost_total", "Events a sink accepted and could not write or deliver.", "sink")
	dWriteErr   = desc("milestone_write_errors_total", "Failed writes, fsyncs and closes of a sink's files, or failed inserts.", "sink")
	dFsyncErr   = desc("milestone_fsync_errors_total", "Failed fsyncs of a sink's files.", "sink")
	dRemoved    = desc("milestone_eventlog_runs_removed_total", "Closed runs the event log's retention removed.")
	dLogFailed  = desc("milestone_log_lines_failed_total", "Log lines whose write failed, or records a handler refused.", "handler")
	dTruncated  = desc("milestone_log_lines_truncated_total", "Log lines cut to their maximum length.", "handler")
	dRenamed    = desc("milestone_log_fields_renamed_total", "Log fields written under another key to keep the line indexable (reserved keys, ECS mapping, dotted prefixes).", "handler")
	dPanics     = desc("milestone_collector_panics_total", "Panics recovered from collectors and their providers.", "collector")
	dInvalid    = desc("milestone_invalid_values_total", "Negative counts and durations a metrics backend refused.", "backend")
	dOverflows  = desc("milestone_label_overflows_total", "Label values recorded as the overflow value, outside a closed set or past a cap.", "catalog", "label")
	dUndeclared = desc("milestone_undeclared_events_total", "metrics.Emit calls with an event type never declared.")
	dChRows     = desc("milestone_clickhouse_rows_sent_total", "Rows ClickHouse acknowledged.")
	dChBatches  = desc("milestone_clickhouse_batches_sent_total", "Inserts ClickHouse acknowledged.")
	dChLost     = desc("milestone_clickhouse_batches_lost_total", "Batches refused or not delivered in time.")
	dChRetries  = desc("milestone_clickhouse_retries_total", "Inserts tried again after a failure.")
	dChLastErr  = desc("milestone_clickhouse_last_error_timestamp_seconds", "When an insert last failed, in seconds since the epoch; 0 when none has.")
)

// Describe sends every family's descriptor.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dDropped, dLost, dWriteErr, dFsyncErr, dRemoved, dLogFailed, dTruncated, dRenamed,
		dPanics, dInvalid, dOverflows, dUndeclared, dChRows, dChBatches, dChLost, dChRetries, dChLastErr} {
		ch <- d
	}
}

// Collect reads every source.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	if len(c.eventlogs) > 0 {
		var st eventlog.Stats
		for _, e := range c.eventlogs {
			s := e.Stats()
			st.Dropped += s.Dropped + s.DroppedAfterClose
			st.Lost += s.Lost
			st.WriteErrors += s.WriteErrors
			st.SyncErrors += s.SyncErrors
			st.RunsRemoved += s.RunsRemoved
		}
		counter(dDropped, st.Dropped, "eventlog")
		counter(dLost, st.Lost, "eventlog")
		counter(dWriteErr, st.WriteErrors, "eventlog")
		counter(dFsyncErr, st.SyncErrors, "eventlog")
		counter(dRemoved, st.RunsRemoved)
	}
	if len(c.clickhouses) > 0 {
		var st clickhouse.Stats
		var last float64
		for _, x := range c.clickhouses {
			s := x.Stats()
			st.Dropped += s.Dropped + s.DroppedAfterClose
			st.Lost += s.Lost
			st.Failures += s.Failures
			st.Sent += s.Sent
			st.Batches += s.Batches
			st.BatchesLost += s.BatchesLost
			st.Retries += s.Retries
			if !s.LastErrorAt.IsZero() {
				last = max(last, float64(s.LastErrorAt.UnixNano())/1e9)
			}
		}
		counter(dDropped, st.Dropped, "clickhouse")
		counter(dLost, st.Lost, "clickhouse")
		counter(dWriteErr, st.Failures, "clickhouse")
		counter(dChRows, st.Sent)
		counter(dChBatches, st.Batches)
		counter(dChLost, st.BatchesLost)
		counter(dChRetries, st.Retries)
		ch <- prometheus.MustNewConstMetric(dChLastErr, prometheus.GaugeValue, last)
	}
	if len(c.handlers) > 0 {
		var failed, truncated, renamed uint64
		for _, h := range c.handlers {
			s := h.Stats()
			failed += s.WriteErrors
			truncated += s.Truncated
			renamed += s.Renamed
		}
		counter(dLogFailed, failed, "jsonlog")
		counter(dTruncated, truncated, "jsonlog")
		counter(dRenamed, renamed, "jsonlog")
	}
	var multiPanics, otelPanics, slogPanics, promInvalid, otelInvalid, slogFailed uint64
	for _, f := range c.fanouts {
		multiPanics += f.Panics()
	}
	for _, p := range c.proms {
		promInvalid += p.Invalid()
	}
	for _, o := range c.otels {
		otelPanics += o.Panics()
		otelInvalid += o.Invalid()
	}
	for _, s := range c.slogcols {
		st := s.Stats()
		slogPanics += st.Panics
		slogFailed += st.Errors
	}
	if len(c.fanouts) > 0 {
		counter(dPanics, multiPanics, "multi")
	}
	if len(c.otels) > 0 {
		counter(dPanics, otelPanics, "otelcol")
		counter(dInvalid, otelInvalid, "otelcol")
	}
	if len(c.slogcols) > 0 {
		counter(dPanics, slogPanics, "slogcol")
		counter(dLogFailed, slogFailed, "slogcol")
	}
	if len(c.proms) > 0 {
		counter(dInvalid, promInvalid, "prom")
	}
	for _, cat := range metrics.Catalogs() {
		seen := map[string]bool{}
		for _, d := range cat.Descriptors() {
			for _, f := range d.Fields {
				if f.IsLabel() && !seen[f.Name] {
					seen[f.Name] = true
					counter(dOverflows, f.Label.Overflows(), cat.Namespace(), f.Name)
				}
			}
		}
	}
	counter(dUndeclared, metrics.Undeclared())
}
