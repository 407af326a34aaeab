package clickhouse

import (
	"github.com/prometheus/client_golang/prometheus"
)

// RegisterMetrics registers the collector's own health on reg as
// milestone_* families, read from Stats at each scrape:
//
//	milestone_events_dropped_total{sink="clickhouse"}   events dropped from a full queue
//	milestone_events_lost_total{sink="clickhouse"}      events in batches refused or not delivered in time
//	milestone_write_errors_total{sink="clickhouse"}     failed inserts, retried or not
//	milestone_clickhouse_rows_sent_total                rows the server acknowledged
//	milestone_clickhouse_batches_sent_total             inserts the server acknowledged
//	milestone_clickhouse_retries_total                  inserts tried again
//	milestone_clickhouse_batches_lost_total             batches refused or not delivered in time
//	milestone_clickhouse_last_error_timestamp_seconds   when the last insert failed (0: never); the message is in Stats
//
// The sink label lets other sinks' families share the names. It returns
// the registry's error, such as a second registration on one registry.
func (c *Collector) RegisterMetrics(reg prometheus.Registerer) error {
	return reg.Register(&selfCollector{c: c})
}

type selfCollector struct{ c *Collector }

var sinkLabel = prometheus.Labels{"sink": "clickhouse"}

var (
	descDropped = prometheus.NewDesc("milestone_events_dropped_total", "Events dropped because a sink's queue was full.", nil, sinkLabel)
	descLost    = prometheus.NewDesc("milestone_events_lost_total", "Events a sink accepted and could not deliver or write.", nil, sinkLabel)
	descErrors  = prometheus.NewDesc("milestone_write_errors_total", "Failed writes or inserts of a sink, retried or not.", nil, sinkLabel)
	descRows    = prometheus.NewDesc("milestone_clickhouse_rows_sent_total", "Rows ClickHouse acknowledged.", nil, nil)
	descBatches = prometheus.NewDesc("milestone_clickhouse_batches_sent_total", "Inserts ClickHouse acknowledged.", nil, nil)
	descRetries = prometheus.NewDesc("milestone_clickhouse_retries_total", "Inserts tried again after a failure.", nil, nil)
	descBLost   = prometheus.NewDesc("milestone_clickhouse_batches_lost_total", "Batches refused or not delivered in time.", nil, nil)
	descLastErr = prometheus.NewDesc("milestone_clickhouse_last_error_timestamp_seconds", "When the last insert failed, in seconds since the epoch; 0 when none has.", nil, nil)
)

func (s *selfCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDropped, descLost, descErrors, descRows, descBatches, descRetries, descBLost, descLastErr} {
		ch <- d
	}
}

func (s *selfCollector) Collect(ch chan<- prometheus.Metric) {
	st := s.c.Stats()
	for _, m := range []struct {
		d *prometheus.Desc
		v uint64
	}{
		{descDropped, st.Dropped + st.DroppedAfterClose}, {descLost, st.Lost}, {descErrors, st.Failures},
		{descRows, st.Sent}, {descBatches, st.Batches}, {descRetries, st.Retries}, {descBLost, st.BatchesLost},
	} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
	var at float64
	if !st.LastErrorAt.IsZero() {
		at = float64(st.LastErrorAt.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(descLastErr, prometheus.GaugeValue, at)
}
