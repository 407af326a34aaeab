package metrics

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// IgnoreReason says why a collector did not record an event.
type IgnoreReason uint8

// The reasons, and their label values in FamilyIgnored.
const (
	// IgnoredOtherCatalog: the event's catalog was declared before the
	// collector was built, but WithCatalog left it out.
	IgnoredOtherCatalog IgnoreReason = iota
	// IgnoredDeclaredAfter: the event was declared after the collector was
	// built, which carries only what it saw at New.
	IgnoredDeclaredAfter
	// IgnoredUndeclared: the Event value was never declared.
	IgnoredUndeclared
	numIgnoreReasons
)

// String returns the reason's label value: "other_catalog",
// "declared_after_new" or "undeclared".
func (r IgnoreReason) String() string {
	switch r {
	case IgnoredOtherCatalog:
		return "other_catalog"
	case IgnoredDeclaredAfter:
		return "declared_after_new"
	}
	return "undeclared"
}

// Ignored counts the events a collector does not carry, by reason, and logs
// the first of each event once, with what to do about it. A collector builds
// one at New, after walking the declarations, and calls Event on the path
// where its per-event lookup misses; the path that hits pays nothing. The
// zero value is not usable; use NewIgnored.
type Ignored struct {
	collector string
	logger    *slog.Logger
	last      Event // the last event declared when the collector was built
	counts    [numIgnoreReasons]atomic.Uint64
	logged    sync.Map // Event -> struct{}
}

// NewIgnored returns the ignored-event counter of the collector named
// collector (its label value in FamilyIgnored, such as "prom"), built now:
// events declared from now on are IgnoredDeclaredAfter. A nil logger logs to
// slog.Default.
func NewIgnored(collector string, logger *slog.Logger) *Ignored {
	evs := declared.Load().byEvent
	return &Ignored{collector: collector, logger: logger, last: Event(len(evs) - 1)}
}

// Event counts ev as ignored and, the first time for ev, logs why at WARN.
// It is safe for concurrent use and never panics, even on a nil receiver.
func (ig *Ignored) Event(ev Event) {
	if ig == nil {
		return
	}
	d, known := Describe(ev)
	reason := IgnoredOtherCatalog
	switch {
	case !known:
		reason = IgnoredUndeclared
	case ev > ig.last:
		reason = IgnoredDeclaredAfter
	}
	ig.counts[reason].Add(1)
	if _, seen := ig.logged.LoadOrStore(ev, struct{}{}); seen {
		return
	}
	l := ig.logger
	if l == nil {
		l = slog.Default()
	}
	args := []any{"collector", ig.collector, "event", ev.String(), "reason", reason.String()}
	switch reason {
	case IgnoredOtherCatalog:
		l.Warn("milestone: an event of a catalog this collector does not carry was ignored; add its catalog to WithCatalog to record it",
			append(args, "catalog", d.Catalog.Namespace())...)
	case IgnoredDeclaredAfter:
		l.Warn("milestone: an event declared after this collector was built was ignored; declare events (import their catalog) before building collectors",
			append(args, "catalog", d.Catalog.Namespace())...)
	default:
		l.Warn("milestone: an Event value that was never declared was ignored; emit declared events with metrics.Emit", args...)
	}
}

// Count returns how many events were ignored for reason r.
func (ig *Ignored) Count(r IgnoreReason) uint64 {
	if ig == nil || r >= numIgnoreReasons {
		return 0
	}
	return ig.counts[r].Load()
}

// Health returns the collector's series of FamilyIgnored, one per reason.
func (ig *Ignored) Health() []HealthValue {
	out := make([]HealthValue, 0, numIgnoreReasons)
	for r := IgnoreReason(0); r < numIgnoreReasons; r++ {
		out = append(out, FamilyIgnored.Count(ig.Count(r), ig.collector, r.String()))
	}
	return out
}
