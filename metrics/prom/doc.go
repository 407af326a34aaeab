// Package prom is a metrics.Collector backed by the Prometheus Go client,
// github.com/prometheus/client_golang.
//
// New builds one Prometheus family per distinct instrument name of a catalog
// of events (metrics.Shardyfusion unless WithCatalog names another) and
// registers them on a Registerer (prometheus.DefaultRegisterer unless
// WithRegisterer says otherwise). Names are the catalog's names behind a
// prefix, the catalog's namespace and "_" by default ("shardyfusion_" for
// the built-in catalog, "querylog_" for a catalog named querylog):
//
//	shardyfusion_shard_writes_completed_total    counter
//	shardyfusion_shard_write_duration_seconds    histogram, seconds
//	shardyfusion_reader_get_misses_total         counter, ReaderGet with Found false
//	...
//
// docs/events.md, generated from the catalog, lists every event with the
// instruments it feeds. An instrument declared with labels is a vector
// (CounterVec, HistogramVec) whose label values are bounded by the catalog
// (a closed set or a cap, with the overflow value "other"), so a family
// holds at most Instrument.Series series; a labeled family is exported from
// its first series on. The built-in catalog has one labeled instrument,
// writes_failed_total{error_type}; db_id is never a label. Const labels are
// set with WithConstLabels.
//
// # Emit
//
// Emit looks nothing up and allocates nothing: the handles of each event's
// instruments are resolved at New and indexed by metrics.Event, so an Emit is
// an index, a bounds check and, per instrument, one payload field read and
// an Inc, Add or Observe call. An unlabeled counter, and an unlabeled
// histogram with classic buckets only, are prom's own implementations of
// prometheus.Counter and prometheus.Histogram: one atomic integer, and one
// atomic count per bucket with an atomic sum. They expose exactly what
// client_golang's would, and cost less per call than client_golang's, whose
// histograms keep a hot and a cold set of counts so that a scrape reads
// count, sum and buckets that agree; prom's count is the sum of its buckets
// (it always equals the +Inf bucket), and a scrape racing an Observe may
// miss that one value in the sum. See docs/design/prom-own-metrics.md. A labeled
// instrument finds its series by the payload's bounded label indexes in an
// array, created on first use: no hashing of label values, which makes a
// labeled Emit cheaper than client_golang's own WithLabelValues. An event
// outside the catalog the collector was built with is ignored.
// Histograms observe durations in seconds (a 1500 ms duration is observed as
// 1.5). Conditional counters count only when the catalog's condition holds
// (shardyfusion_reader_get_misses_total counts ReaderGet events with Found
// false, shardyfusion_reader_snapshot_changes_total ReaderRefreshed events
// with Changed true).
//
// A counter cannot go down, so a negative count in a payload (a negative
// Rows, say) is not added, and a negative duration is not observed (it
// would make the histogram's sum fall); both are counted (Invalid), and
// metrics/selfmetrics exports the count as milestone_invalid_values_total,
// so nothing is dropped silently.
//
// # Buckets
//
// Histograms use the catalog's default upper bounds, in seconds, chosen for
// the range each duration spans:
//
//	reader_get_duration_seconds, reader_multi_get_duration_seconds
//	    a point read: 0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5
//	sharding_duration_seconds, shard_write_duration_seconds
//	    one step of a write: 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 120 300 600
//	write_duration_seconds, shard_writes_phase_duration_seconds
//	    a whole write or phase: 0.1 0.5 1 2.5 5 10 30 60 120 300 600 1200 1800 3600 7200
//	shard_write_backoff_seconds, s3_retry_delay_seconds, rate_limiter_wait_seconds
//	    a backoff or wait: 0.001 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 120
//
// DefaultBuckets returns them. WithAllBuckets replaces them for every
// histogram, WithBuckets for one histogram by name; WithNativeHistograms adds
// Prometheus native histograms beside the classic buckets.
//
// # Sharing a registry
//
// Two collectors built on one Registerer with the same prefix and const
// labels share the families the first one registered, so both count into the
// same series. New returns an error when a family's name is already taken by
// something else: another metric type, another help text, or a histogram
// with other buckets. New never panics.
package prom
