package logctx

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
)

// badKey is the key slog uses for an argument that is not a key/value pair.
const badKey = "!BADKEY"

type ctxKey struct{}

// Fields is the immutable set of fields bound to a context by With: the
// merged view of every nested scope, one attribute per top-level key, the
// inner value having replaced the outer one in place. Its methods are safe
// for concurrent use. Handlers use it to encode the fields once per scope
// and cache the result (see CacheKey).
type Fields struct {
	attrs []slog.Attr
	cache [maxCacheKeys]atomic.Pointer[any]
}

// FromContext returns the fields bound to ctx, or nil when there are none.
// It does not allocate.
func FromContext(ctx context.Context) *Fields {
	if ctx == nil {
		return nil
	}
	f, _ := ctx.Value(ctxKey{}).(*Fields)
	return f
}

// Len returns the number of fields. A nil *Fields has none.
func (f *Fields) Len() int {
	if f == nil {
		return 0
	}
	return len(f.attrs)
}

// At returns the i-th field, in binding order (0 ≤ i < Len()).
func (f *Fields) At(i int) slog.Attr { return f.attrs[i] }

// Attrs returns a copy of the fields, in binding order.
func (f *Fields) Attrs() []slog.Attr {
	if f == nil {
		return nil
	}
	return slices.Clone(f.attrs)
}

// Lookup returns the value bound to key (not resolved: a slog.LogValuer is
// returned as is). It does not allocate.
func (f *Fields) Lookup(key string) (slog.Value, bool) {
	if f == nil {
		return slog.Value{}, false
	}
	for i := range f.attrs {
		if f.attrs[i].Key == key {
			return f.attrs[i].Value, true
		}
	}
	return slog.Value{}, false
}

const maxCacheKeys = 16

var nextCacheKey atomic.Int32

// A CacheKey names one derived form of a Fields value, typically one JSON
// encoding, that a handler computes once per scope and stores with
// Fields.Store. Create keys once, at package initialization: at most 16 keys
// can cache; Load always misses for the keys created after that, which is
// correct but slower.
type CacheKey struct{ idx int32 }

// NewCacheKey returns a new, distinct cache key.
func NewCacheKey() *CacheKey { return &CacheKey{idx: nextCacheKey.Add(1) - 1} }

// Load returns the value stored under k, or nil.
func (f *Fields) Load(k *CacheKey) any {
	if f == nil || k == nil || k.idx >= maxCacheKeys {
		return nil
	}
	if p := f.cache[k.idx].Load(); p != nil {
		return *p
	}
	return nil
}

// Store stores v under k unless a value is already there, and returns the
// value now stored (the first one stored wins, so concurrent callers agree).
// When k cannot cache, Store returns v.
func (f *Fields) Store(k *CacheKey, v any) any {
	if f == nil || k == nil || k.idx >= maxCacheKeys {
		return v
	}
	if f.cache[k.idx].CompareAndSwap(nil, &v) {
		return v
	}
	return *f.cache[k.idx].Load()
}

// With returns a copy of ctx carrying the fields of ctx plus args, which are
// key/value pairs or slog.Attr values, as slog.Logger.With takes them (a
// string key followed by its value, or an Attr; a lone value gets the key
// "!BADKEY"). On a key collision the new value wins, in the position of the
// old one; ctx itself is unchanged. Groups with an empty key are inlined and
// empty attributes dropped, as slog does. A nil ctx is treated as
// context.Background().
func With(ctx context.Context, args ...any) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(args) == 0 {
		return ctx
	}
	parent := FromContext(ctx)
	merged := make([]slog.Attr, parent.Len(), parent.Len()+len(args))
	if parent != nil {
		copy(merged, parent.attrs)
	}
	n := len(merged)
	for len(args) > 0 {
		var a slog.Attr
		a, args = argsToAttr(args)
		merged = appendMerged(merged, a)
	}
	if len(merged) == n && parent != nil && sameAttrs(merged, parent.attrs) {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, &Fields{attrs: slices.Clip(merged)})
}

// WithAttrs is With for slog.Attr values only.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return With(ctx, args...)
}

func sameAttrs(a, b []slog.Attr) bool {
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// appendMerged adds a to list, replacing in place an attribute with the same
// key; empty-key groups are inlined and empty attributes dropped.
func appendMerged(list []slog.Attr, a slog.Attr) []slog.Attr {
	if a.Equal(slog.Attr{}) {
		return list
	}
	if a.Key == "" && a.Value.Kind() == slog.KindGroup {
		for _, m := range a.Value.Group() {
			list = appendMerged(list, m)
		}
		return list
	}
	for i := range list {
		if list[i].Key == a.Key {
			list[i] = a
			return list
		}
	}
	return append(list, a)
}

// argsToAttr turns a prefix of args into an Attr, as slog does.
func argsToAttr(args []any) (slog.Attr, []any) {
	switch x := args[0].(type) {
	case string:
		if len(args) == 1 {
			return slog.String(badKey, x), nil
		}
		return slog.Any(x, args[1]), args[2:]
	case slog.Attr:
		return x, args[1:]
	default:
		return slog.Any(badKey, x), args[1:]
	}
}

// Attrs returns a copy of the fields bound to ctx, in binding order.
func Attrs(ctx context.Context) []slog.Attr { return FromContext(ctx).Attrs() }

// Lookup returns the value bound to key in ctx. It does not allocate.
func Lookup(ctx context.Context, key string) (slog.Value, bool) {
	return FromContext(ctx).Lookup(key)
}
