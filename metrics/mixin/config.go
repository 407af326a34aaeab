package mixin

import (
	"errors"
	"fmt"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// Config holds the thresholds and durations of the generated rules. Zero
// values take the defaults of DefaultConfig.
type Config struct {
	// Prefix is the metrics' prefix (default: the catalog's, namespace_).
	Prefix string
	// Window is the range of rates and increases (default 5m).
	Window time.Duration
	// ErrorFor is how long an ERROR event's counter must have increased
	// before its alert fires (default 0: at once).
	ErrorFor time.Duration
	// WarnRate is the per-second rate above which a WARN event's counter
	// alerts (default 0.1: six a minute), for WarnFor (default 10m).
	WarnRate float64
	WarnFor  time.Duration
	// LatencyP99 maps a histogram (its name without the prefix) to the p99
	// above which it alerts, for LatencyFor (default 10m).
	LatencyP99 map[string]time.Duration
	LatencyFor time.Duration
	// Stalled lists pairs of counters: an alert fires when Started moved and
	// Completed did not for StallAfter (default 1h).
	Stalled    []Stall
	StallAfter time.Duration
	// RunbookURL is where runbook.md is published; alerts link to its
	// sections (default "runbook.md").
	RunbookURL string
	// AlertPrefix starts every alert's name (default: the namespace in
	// CamelCase, "Shardyfusion").
	AlertPrefix string
}

// Stall is a pair of counters that should move together.
type Stall struct {
	// Name is the alert's name after AlertPrefix, such as "WritesStalled".
	Name string
	// Started and Completed are counter names without the prefix.
	Started, Completed string
}

// DefaultConfig returns the defaults for any catalog cat: no latency or
// stall alert (a catalog's own package says which of its histograms and
// counters deserve one, as shardyfusion.MixinConfig and examples/querylog's
// MixinConfig do).
func DefaultConfig(cat *metrics.Catalog) Config {
	c := Config{
		Prefix: cat.PromPrefix(), Window: 5 * time.Minute, WarnRate: 0.1, WarnFor: 10 * time.Minute,
		LatencyFor: 10 * time.Minute, StallAfter: time.Hour, RunbookURL: "runbook.md",
		AlertPrefix: camel(cat.Namespace()), LatencyP99: map[string]time.Duration{},
	}
	return c
}

// Or returns c with each zero field taken from d: how a program lays the
// thresholds it was given over a catalog's own defaults.
func (c Config) Or(d Config) Config {
	if c.Prefix == "" {
		c.Prefix = d.Prefix
	}
	if c.Window == 0 {
		c.Window = d.Window
	}
	if c.WarnRate == 0 {
		c.WarnRate = d.WarnRate
	}
	if c.WarnFor == 0 {
		c.WarnFor = d.WarnFor
	}
	if c.LatencyFor == 0 {
		c.LatencyFor = d.LatencyFor
	}
	if c.LatencyP99 == nil {
		c.LatencyP99 = d.LatencyP99
	}
	if c.Stalled == nil {
		c.Stalled = d.Stalled
	}
	if c.StallAfter == 0 {
		c.StallAfter = d.StallAfter
	}
	if c.RunbookURL == "" {
		c.RunbookURL = d.RunbookURL
	}
	if c.AlertPrefix == "" {
		c.AlertPrefix = d.AlertPrefix
	}
	if c.ErrorFor == 0 {
		c.ErrorFor = d.ErrorFor
	}
	return c
}

// withDefaults fills c's zero values from DefaultConfig and checks it.
func (c Config) withDefaults(cat *metrics.Catalog) (Config, error) {
	c = c.Or(DefaultConfig(cat))
	switch {
	case c.Window < time.Second || c.ErrorFor < 0 || c.WarnFor < 0 || c.LatencyFor < 0 || c.StallAfter < time.Second:
		return c, errors.New("mixin: Config: the durations must not be negative, and Window and StallAfter at least 1s")
	case c.WarnRate < 0:
		return c, errors.New("mixin: Config: WarnRate must not be negative")
	}
	for name := range c.LatencyP99 {
		if in, ok := cat.Instrument(name); !ok || in.Kind != metrics.Histogram {
			return c, fmt.Errorf("mixin: Config.LatencyP99: the catalog has no histogram %q", name)
		}
	}
	for _, s := range c.Stalled {
		for _, name := range []string{s.Started, s.Completed} {
			if in, ok := cat.Instrument(name); !ok || in.Kind != metrics.Counter || len(in.Labels) > 0 {
				return c, fmt.Errorf("mixin: Config.Stalled %s: %q is not an unlabeled counter of the catalog", s.Name, name)
			}
		}
	}
	return c, nil
}
