package metrics

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
)

// Catalog is a namespace of declared events: an application's own events,
// or milestone's built-in sharded-KV lifecycle (metrics/shardyfusion). Its namespace
// is the default of everything its backends name: the Prometheus prefix
// ("querylog_"), the OTel instrument namespace and meter ("querylog") and the
// logger root. Events join a catalog with Declare; a catalog is safe for
// concurrent use.
type Catalog struct {
	namespace string
}

var (
	namespaceRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	catalogMu   sync.Mutex // serialises NewCatalog and Declare
)

// NewCatalog returns a new, empty catalog with the given namespace, which
// must be snake_case (it becomes the Prometheus prefix namespace+"_") and
// not used by another catalog of the process.
func NewCatalog(namespace string) (*Catalog, error) {
	catalogMu.Lock()
	defer catalogMu.Unlock()
	return newCatalogLocked(namespace)
}

func newCatalogLocked(namespace string) (*Catalog, error) {
	if !namespaceRE.MatchString(namespace) {
		return nil, fmt.Errorf("metrics: NewCatalog(%q): a namespace must be snake_case, such as querylog", namespace)
	}
	r := declared.Load()
	for _, c := range r.catalogs {
		if c.namespace == namespace {
			return nil, fmt.Errorf("metrics: NewCatalog(%q): the namespace is already used by another catalog", namespace)
		}
	}
	c := &Catalog{namespace: namespace}
	next := *r
	next.catalogs = append(slices.Clip(r.catalogs), c)
	declared.Store(&next)
	return c, nil
}

// MustNewCatalog is NewCatalog for package-level variables: it panics at
// program start when the namespace is invalid or taken.
func MustNewCatalog(namespace string) *Catalog {
	c, err := NewCatalog(namespace)
	if err != nil {
		panic(err)
	}
	return c
}

// Namespace returns the catalog's namespace, such as "shardyfusion".
func (c *Catalog) Namespace() string { return c.namespace }

// PromPrefix returns the default Prometheus prefix of the catalog's
// metrics: the namespace and an underscore.
func (c *Catalog) PromPrefix() string { return c.namespace + "_" }

// String returns the namespace.
func (c *Catalog) String() string { return c.namespace }

// Descriptors returns the catalog's events as they are now, in declaration
// order. Backends bound to one catalog (prom, otelcol, the docs) walk it
// once at construction; events declared later are not in the slice.
func (c *Catalog) Descriptors() []*Descriptor {
	var out []*Descriptor
	for _, d := range declared.Load().byEvent[1:] {
		if d.Catalog == c {
			out = append(out, d)
		}
	}
	return out
}

// Events returns the catalog's events, in declaration order.
func (c *Catalog) Events() []Event {
	ds := c.Descriptors()
	out := make([]Event, len(ds))
	for i, d := range ds {
		out[i] = d.Event
	}
	return out
}

// Lookup returns the catalog's event whose wire name is wire.
func (c *Catalog) Lookup(wire string) (*Descriptor, bool) {
	for _, d := range c.Descriptors() {
		if d.Wire == wire {
			return d, true
		}
	}
	return nil, false
}

// Instruments returns every distinct instrument of the catalog, by name, in
// the order they are first declared: the families a backend creates. Two
// events feeding one name declare it identically (Declare checks), so the
// first declaration stands for all.
func (c *Catalog) Instruments() []*Instrument {
	var out []*Instrument
	seen := map[string]bool{}
	for _, d := range c.Descriptors() {
		for _, in := range d.Instruments {
			if !seen[in.Name] {
				seen[in.Name] = true
				out = append(out, in)
			}
		}
	}
	return out
}

// Instrument returns the catalog's instrument named name (without any
// backend prefix), such as "shard_write_duration_seconds".
func (c *Catalog) Instrument(name string) (*Instrument, bool) {
	for _, in := range c.Instruments() {
		if in.Name == name {
			return in, true
		}
	}
	return nil, false
}

// Catalogs returns every catalog of the process, in declaration order.
func Catalogs() []*Catalog { return slices.Clone(declared.Load().catalogs) }
