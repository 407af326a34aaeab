package filetable

import (
	"log/slog"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/eventlog"
)

// New returns a collector that writes to an event log in a new temporary
// directory and to the ClickHouse sink opts make (quiet unless opts give a
// logger), and that directory. The caller closes the collector
// (metrics.Close) before reading either side.
//
// Both sinks stamp events with a clock of whole seconds. Each reads the
// clock itself, a moment after the other: with milliseconds, a boundary
// between the two readings (it happened) stamps one event 12:00:00.110 in
// the file and .111 in the table. Whole seconds make that a
// one-in-a-million chance.
func New(t testing.TB, opts ...clickhouse.Option) (metrics.Collector, string) {
	t.Helper()
	clock := func() time.Time { return time.Now().Truncate(time.Second) }
	chOpts := append([]clickhouse.Option{clickhouse.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	ch, err := clickhouse.New(append(chOpts, clickhouse.WithClock(clock))...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithClock(clock))
	if err != nil {
		_ = ch.Close()
		t.Fatal(err)
	}
	return metrics.Multi(ev, ch), dir
}
