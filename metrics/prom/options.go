package prom

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/milestone-go/milestone/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// Native histogram settings applied with WithNativeHistograms, bounding the
// memory a native histogram may use.
const (
	// NativeHistogramMaxBuckets is the most sparse buckets a native
	// histogram keeps before it widens them (or resets).
	NativeHistogramMaxBuckets = 160
	// NativeHistogramMinReset is the shortest time between two resets of a
	// native histogram that hit NativeHistogramMaxBuckets.
	NativeHistogramMinReset = time.Hour
)

// Option configures New.
type Option func(*config) error

type config struct {
	reg        prometheus.Registerer
	catalogs   []*metrics.Catalog // nil: every catalog declared before New
	logger     *slog.Logger
	prefix     string
	prefixSet  bool
	constLabel prometheus.Labels
	buckets    metrics.BucketOverrides
	nativeFact float64
	generic    bool // feed every instrument through the generic path (tests)
}

var (
	prefixRE = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)?$`)
	nameRE   = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// WithRegisterer registers the collector's families on reg instead of
// prometheus.DefaultRegisterer. Tests and libraries should pass their own
// prometheus.NewRegistry().
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(c *config) error {
		if reg == nil {
			return errors.New("prom: WithRegisterer: nil Registerer")
		}
		c.reg = reg
		return nil
	}
}

// WithCatalog narrows the collector to the events of cats. Without it the
// collector carries every catalog declared before New, each under its own
// prefix (cat.PromPrefix(), such as "querylog_"). An event the collector
// does not carry is ignored, counted in
// milestone_events_ignored_total{collector="prom"} and logged once. Given
// twice, the catalogs add up.
func WithCatalog(cats ...*metrics.Catalog) Option {
	return func(c *config) error {
		if len(cats) == 0 {
			return errors.New("prom: WithCatalog(): name at least one catalog")
		}
		for i, cat := range cats {
			if cat == nil {
				return fmt.Errorf("prom: WithCatalog: catalog %d is nil", i)
			}
			if !slices.Contains(c.catalogs, cat) {
				c.catalogs = append(c.catalogs, cat)
			}
		}
		return nil
	}
}

// WithLogger sets the logger an ignored event is reported to, once per
// event (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("prom: WithLogger(nil): the logger must not be nil")
		}
		c.logger = l
		return nil
	}
}

// WithPrefix sets the prefix put before every instrument name of the one
// catalog the collector carries (the catalog's namespace and "_", such as
// "querylog_", unless set); New refuses it when the collector carries more
// than one catalog (narrow it with WithCatalog). It may be empty; otherwise it must start
// with a letter or underscore and hold only letters, digits and
// underscores, and must not start with "__" (reserved by Prometheus).
// Colons are refused: they are reserved for recording rules. A prefix that
// does not end in "_" is used as given ("app" gives "appwrites_started_total").
func WithPrefix(prefix string) Option {
	return func(c *config) error {
		if !prefixRE.MatchString(prefix) {
			return fmt.Errorf("prom: WithPrefix(%q): a prefix must match %s", prefix, prefixRE)
		}
		if strings.HasPrefix(prefix, "__") {
			return fmt.Errorf("prom: WithPrefix(%q): names starting with \"__\" are reserved", prefix)
		}
		c.prefix, c.prefixSet = prefix, true
		return nil
	}
}

// WithConstLabels adds labels with fixed values to every series of the
// collector. Label names must match [a-zA-Z_][a-zA-Z0-9_]*, must not start
// with "__" and must not be "le" or "quantile" (which Prometheus reserves for
// histograms and summaries); values must be valid UTF-8. Two collectors with
// the same label names and different values on one registry own separate
// series; Prometheus refuses two collectors whose const label names differ
// on one registry with one prefix (New returns its error).
// Calling WithConstLabels again adds to the labels given before.
func WithConstLabels(labels prometheus.Labels) Option {
	return func(c *config) error {
		for name, value := range labels {
			switch {
			case !labelRE.MatchString(name):
				return fmt.Errorf("prom: WithConstLabels: invalid label name %q: it must match %s", name, labelRE)
			case strings.HasPrefix(name, "__"):
				return fmt.Errorf("prom: WithConstLabels: label name %q is reserved (names starting with \"__\" are)", name)
			case name == "le" || name == "quantile":
				return fmt.Errorf("prom: WithConstLabels: label name %q is reserved for histograms and summaries", name)
			case !utf8.ValidString(value):
				return fmt.Errorf("prom: WithConstLabels: value of label %q is not valid UTF-8", name)
			}
		}
		if c.constLabel == nil {
			c.constLabel = prometheus.Labels{}
		}
		for name, value := range labels {
			c.constLabel[name] = value
		}
		return nil
	}
}

// WithBuckets sets the bucket upper bounds, in seconds, of the histogram
// named name (the catalog name without the prefix, such as
// "shard_write_duration_seconds"). The bounds must be finite and strictly
// increasing; the +Inf bucket is always added. It overrides WithAllBuckets
// for that histogram, whatever the order of the options; given twice for one
// name, the last wins. New fails when no catalog the collector carries has
// a histogram of that name; a name two catalogs share sets both.
func WithBuckets(name string, bounds ...float64) Option {
	return func(c *config) error {
		if err := c.buckets.Set(name, bounds); err != nil {
			return fmt.Errorf("prom: WithBuckets(%q): %w", name, err)
		}
		return nil
	}
}

// WithAllBuckets sets the bucket upper bounds, in seconds, of every
// histogram that WithBuckets does not set, replacing the catalog's defaults
// (Instrument.Buckets). The bounds must be finite and strictly increasing;
// the +Inf bucket is always added.
func WithAllBuckets(bounds ...float64) Option {
	return func(c *config) error {
		if err := c.buckets.SetAll(bounds); err != nil {
			return fmt.Errorf("prom: WithAllBuckets: %w", err)
		}
		return nil
	}
}

// WithNativeHistograms makes every histogram a native histogram as well, with
// the given bucket growth factor (such as 1.1: each bucket at most 10% wider
// than the one before); the classic buckets are kept, so scrapers that do not
// read native histograms see no change. factor must be greater than 1. Each
// histogram keeps at most NativeHistogramMaxBuckets sparse buckets and resets
// at most once per NativeHistogramMinReset. A Prometheus server reads native
// histograms only when its native-histograms feature is on.
func WithNativeHistograms(factor float64) Option {
	return func(c *config) error {
		if !(factor > 1) || math.IsInf(factor, 0) {
			return fmt.Errorf("prom: WithNativeHistograms(%v): the factor must be a finite number greater than 1", factor)
		}
		c.nativeFact = factor
		return nil
	}
}
