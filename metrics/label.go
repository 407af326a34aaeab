package metrics

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// OverflowValue is the value a label takes in metrics when the string
// emitted is outside the label's closed set, or arrives after the label's
// cap of distinct values was reached. The original string is kept in the
// payload for logs, the event log and ClickHouse; only metrics see
// OverflowValue. Every overflow is counted (Label.Overflows).
const OverflowValue = "other"

// MaxLabelCap bounds the cap= option of a label.
const MaxLabelCap = 1000

// MaxSeries bounds the label combinations one instrument may have: the
// product of its labels' sizes (Label.Size).
const MaxSeries = 10000

// Label is the bounded value set of a label field: a closed set declared
// with values=a|b|c, or the first Cap distinct values emitted (cap=N). Every
// value maps to an index below Size; the last index is OverflowValue. It is
// safe for concurrent use.
type Label struct {
	// Name is the label's name: its field's wire name.
	Name string
	// Values is the closed set, or nil for a capped label.
	Values []string
	// Cap is the most distinct values a capped label admits; 0 for a
	// closed set.
	Cap int

	index     map[string]uint16 // closed sets with more than linearMax values
	byLen     [16][]uint16      // closed sets up to linearMax: candidates by length%16
	mu        sync.Mutex        // serialises admissions of a capped label
	admitted  atomic.Pointer[admittedSet]
	overflows atomic.Uint64
	memo      valueMemo // the index of recent values, by identity
}

// labelValue is an admitted value of a capped label and its index.
type labelValue struct {
	s   string
	idx uint16
}

// admittedSet is the copy-on-write value set of a capped label.
type admittedSet struct {
	index  map[string]*labelValue
	values []string
}

// linearMax is the closed-set size up to which a lookup compares strings in
// order rather than hashing.
const linearMax = 8

type labelSpec struct {
	hasValues bool
	values    []string
	cap       int
}

func (s *labelSpec) build(name string) (*Label, error) {
	switch {
	case s.hasValues && s.cap > 0:
		return nil, errors.New("a label has either values= or cap=, not both")
	case !s.hasValues && s.cap == 0:
		return nil, errors.New("a label needs values=a|b|c (a closed set) or cap=N (a bound on distinct values)")
	case name == "le" || name == "quantile":
		return nil, fmt.Errorf("label name %q is reserved by Prometheus", name)
	}
	l := &Label{Name: name, Cap: s.cap}
	if s.hasValues {
		if len(s.values) > MaxLabelCap {
			return nil, fmt.Errorf("a closed set has at most %d values", MaxLabelCap)
		}
		for i, v := range s.values {
			switch {
			case v == OverflowValue:
				return nil, fmt.Errorf("%q is the overflow value and cannot be declared", OverflowValue)
			case !utf8.ValidString(v):
				return nil, fmt.Errorf("value %q is not valid UTF-8", v)
			case slices.Contains(s.values[:i], v):
				return nil, fmt.Errorf("value %q listed twice", v)
			}
		}
		l.Values = slices.Clone(s.values)
		if len(l.Values) > linearMax {
			l.index = make(map[string]uint16, len(l.Values))
			for i, v := range l.Values {
				l.index[v] = uint16(i)
			}
		}
		for i, v := range l.Values {
			l.byLen[len(v)%16] = append(l.byLen[len(v)%16], uint16(i))
		}
		return l, nil
	}
	l.admitted.Store(&admittedSet{index: map[string]*labelValue{}})
	return l, nil
}

// Size returns how many values the label can take in metrics, OverflowValue
// included: len(Values)+1 or Cap+1.
func (l *Label) Size() int {
	if l.Values != nil {
		return len(l.Values) + 1
	}
	return l.Cap + 1
}

// Overflow returns the index of OverflowValue: Size()-1.
func (l *Label) Overflow() int { return l.Size() - 1 }

// Value returns the label value of index i: a declared or admitted value, or
// OverflowValue for the last index (and for an index not yet admitted).
func (l *Label) Value(i int) string {
	if l.Values != nil {
		if i >= 0 && i < len(l.Values) {
			return l.Values[i]
		}
		return OverflowValue
	}
	vs := l.admitted.Load().values
	if i >= 0 && i < len(vs) {
		return vs[i]
	}
	return OverflowValue
}

// Overflows returns how many emitted values were recorded as OverflowValue.
func (l *Label) Overflows() uint64 { return l.overflows.Load() }

// resolve returns the index of v, admitting it to a capped label with room,
// and counts an overflow.
func (l *Label) resolve(v string) uint16 {
	if i, ok := l.memo.get(v); ok {
		return i
	}
	return l.resolveMiss(v)
}

// resolveMiss is resolve for a value not in the first slot of its memo
// pair (pack checks that slot inline): it looks in the second, else looks
// v up and memoizes its index, unless it overflowed.
func (l *Label) resolveMiss(v string) uint16 {
	if i, ok := l.memo.getSecond(v); ok {
		return i
	}
	i := l.lookup(v)
	if int(i) != l.Overflow() {
		l.memo.put(v, i)
	}
	return i
}

// lookup is resolve without the cache.
func (l *Label) lookup(v string) uint16 {
	if l.Values != nil {
		if l.index != nil {
			if i, ok := l.index[v]; ok {
				return i
			}
		} else {
			// Values of a small set usually differ in length: one
			// comparison at most.
			for _, i := range l.byLen[len(v)%16] {
				if l.Values[i] == v {
					return i
				}
			}
		}
		l.overflows.Add(1)
		return uint16(len(l.Values))
	}
	set := l.admitted.Load()
	if e, ok := set.index[v]; ok {
		return e.idx
	}
	if len(set.values) >= l.Cap {
		l.overflows.Add(1)
		return uint16(l.Cap)
	}
	return l.admit(v)
}

// admit adds v to a capped label's set, or counts an overflow when another
// goroutine filled it first.
func (l *Label) admit(v string) uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.admitted.Load()
	if e, ok := set.index[v]; ok {
		return e.idx
	}
	if len(set.values) >= l.Cap || !utf8.ValidString(v) {
		l.overflows.Add(1)
		return uint16(l.Cap)
	}
	e := &labelValue{s: strings.Clone(v), idx: uint16(len(set.values))}
	next := &admittedSet{index: make(map[string]*labelValue, len(set.index)+1), values: append(slices.Clip(set.values), e.s)}
	for k, have := range set.index {
		next.index[k] = have
	}
	next.index[e.s] = e
	l.admitted.Store(next)
	return e.idx
}
