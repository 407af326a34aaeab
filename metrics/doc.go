// Package metrics is the core of milestone: catalogs of typed events, the
// fixed-size Payload every event crosses the Collector interface as, and the
// Collector contract that every backend implements.
//
// # Declaring events
//
// An event is a Go struct whose fields are its payload, declared once in a
// Catalog with Declare (or MustDeclare, at program start):
//
//	var catalog = metrics.MustNewCatalog("querylog")
//
//	type QueryEnded struct {
//		Duration time.Duration `milestone:"duration_ms,duration"`
//		Rows     int64
//		Status   string `milestone:"status,label,values=ok|error|cancelled"`
//	}
//
//	var _ = metrics.MustDeclare[QueryEnded](catalog, metrics.Spec{
//		Code: 11, Wire: "query_ended", Group: "query", Help: "A query ended.",
//		Message: "query {status}: {rows} rows in {duration_ms} ms", EndsRun: true,
//		Instruments: []metrics.Instrument{
//			metrics.Count("queries_total", "Queries ended, by status.", "status"),
//			metrics.Hist("query_duration_seconds", "Query time, in seconds.", "duration_ms", metrics.BucketsRun),
//		},
//	})
//
// and emitted as a struct literal, so that a field the event does not have,
// or a value of the wrong type, does not compile:
//
//	metrics.Emit(ctx, c, QueryEnded{Duration: d, Rows: n, Status: "ok"})
//
// A hot path looks the declaration up once (metrics.TypeOf[QueryEnded]())
// and calls its Emit, which skips the lookup by type. The built-in catalog,
// package metrics/shardyfusion, declares a sharded key-value writer's
// lifecycle the same way, in a package of its own that declares it on
// import:
//
//	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000, Duration: d})
//
// # Fields, labels and instruments
//
// Fields are integers, floats, booleans, time.Duration (written in the unit
// the field's name ends in: _ms, _s or _seconds) and strings. A string is a
// plain field, or a label with a bounded value set (values=a|b|c, or cap=N
// distinct values); a value outside the set is recorded in metrics as
// OverflowValue and counted (Label.Overflows), so no backend grows an
// unbounded series set. Instruments (Count, Sum, CountIf, Hist) name the
// fields they read and the labels they are broken down by.
//
// # Backends
//
// Backends build their state from the declarations when they are
// constructed (Catalog.Descriptors, Catalog.Instruments, Descriptors) and
// read payloads through the events' Fields (Payload.Int, Payload.Str, …);
// none has a switch over events. Every backend carries every catalog
// declared before it is built; an event it does not carry is counted and
// logged once (Ignored). Every backend reports its own losses through one
// interface, HealthReporter, which metrics/selfmetrics exports. The package also provides the collectors
// every program needs: Nop, which does nothing; Multi, which fans one event
// out to several collectors and isolates a panicking member; and Recorder,
// which keeps events in order for tests (Recorded gives them back as their
// structs). Run and Step time the phases of a run and fill the elapsed,
// duration and cpu fields.
//
// A Collector may offer more by implementing the optional interfaces
// Flusher, Closer and Shutdowner; Multi forwards them. Shutdown stops any
// collector within a deadline.
package metrics
