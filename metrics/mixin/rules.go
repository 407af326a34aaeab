package mixin

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/milestone-go/milestone/metrics"
)

// Alert is one generated alerting rule.
type Alert struct {
	// Name is the alert's name, such as "ShardyfusionWritesFailed".
	Name string
	// Expr is its PromQL expression; For how long it must hold.
	Expr string
	For  time.Duration
	// Severity is critical, warning or info.
	Severity string
	// Summary and Description are its annotations (Prometheus templates).
	Summary, Description string
	// Event and Instrument are what it watches (Instrument is the first
	// counter of a Stall).
	Event      *metrics.Descriptor
	Instrument *metrics.Instrument
	// Check says what to look at first, for the runbook.
	Check string
}

// Rule is one generated recording rule.
type Rule struct {
	Record, Expr string
}

// promDuration writes d as a Prometheus duration: 5m, 1h, 90s.
func promDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
}

// camel turns snake_case into CamelCase: "shard_write_retries" gives
// "ShardWriteRetries", "s3_retries" "S3Retries".
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		r := []rune(part)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// by returns "job" and the instrument's labels, comma-separated.
func by(in *metrics.Instrument, extra ...string) string {
	return strings.Join(append(append([]string{"job"}, extra...), in.Labels...), ", ")
}

func base(name string) string {
	return strings.TrimSuffix(strings.TrimSuffix(name, "_total"), "_seconds")
}

// quantiles are the quantiles recorded and drawn for every histogram.
var quantiles = []struct{ name, value string }{{"p50", "0.5"}, {"p99", "0.99"}}

// RecordingRules returns the rates of every counter and the p50 and p99 of
// every histogram of cat.
func RecordingRules(cat *metrics.Catalog, cfg Config) ([]Rule, error) {
	cfg, err := cfg.withDefaults(cat)
	if err != nil {
		return nil, err
	}
	w := promDuration(cfg.Window)
	var rules []Rule
	for _, in := range cat.Instruments() {
		m := cfg.Prefix + in.Name
		switch in.Kind {
		case metrics.Counter:
			rules = append(rules, Rule{
				Record: "job:" + cfg.Prefix + base(in.Name) + ":rate" + w,
				Expr:   fmt.Sprintf("sum by (%s) (rate(%s[%s]))", by(in), m, w),
			})
		case metrics.Histogram:
			for _, q := range quantiles {
				rules = append(rules, Rule{
					Record: "job:" + m + ":" + q.name + "_" + w,
					Expr:   fmt.Sprintf("histogram_quantile(%s, sum by (%s) (rate(%s_bucket[%s])))", q.value, by(in, "le"), m, w),
				})
			}
		}
	}
	return rules, nil
}

// Alerts returns the alerting rules of cat (see the package documentation).
func Alerts(cat *metrics.Catalog, cfg Config) ([]Alert, error) {
	cfg, err := cfg.withDefaults(cat)
	if err != nil {
		return nil, err
	}
	w := promDuration(cfg.Window)
	var alerts []Alert
	seen := map[string]bool{}
	for _, d := range cat.Descriptors() {
		for _, in := range d.Instruments {
			if in.Kind != metrics.Counter || seen[in.Name] {
				continue
			}
			m := cfg.Prefix + in.Name
			labelText := ""
			for _, l := range in.Labels {
				labelText += fmt.Sprintf(", %s={{ $labels.%s }}", l, l)
			}
			if byValue := valueAlerts(cfg, d, in, w, labelText); byValue != nil {
				seen[in.Name] = true
				alerts = append(alerts, byValue...)
				continue
			}
			switch {
			case d.Level >= levelError:
				seen[in.Name] = true
				alerts = append(alerts, Alert{
					Name:     cfg.AlertPrefix + camel(base(in.Name)),
					Expr:     fmt.Sprintf("sum by (%s) (increase(%s[%s])) > 0 or sum by (%s) (%s unless %s offset %s) > 0", by(in), m, w, by(in), m, m, w),
					For:      cfg.ErrorFor,
					Severity: "critical",
					Summary:  "{{ $labels.job }}: " + lowerFirst(strings.TrimSuffix(in.Help, ".")),
					Description: fmt.Sprintf("{{ $value | printf \"%%.0f\" }} %s events in the last %s (%s%s). %s",
						d.Wire, w, m, labelText, d.Help),
					Event: d, Instrument: in,
					Check: "the ERROR lines of the event, which carry the error",
				})
			case d.Level >= levelWarn:
				seen[in.Name] = true
				alerts = append(alerts, Alert{
					Name:     cfg.AlertPrefix + camel(base(in.Name)) + "High",
					Expr:     fmt.Sprintf("sum by (%s) (rate(%s[%s])) > %s", by(in), m, w, strconv.FormatFloat(cfg.WarnRate, 'g', -1, 64)),
					For:      cfg.WarnFor,
					Severity: "warning",
					Summary:  "{{ $labels.job }}: " + lowerFirst(strings.TrimSuffix(in.Help, ".")) + " keep climbing",
					Description: fmt.Sprintf("%s is {{ $value | printf \"%%.3g\" }}/s over %s%s, above %s/s for %s. %s",
						m, w, labelText, strconv.FormatFloat(cfg.WarnRate, 'g', -1, 64), promDuration(cfg.WarnFor), d.Help),
					Event: d, Instrument: in,
					Check: "the WARN lines of the event: which shard, which request, how long the waits",
				})
			}
		}
	}
	for _, in := range cat.Instruments() {
		limit, ok := cfg.LatencyP99[in.Name]
		if !ok {
			continue
		}
		m := cfg.Prefix + in.Name
		alerts = append(alerts, Alert{
			Name:     cfg.AlertPrefix + camel(strings.TrimSuffix(base(in.Name), "_duration")) + "LatencyHigh",
			Expr:     fmt.Sprintf("histogram_quantile(0.99, sum by (%s) (rate(%s_bucket[%s]))) > %s", by(in, "le"), m, w, strconv.FormatFloat(limit.Seconds(), 'g', -1, 64)),
			For:      cfg.LatencyFor,
			Severity: "warning",
			Summary:  "{{ $labels.job }}: p99 of " + lowerFirst(strings.TrimSuffix(in.Help, ".")) + " above " + limit.String(),
			Description: fmt.Sprintf("The p99 of %s over %s is {{ $value | humanizeDuration }}, above %s for %s.",
				m, w, limit, promDuration(cfg.LatencyFor)),
			Event: eventOf(cat, in), Instrument: in,
			Check: "the event log's latency percentiles (milestone summarize) and the storage underneath",
		})
	}
	for _, s := range cfg.Stalled {
		started, _ := cat.Instrument(s.Started)
		a := cfg.Prefix + s.Started
		b := cfg.Prefix + s.Completed
		after := promDuration(cfg.StallAfter)
		alerts = append(alerts, Alert{
			Name:     cfg.AlertPrefix + s.Name,
			Expr:     fmt.Sprintf("sum by (job) (increase(%s[%s])) > 0 unless sum by (job) (increase(%s[%s])) > 0", a, after, b, after),
			For:      cfg.Window,
			Severity: "warning",
			Summary:  "{{ $labels.job }}: " + s.Started + " moved and " + s.Completed + " did not for " + after,
			Description: fmt.Sprintf("{{ $value | printf \"%%.0f\" }} started (%s) in the last %s and none completed (%s).",
				a, after, b),
			Event: eventOf(cat, started), Instrument: started,
			Check: "the runs that started and never ended: milestone runs lists them as incomplete",
		})
	}
	return alerts, nil
}

// The slog levels the alerts are chosen by.
const (
	levelWarn  = 4
	levelError = 8
)

func eventOf(cat *metrics.Catalog, in *metrics.Instrument) *metrics.Descriptor {
	for _, d := range cat.Descriptors() {
		for _, x := range d.Instruments {
			if x.Name == in.Name {
				return d
			}
		}
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if len(r) > 1 && unicode.IsUpper(r[1]) { // an acronym: CURRENT
		return s
	}
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// valueAlerts returns the alerts of a counter labeled by its event's
// LevelBy field (Spec.LevelBy): a critical alert on any increase of the
// series whose value is logged at ERROR, a warning on the rate of those
// logged at WARN. It returns nil when the event has no LevelBy or the
// counter is not labeled by it.
func valueAlerts(cfg Config, d *metrics.Descriptor, in *metrics.Instrument, w, labelText string) []Alert {
	if d.LevelBy == nil || !slices.Contains(in.Labels, d.LevelBy.Name) {
		return nil
	}
	var errs, warns []string
	for _, v := range d.LevelBy.Label.Values {
		switch l := d.LevelOfValue(v); {
		case l >= levelError:
			errs = append(errs, v)
		case l >= levelWarn:
			warns = append(warns, v)
		}
	}
	m := cfg.Prefix + in.Name
	selector := func(vs []string) string {
		return fmt.Sprintf("%s{%s=~%q}", m, d.LevelBy.Name, strings.Join(vs, "|"))
	}
	name := func(vs []string) string { return cfg.AlertPrefix + camel(base(in.Name)) + camel(strings.Join(vs, "_")) }
	out := []Alert{}
	if len(errs) > 0 {
		sel := selector(errs)
		out = append(out, Alert{
			Name:     name(errs),
			Expr:     fmt.Sprintf("sum by (%s) (increase(%s[%s])) > 0 or sum by (%s) (%s unless %s offset %s) > 0", by(in), sel, w, by(in), sel, sel, w),
			For:      cfg.ErrorFor,
			Severity: "critical",
			Summary:  fmt.Sprintf("{{ $labels.job }}: %s with %s %s", lowerFirst(strings.TrimSuffix(in.Help, ".")), d.LevelBy.Name, strings.Join(errs, " or ")),
			Description: fmt.Sprintf("{{ $value | printf \"%%.0f\" }} %s events with %s=%s in the last %s (%s%s). %s",
				d.Wire, d.LevelBy.Name, strings.Join(errs, "|"), w, m, labelText, d.Help),
			Event: d, Instrument: in,
			Check: "the ERROR lines of the event, which carry the error",
		})
	}
	if len(warns) > 0 {
		sel := selector(warns)
		out = append(out, Alert{
			Name:     name(warns) + "High",
			Expr:     fmt.Sprintf("sum by (%s) (rate(%s[%s])) > %s", by(in), sel, w, strconv.FormatFloat(cfg.WarnRate, 'g', -1, 64)),
			For:      cfg.WarnFor,
			Severity: "warning",
			Summary:  fmt.Sprintf("{{ $labels.job }}: %s with %s %s keep climbing", lowerFirst(strings.TrimSuffix(in.Help, ".")), d.LevelBy.Name, strings.Join(warns, " or ")),
			Description: fmt.Sprintf("%s with %s=%s is {{ $value | printf \"%%.3g\" }}/s over %s%s, above %s/s for %s. %s",
				m, d.LevelBy.Name, strings.Join(warns, "|"), w, labelText, strconv.FormatFloat(cfg.WarnRate, 'g', -1, 64), promDuration(cfg.WarnFor), d.Help),
			Event: d, Instrument: in,
			Check: "the WARN lines of the event",
		})
	}
	return out
}
