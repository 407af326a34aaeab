// Package collectortest is a conformance suite for metrics.Collector
// implementations, in the spirit of testing/slogtest.
//
// Every collector in milestone passes it, and so should yours:
//
//	func TestConformance(t *testing.T) {
//		collectortest.Run(t, func() metrics.Collector { return mybackend.New() })
//	}
//
// The suite checks the contract documented on metrics.Collector for every
// declared event of every catalog (the built-in one, the suite's own
// Catalog with strings and labels, and yours): each is accepted with a zero
// payload, with a full one, with hostile strings (invalid UTF-8, control
// characters, a long value) and negative numbers, and with thousands of
// distinct values in a capped label; values never declared are ignored
// without a panic; 32 goroutines may emit at once (run the suite with
// -race); a cancelled context is accepted; and a collector that implements
// metrics.Flusher or metrics.Closer flushes and closes cleanly and ignores
// events emitted after Close. A collector bound to one catalog (prom,
// otelcol) ignores the others' events, so run the suite a second time on
// one built for collectortest.Catalog.
package collectortest
