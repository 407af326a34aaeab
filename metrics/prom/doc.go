// Package prom is a metrics.Collector backed by the Prometheus Go client,
// github.com/prometheus/client_golang.
//
// New builds one Prometheus family per distinct instrument name of every
// catalog declared before it (WithCatalog narrows them) and registers them
// on a Registerer (prometheus.DefaultRegisterer unless WithRegisterer says
// otherwise). Names are each catalog's names behind its prefix, the
// catalog's namespace and "_" ("querylog_" for a catalog named querylog;
// WithPrefix sets another when the collector carries one catalog):
//
//	querylog_queries_total              counter, by status
//	querylog_query_duration_seconds     histogram, seconds
//	...
//
// An event of a catalog the collector does not carry, or declared after
// New, is ignored, counted (milestone_events_ignored_total{collector="prom"},
// through Health) and logged once with what to do.
//
// metrics/catalogdoc writes the page of a catalog, listing every event with
// the instruments it feeds. An instrument declared with labels is a vector
// (CounterVec, HistogramVec) whose label values are bounded by the catalog
// (a closed set or a cap, with the overflow value "other"), so a family
// holds at most Instrument.Series series; a labeled family is exported from
// its first series on. Const labels are set with WithConstLabels.
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
// labeled Emit cheaper than client_golang's own WithLabelValues.
// Histograms observe durations in seconds (a 1500 ms duration is observed as
// 1.5). Conditional counters (metrics.CountIf) count only when the
// catalog's condition holds.
//
// A counter cannot go down, so a negative count in a payload (a negative
// Rows, say) is not added, and a negative duration is not observed (it
// would make the histogram's sum fall); both are counted (Invalid), and
// metrics/selfmetrics exports the count as milestone_invalid_values_total,
// so nothing is dropped silently.
//
// # Buckets
//
// Histograms use the bounds their declaration gives (metrics.Hist), in
// seconds; metrics.BucketsLookup, BucketsStep, BucketsRun and BucketsWait
// are sets chosen for the range a duration spans. WithAllBuckets replaces
// them for every histogram, WithBuckets for one histogram by name;
// WithNativeHistograms adds Prometheus native histograms beside the classic
// buckets.
//
// # Sharing a registry
//
// Two collectors built on one Registerer with the same prefix and const
// labels share the families the first one registered, so both count into the
// same series. New returns an error when a family's name is already taken by
// something else: another metric type, another help text, or a histogram
// with other buckets. New never panics.
package prom
