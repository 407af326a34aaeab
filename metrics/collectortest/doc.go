// Package collectortest is a conformance suite for metrics.Collector
// implementations, in the spirit of testing/slogtest.
//
// Every collector in milestone passes it, and so should yours:
//
//	func TestConformance(t *testing.T) {
//		collectortest.Run(t, func() metrics.Collector { return mybackend.New() })
//	}
//
// The suite checks the contract documented on metrics.Collector: every
// catalog event is accepted with a zero payload and with a full one; values
// outside the catalog are ignored without a panic; 32 goroutines may emit at
// once (run the suite with -race); a cancelled context is accepted; and a
// collector that implements metrics.Flusher or metrics.Closer flushes and
// closes cleanly and ignores events emitted after Close.
package collectortest
