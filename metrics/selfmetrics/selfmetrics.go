package selfmetrics

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/metrics"
)

// Register registers the milestone_* families on reg, read from sources at
// every scrape. A source is anything that reports its health
// (metrics.HealthReporter: every collector and handler of milestone, and
// any of yours that implements it) or fans out to collectors that do
// (metrics.Grouper: what metrics.Multi returns, walked to every member). A
// collector with no health of its own is skipped; a source that is nil, or
// neither a collector nor a health reporter, is an error naming it. The
// core's own families (label overflows, undeclared events) are always
// exported.
//
// Call it once per registry with every source: a second call on the same
// registry returns an error saying so.
func Register(reg prometheus.Registerer, sources ...any) error {
	c := &collector{families: map[string]*family{}}
	for i, s := range sources {
		if isNil(s) {
			return fmt.Errorf("selfmetrics: Register: source %d is a nil %T", i, s)
		}
		_, isCollector := s.(metrics.Collector)
		_, isReporter := s.(metrics.HealthReporter)
		if !isCollector && !isReporter {
			return fmt.Errorf("selfmetrics: Register: source %d is a %T, which is neither a metrics.Collector nor a metrics.HealthReporter", i, s)
		}
		c.add(s)
	}
	c.reporters = append(c.reporters, metrics.Health)
	for _, f := range c.reporters {
		if err := c.learn(f()); err != nil {
			return err
		}
	}
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case errors.As(err, &are):
		return errors.New("selfmetrics: Register: milestone's self-metrics are already registered on this registry; call Register once, with every source")
	case err != nil && strings.Contains(err.Error(), "milestone_"):
		return fmt.Errorf("selfmetrics: Register: milestone's self-metrics are already registered on this registry, or another collector uses their names; call Register once, with every source: %w", err)
	case err != nil:
		return fmt.Errorf("selfmetrics: Register: %w", err)
	}
	return nil
}

// add records the health reporters of s and, through Members, of every
// collector it fans out to, each once.
func (c *collector) add(s any) {
	if slices.ContainsFunc(c.seen, func(x any) bool { return x == s }) {
		return
	}
	c.seen = append(c.seen, s)
	if r, ok := s.(metrics.HealthReporter); ok {
		c.reporters = append(c.reporters, r.Health)
	}
	if g, ok := s.(metrics.Grouper); ok {
		for _, m := range g.Members() {
			if !isNil(m) {
				c.add(m)
			}
		}
	}
}

func isNil(s any) bool {
	if s == nil {
		return true
	}
	v := reflect.ValueOf(s)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// collector is the prometheus.Collector Register registers: the families
// its sources reported at registration, read again at every scrape.
type collector struct {
	seen      []any
	reporters []func() []metrics.HealthValue
	families  map[string]*family
	order     []*family
}

// family is one milestone_* family and its descriptor.
type family struct {
	spec *metrics.HealthFamily
	desc *prometheus.Desc
}

// learn adds the families of one report, checking that a name means one
// family whoever reports it.
func (c *collector) learn(values []metrics.HealthValue) error {
	for _, v := range values {
		f := v.Family
		if f == nil {
			return errors.New("selfmetrics: Register: a source reported a value with no family")
		}
		if have, ok := c.families[f.Name]; ok {
			if have.spec.Help != f.Help || !slices.Equal(have.spec.Labels, f.Labels) || have.spec.Gauge != f.Gauge {
				return fmt.Errorf("selfmetrics: Register: two sources report family %s with different help, labels or type", f.Name)
			}
			continue
		}
		if len(v.Labels) != len(f.Labels) {
			return fmt.Errorf("selfmetrics: Register: a value of %s has %d label values for labels %v", f.Name, len(v.Labels), f.Labels)
		}
		fam := &family{spec: f, desc: prometheus.NewDesc(f.Name, f.Help, f.Labels, nil)}
		c.families[f.Name] = fam
		c.order = append(c.order, fam)
	}
	return nil
}

// Describe sends every family's descriptor.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.order {
		ch <- f.desc
	}
}

// Collect reads every source, sums counters of one family and label values
// across sources (two event logs are one sink="eventlog" series) and keeps
// the largest value of a gauge. A family a source did not report at
// registration is left out.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	type series struct {
		fam    *family
		labels []string
		value  float64
	}
	var all []*series
	index := map[string]*series{}
	for _, report := range c.reporters {
		for _, v := range report() {
			fam, ok := c.families[v.Family.Name]
			if !ok || len(v.Labels) != len(fam.spec.Labels) {
				continue
			}
			key := v.Family.Name + "\x00" + strings.Join(v.Labels, "\x00")
			s, ok := index[key]
			switch {
			case !ok:
				s = &series{fam: fam, labels: v.Labels, value: v.Value}
				index[key] = s
				all = append(all, s)
			case fam.spec.Gauge:
				s.value = max(s.value, v.Value)
			default:
				s.value += v.Value
			}
		}
	}
	for _, s := range all {
		kind := prometheus.CounterValue
		if s.fam.spec.Gauge {
			kind = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(s.fam.desc, kind, s.value, s.labels...)
	}
}
