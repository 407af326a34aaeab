package otelcol

import (
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"

	"github.com/milestone-go/milestone/metrics"
)

// counter is a counter instrument the collector aggregates itself (see
// docs/design/otel-counters.md): one cell per label combination seen, which
// the MeterProvider reads through observe at collection, as the cumulative
// value of an Int64ObservableCounter. Emit adds to a cell with one atomic
// add, where a synchronous counter would take an SDK call.
type counter struct {
	obs   metric.Int64ObservableCounter
	attrs *attrSets
	cells []atomic.Pointer[atomic.Int64] // by label combination; nil until seen
}

func newCounter(obs metric.Int64ObservableCounter, spec *metrics.Instrument, attrs *attrSets) *counter {
	return &counter{obs: obs, attrs: attrs, cells: make([]atomic.Pointer[atomic.Int64], spec.Series())}
}

// add adds d to the cell of label combination series, whose attribute set
// Emit has created.
func (k *counter) add(series int, d int64) {
	cell := k.cells[series].Load()
	if cell == nil {
		cell = k.cell(series)
	}
	cell.Add(d)
}

// cell returns the cell of series, creating it: the first of two
// goroutines that race to create it wins, and the other adds to its cell.
func (k *counter) cell(series int) *atomic.Int64 {
	fresh := new(atomic.Int64)
	if k.cells[series].CompareAndSwap(nil, fresh) {
		return fresh
	}
	return k.cells[series].Load()
}

// observe is the callback registered for every counter: it reports each
// cell a label combination has, with its attribute set. A panic of the
// observer is recovered and counted, like one inside Emit.
func (c *Collector) observe(counters []*counter, o metric.Observer) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked("observing the counters", r)
		}
	}()
	for _, k := range counters {
		for i := range k.cells {
			if cell := k.cells[i].Load(); cell != nil {
				o.ObserveInt64(k.obs, cell.Load(), k.attrs.get(i).observe...)
			}
		}
	}
}
