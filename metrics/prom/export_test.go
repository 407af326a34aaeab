package prom

import "github.com/milestone-go/milestone/metrics"

// WithGenericPath makes every instrument go through the catalog's
// Instrument.Delta and Instrument.Observation, for comparing with the fast
// ops.
func WithGenericPath() Option {
	return func(c *config) error {
		c.generic = true
		return nil
	}
}

// GenericInstruments lists the instruments of c that Emit feeds through the
// generic path.
func GenericInstruments(c *Collector) []string {
	var out []string
	for ev, hs := range c.events {
		for _, h := range hs {
			if h.op == opDelta || h.op == opObservation {
				out = append(out, metrics.Event(ev).String()+"/"+h.in.Name)
			}
		}
	}
	return out
}
