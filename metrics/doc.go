// Package metrics is the core of milestone: the event catalog, the typed
// Payload every event carries, and the Collector contract that every backend
// implements.
//
// A data pipeline's writers and readers call Collector.Emit at each step of
// their lifecycle:
//
//	c.Emit(ctx, metrics.ShardWriteCompleted, metrics.Payload{DBID: 3, Rows: 5000, Duration: d})
//
// What an event means, which payload keys it carries and which instruments it
// feeds is declared once, in the catalog (see Events and Describe). Backends
// such as metrics/prom and metrics/otelcol build their instruments from that
// table when they are constructed; none keeps its own switch over events.
//
// The package also provides the collectors every program needs: Nop, which
// does nothing; Multi, which fans one event out to several collectors and
// isolates a panicking member; and Recorder, which keeps events in order for
// tests. Run and Step time the phases of a run and fill Payload.Elapsed and
// Payload.Duration.
//
// A Collector may offer more by implementing the optional interfaces Flusher
// and Closer; Multi forwards both.
package metrics
