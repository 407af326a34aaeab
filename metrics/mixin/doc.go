// Package mixin generates, from a catalog of events, what a team needs next
// to its /metrics: Prometheus alerting rules, recording rules, a Grafana
// dashboard and a runbook, in the spirit of the Prometheus monitoring
// mixins. An application's catalog gets its own as the built-in one does
// (`milestone mixin --out DIR`; milestone's is checked in under mixin/).
//
// What is derived from the declarations:
//
//   - Recording rules: the per-second rate over Config.Window of every
//     counter (job:<metric>:rate5m, summed by job and the instrument's
//     labels) and the p50 and p99 of every histogram
//     (job:<metric>:p99_5m).
//   - Alerts, each with a severity label, summary and description
//     annotations and a runbook_url pointing at its section of runbook.md:
//     every counter of an event declared at ERROR level or above fires as
//     soon as it increases (critical); every counter of a WARN event fires
//     when its rate stays above Config.WarnRate for Config.WarnFor
//     (warning); each histogram named in Config.LatencyP99 fires when its
//     p99 stays above the threshold for Config.LatencyFor; each pair in
//     Config.Stalled fires when the first counter moved and the second did
//     not for Config.StallAfter.
//   - A dashboard (Grafana schema 39, a $datasource variable), one row per
//     event group: counters as rates by their labels, histograms as p50/p99
//     over time and as a heatmap.
//
// A counter whose series appear with their first event (a labeled one)
// is alerted on with `increase(x[w]) > 0 or (x unless x offset w)`, so the
// first failure fires too, not only the second.
package mixin
