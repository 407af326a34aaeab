package jsonlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/milestone-go/milestone/internal/jsonenc"
	"github.com/milestone-go/milestone/logctx"
)

// Format selects the layout of a line.
type Format uint8

const (
	// Flat writes "timestamp", "level", "logger", "event", then the fields;
	// slog groups become nested objects. It is the default.
	Flat Format = iota
	// ECS writes the Elastic Common Schema layout: "@timestamp",
	// "log.level", "message", "ecs.version", "log.logger", "service.name",
	// then the fields as dotted top-level keys (groups flattened).
	ECS
)

// String returns "flat" or "ecs".
func (f Format) String() string {
	switch f {
	case Flat:
		return "flat"
	case ECS:
		return "ecs"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ECSVersion is the value of "ecs.version" in the ECS format.
const ECSVersion = "8.11.0"

// Limits of the handler.
const (
	// DefaultMaxLineBytes is the line limit when Options.MaxLineBytes is 0.
	DefaultMaxLineBytes = 64 << 10
	// MinMaxLineBytes is the smallest accepted Options.MaxLineBytes.
	MinMaxLineBytes = 512
	// MaxDepth is the deepest nesting of groups written; a group nested
	// deeper (for example by a LogValuer that returns a group containing
	// itself) is written as the string DepthMarker.
	MaxDepth = 16
	// TruncationMarker ends a string value cut to respect MaxLineBytes.
	TruncationMarker = "…[truncated]"
	// DepthMarker replaces a group nested deeper than MaxDepth.
	DepthMarker = "!DEPTH: nesting deeper than 16 groups"
)

const (
	maxFastAttrs    = 16
	maxPooledBuffer = 64 << 10
	// lineReserve is kept free under the limit for closing braces and the
	// truncation field.
	lineReserve = 40 + MaxDepth
)

// Options configure a Handler. The zero value is valid: INFO, Flat, no
// source, 64 KiB lines.
type Options struct {
	// Level is the minimum level written; nil means slog.LevelInfo.
	Level slog.Leveler
	// Format is Flat (the default) or ECS.
	Format Format
	// AddSource adds the caller's function, file and line: "source" (an
	// object) in Flat, "log.origin.function", "log.origin.file.name" and
	// "log.origin.file.line" in ECS.
	AddSource bool
	// ServiceName is written as "service.name" in the ECS format (omitted
	// when empty; unused in Flat).
	ServiceName string
	// MaxLineBytes bounds the length of a line, newline included: 0 means
	// DefaultMaxLineBytes; otherwise it must be at least MinMaxLineBytes.
	// A longer line is encoded again with string values cut (ending in
	// TruncationMarker) and, when that is not enough, the last fields
	// left out; the line then carries "_truncated":true and Stats counts it.
	MaxLineBytes int
	// Clock, when non-nil, supplies the timestamp of every line instead of
	// the record's time. It exists for examples and tests that need
	// deterministic output.
	Clock func() time.Time
}

// Stats counts what the handler and all its clones could not write as is.
type Stats struct {
	// WriteErrors counts the lines whose Write failed (or panicked, or was
	// short); Handle returned the error for each.
	WriteErrors uint64
	// Truncated counts the lines cut to respect MaxLineBytes.
	Truncated uint64
}

type shared struct {
	mu          sync.Mutex
	w           io.Writer
	writeErrors atomic.Uint64
	truncated   atomic.Uint64
}

// level is one group level of the attributes given by WithAttrs (flat).
type level struct {
	raw    []slog.Attr
	frag   []byte   // encoded fields, each with a leading comma
	hashes []uint64 // final keys of frag, plus the next group's name
	keys   keySet
}

// Handler is a slog.Handler writing one JSON object per line. It reads the
// fields bound by logctx.With from the context of each record and writes
// them after the built-in keys and before the record's attributes; context
// fields and WithAttrs attributes are encoded once (per scope, per handler)
// and copied. Context fields are always top-level fields, outside any group
// opened by WithGroup. Each line is written with a single Write, under a mutex shared
// by the handler and all the handlers derived from it by WithAttrs,
// WithGroup and WithLoggerName.
//
// Keys: a field whose top-level key is one the format writes itself
// (Flat: timestamp, level, logger, event, _truncated, and source with
// AddSource; ECS: @timestamp, log.level, message, ecs.version, log.logger,
// service.name, log.origin.*, _truncated, and their parents log, ecs,
// service or children such as message.x) is renamed "fields.<key>". A line
// never holds a key twice: when context fields, WithAttrs attributes and
// record attributes share a key, the record's wins over WithAttrs, which
// wins over the context (and a later attribute over an earlier one of the
// same kind). In ECS, where keys are dotted paths, a key that is both a value
// and the prefix of another key ("error" beside "error.type") is renamed
// "<key>.value".
//
// Values: strings are escaped with invalid UTF-8 written as \ufffd; NaN,
// +Inf and -Inf as the strings "NaN", "+Inf" and "-Inf"; durations as
// integer nanoseconds; times as RFC 3339 in UTC; errors as their message
// (in ECS, an error under the key "error" becomes error.type and
// error.message); other values through MarshalJSON, MarshalText, String or
// encoding/json, in that order. A panic in LogValue, Error, MarshalJSON,
// MarshalText or String is recovered and written as a string starting with
// "!PANIC"; a marshaling error as a string starting with "!ERROR".
//
// The zero Handler is usable: it behaves as NewHandler(os.Stderr, nil), one
// handler shared by every zero value (Flat, INFO, standard error).
type Handler struct {
	sh        *shared
	leveler   slog.Leveler
	format    Format
	addSource bool
	service   string
	maxLine   int
	clock     func() time.Time
	ctxKey    *logctx.CacheKey

	nameFrag []byte
	heads    [5][]byte // built-in keys after the timestamp, per standard level

	groups   []string
	levels   []level  // flat: one per group level
	opens    [][]byte // flat: opens[i] opens group i (i ≥ 1)
	deepest  int
	slowOnly bool
	fused    bool   // fusedLine applies (no group open)
	topKeys  keySet // fused: reserved keys and WithAttrs keys

	// ECS
	ecsFrag          []byte
	ecsLeaf          keySet
	ecsPrefix        keySet
	callPrefix       string
	callPrefixEsc    []byte
	callPrefixHash   uint64
	callPrefixHashes []uint64
}

var ctxKeys = [2][2]*logctx.CacheKey{
	{logctx.NewCacheKey(), logctx.NewCacheKey()},
	{logctx.NewCacheKey(), logctx.NewCacheKey()},
}

// New returns a Handler writing to w, or an error naming the invalid option.
// A nil opts is the zero Options.
func New(w io.Writer, opts *Options) (*Handler, error) {
	if w == nil {
		return nil, errors.New("jsonlog: writer is nil")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Format != Flat && o.Format != ECS {
		return nil, fmt.Errorf("jsonlog: Options.Format: unknown format %d (want Flat or ECS)", o.Format)
	}
	switch {
	case o.MaxLineBytes == 0:
		o.MaxLineBytes = DefaultMaxLineBytes
	case o.MaxLineBytes < MinMaxLineBytes:
		return nil, fmt.Errorf("jsonlog: Options.MaxLineBytes: %d is below the minimum %d", o.MaxLineBytes, MinMaxLineBytes)
	}
	h := &Handler{
		sh:        &shared{w: w},
		leveler:   o.Level,
		format:    o.Format,
		addSource: o.AddSource,
		service:   o.ServiceName,
		maxLine:   o.MaxLineBytes,
		clock:     o.Clock,
		levels:    []level{{}},
		opens:     [][]byte{nil},
	}
	h.ctxKey = ctxKeys[o.Format][b2i(o.AddSource)]
	h.setName("")
	h.rebuild(0)
	return h, nil
}

// NewHandler is New for valid options: it panics, like regexp.MustCompile,
// when opts is invalid (an unknown Format, or MaxLineBytes below
// MinMaxLineBytes) or w is nil. It never panics afterwards.
func NewHandler(w io.Writer, opts *Options) *Handler {
	h, err := New(w, opts)
	if err != nil {
		panic(err)
	}
	return h
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Stats returns the counts of the handler, shared with every handler derived
// from it.
func (h *Handler) Stats() Stats {
	if h.sh == nil {
		return zeroHandler().Stats()
	}
	return Stats{WriteErrors: h.sh.writeErrors.Load(), Truncated: h.sh.truncated.Load()}
}

// ReadsContext reports true: the handler writes the fields bound by
// logctx.With itself (so logctx.Handler does not add them again).
func (h *Handler) ReadsContext() bool { return true }

// Enabled reports whether l is at least the handler's level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	min := slog.LevelInfo // also the zero Handler's
	if h.leveler != nil {
		min = h.leveler.Level()
	}
	return l >= min
}

func (h *Handler) clone() *Handler {
	c := *h
	return &c
}

// WithLoggerName returns a handler that writes name as the logger name
// ("logger" in Flat, "log.logger" in ECS). logctx.Logger uses it.
func (h *Handler) WithLoggerName(name string) slog.Handler {
	if h.sh == nil {
		return zeroHandler().WithLoggerName(name)
	}
	c := h.clone()
	c.setName(name)
	return c
}

func (h *Handler) setName(name string) {
	var b []byte
	if h.format == Flat {
		if name != "" {
			b = append(b, `,"logger":"`...)
			b = jsonenc.AppendEscaped(b, name)
			b = append(b, '"')
		}
	} else {
		b = append(b, `,"ecs.version":"`+ECSVersion+`"`...)
		if name != "" {
			b = append(b, `,"log.logger":"`...)
			b = jsonenc.AppendEscaped(b, name)
			b = append(b, '"')
		}
		if h.service != "" {
			b = append(b, `,"service.name":"`...)
			b = jsonenc.AppendEscaped(b, h.service)
			b = append(b, '"')
		}
	}
	h.nameFrag = b
	for i, l := range headLevels {
		h.heads[i] = h.slowHead(nil, l)
	}
}

var headLevels = [5]slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, logctx.LevelCritical}

func (h *Handler) head(b []byte, l slog.Level) []byte {
	for i, hl := range headLevels {
		if hl == l {
			return append(b, h.heads[i]...)
		}
	}
	return h.slowHead(b, l)
}

func (h *Handler) slowHead(b []byte, l slog.Level) []byte {
	if h.format == Flat {
		b = append(b, `"level":"`...)
		b = appendLevel(b, l)
		b = append(b, '"')
		b = append(b, h.nameFrag...)
		return append(b, `,"event":`...)
	}
	b = append(b, `"log.level":"`...)
	b = appendLevel(b, l)
	return append(b, `","message":`...)
}

// WithAttrs returns a handler whose lines carry attrs (inside the current
// group), encoded once now.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if h.sh == nil {
		return zeroHandler().WithAttrs(attrs)
	}
	c := h.clone()
	c.levels = slices.Clone(h.levels)
	n := len(c.groups)
	lv := c.levels[n]
	lv.raw = append(slices.Clip(lv.raw), attrs...)
	c.levels[n] = lv
	c.rebuild(n)
	return c
}

// WithGroup returns a handler whose later attributes go into the group
// name (a nested object in Flat, a "name." key prefix in ECS). A group that
// ends up empty is not written.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	if h.sh == nil {
		return zeroHandler().WithGroup(name)
	}
	c := h.clone()
	c.groups = append(slices.Clip(h.groups), name)
	c.levels = append(slices.Clip(h.levels), level{})
	c.opens = append(slices.Clip(h.opens), nil)
	c.rebuild(len(c.groups) - 1)
	return c
}

// rebuild re-encodes level i (flat) or the whole WithAttrs fragment (ECS).
func (h *Handler) rebuild(i int) {
	if len(h.groups) >= MaxDepth {
		h.slowOnly = true
	}
	if h.format == ECS {
		h.rebuildECS()
		return
	}
	lv := h.levels[i]
	norm := normalizeFlat(nil, lv.raw, i, i == 0, h.addSource)
	e := encoder{}
	e.fields(norm, i)
	lv.frag = e.buf
	lv.hashes = lv.hashes[:0:0]
	for _, a := range norm {
		lv.hashes = append(lv.hashes, flatHash(a.Key))
	}
	if i < len(h.groups) {
		g := fixKey(h.groups[i])
		if i == 0 && reservedFlat(g, h.addSource) {
			g = renamePrefix + g
		}
		for _, a := range norm {
			if a.Key == g {
				h.slowOnly = true
			}
		}
		lv.hashes = append(lv.hashes, flatHash(g))
		var o []byte
		o = append(o, `,"`...)
		o = jsonenc.AppendEscaped(o, g)
		o = append(o, `":{`...)
		h.opens[i+1] = o
	}
	lv.keys = newKeySet(lv.hashes)
	h.levels[i] = lv
	h.deepest = 0
	for j := range h.levels {
		if len(h.levels[j].frag) > 0 {
			h.deepest = j
		}
	}
	h.setFused()
}

func (h *Handler) rebuildECS() {
	var list []kv
	prefix := ""
	for i := range h.levels {
		if i > 0 {
			prefix += fixKey(h.groups[i-1]) + "."
		}
		list = flattenECS(list, prefix, h.levels[i].raw, i)
	}
	list = processECS(list)
	e := encoder{}
	e.kvs(list)
	h.ecsFrag = e.buf
	leaf, pre := ecsHashes(list)
	h.ecsLeaf, h.ecsPrefix = newKeySet(leaf), newKeySet(pre)
	h.callPrefix = prefix
	h.callPrefixEsc = jsonenc.AppendEscaped(nil, prefix)
	h.callPrefixHash = hashKey(prefix)
	h.callPrefixHashes = nil
	for j := 0; j < len(prefix); j++ {
		if prefix[j] == '.' {
			h.callPrefixHashes = append(h.callPrefixHashes, hashKey(prefix[:j]))
		}
	}
	if len(h.groups) > 0 {
		first, _, _ := strings.Cut(h.groups[0], ".")
		if ecsFirstSegment(first) || reservedECS(strings.TrimSuffix(prefix, ".")) {
			h.slowOnly = true
		}
	}
	h.setFused()
}

func ecsHashes(list []kv) (leaf, pre []uint64) {
	for _, x := range list {
		leaf = append(leaf, hashKey(x.key))
		for j := 0; j < len(x.key); j++ {
			if x.key[j] == '.' {
				pre = append(pre, hashKey(x.key[:j]))
			}
		}
	}
	return leaf, pre
}

// fragment is the encoding of one logctx scope for one handler layout.
type fragment struct {
	data   []byte
	leaf   keySet
	prefix keySet
}

func (h *Handler) fragment(f *logctx.Fields) *fragment {
	if v := f.Load(h.ctxKey); v != nil {
		return v.(*fragment)
	}
	attrs := make([]slog.Attr, f.Len())
	for i := range attrs {
		attrs[i] = f.At(i)
	}
	fr := &fragment{}
	e := encoder{}
	if h.format == Flat {
		norm := normalizeFlat(nil, attrs, 0, true, h.addSource)
		e.fields(norm, 0)
		hashes := make([]uint64, len(norm))
		for i, a := range norm {
			hashes[i] = flatHash(a.Key)
		}
		fr.leaf = newKeySet(hashes)
	} else {
		list := processECS(flattenECS(nil, "", attrs, 0))
		e.kvs(list)
		leaf, pre := ecsHashes(list)
		fr.leaf, fr.prefix = newKeySet(leaf), newKeySet(pre)
	}
	fr.data = e.buf
	return f.Store(h.ctxKey, fr).(*fragment)
}

// zeroHandler is what a zero Handler writes through: to os.Stderr as it is
// at each line.
var zeroHandler = sync.OnceValue(func() *Handler { return NewHandler(stderr{}, nil) })

// handleZero is Handle of the zero Handler, out of Handle's hot path.
//
//go:noinline
func handleZero(ctx context.Context, r slog.Record) error { return zeroHandler().Handle(ctx, r) }

// stderr writes to the current os.Stderr.
type stderr struct{}

func (stderr) Write(p []byte) (int, error) { return os.Stderr.Write(p) }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Handle writes r as one line. It returns the writer's error (also counted
// in Stats) and never panics.
func (h *Handler) Handle(ctx context.Context, r slog.Record) (err error) {
	if h.sh == nil {
		return handleZero(ctx, r)
	}
	locked := false
	defer func() {
		if p := recover(); p != nil {
			if locked {
				h.sh.mu.Unlock()
			}
			h.sh.writeErrors.Add(1)
			err = fmt.Errorf("jsonlog: panic while writing a record: %v", p)
		}
	}()
	f := logctx.FromContext(ctx)
	var fr *fragment
	if f.Len() > 0 {
		fr = h.fragment(f)
	}
	bp := bufPool.Get().(*[]byte)
	e := encoder{buf: (*bp)[:0]}
	h.encode(&e, &r, f, fr, h.fused)
	h.sh.mu.Lock()
	locked = true
	n, err := h.sh.w.Write(e.buf)
	locked = false
	h.sh.mu.Unlock()
	if err == nil && n < len(e.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		h.sh.writeErrors.Add(1)
	}
	if cap(e.buf) <= maxPooledBuffer {
		*bp = e.buf[:0]
		bufPool.Put(bp)
	}
	return err
}

// encode encodes r into e (empty): by the fused path when fused is true
// and the handler allows it (h.fused) and it applies, else by the general path, resuming after the attributes
// the fused path already wrote when the general fast path applies.
func (h *Handler) encode(e *encoder, r *slog.Record, f *logctx.Fields, fr *fragment, fused bool) {
	resume := -1
	if fused && h.fused {
		var complete bool
		resume, complete = h.fusedLine(e, r, fr)
		if complete {
			if len(e.buf) <= h.maxLine {
				return
			}
			// the general path would write the same line: go straight to
			// the limited one
			resume = overLimit
		}
	}
	h.generalLine(e, r, f, fr, resume)
}

// overLimit, as generalLine's resume, says that the whole line is known to
// be longer than the limit, so that only the limited encoding is left to do.
const overLimit = -2

// generalLine encodes r into e by the fast path when no key can collide, by
// the slow path otherwise, and again under the line limit when the line is
// too long. With resume ≥ 0, e holds the start of the fast line up to the
// call-site attribute resume (excluded), written by fusedLine; with
// overLimit, fusedLine wrote the whole line and it is too long.
func (h *Handler) generalLine(e *encoder, r *slog.Record, f *logctx.Fields, fr *fragment, resume int) {
	var st [maxFastAttrs]slog.Attr
	call := st[:0]
	if r.NumAttrs() > maxFastAttrs {
		call = make([]slog.Attr, 0, r.NumAttrs())
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindLogValuer {
			a.Value = a.Value.Resolve()
		}
		call = append(call, a)
		return true
	})
	if resume == overLimit {
		h.limitedLine(e, r, f, call)
		return
	}
	fast := !h.slowOnly && len(call) <= maxFastAttrs
	if fast {
		if h.format == Flat {
			fast = h.fastFlat(fr, call)
		} else {
			fast = h.fastECS(fr, call)
		}
	}
	if fast && resume >= 0 {
		// what fastBodyFlat and line write after the first resume fields
		// when no group is open
		for i := resume; i < len(call); i++ {
			e.field(call[i], 0, true, h.addSource)
		}
		e.buf = append(e.buf, '}', '\n')
	} else {
		*e = encoder{buf: e.buf[:0]}
		h.line(e, r, f, fr, call, fast)
	}
	if len(e.buf) > h.maxLine {
		h.limitedLine(e, r, f, call)
	}
}

// limitedLine encodes the line again under the line limit, by the slow path,
// and counts it as truncated.
func (h *Handler) limitedLine(e *encoder, r *slog.Record, f *logctx.Fields, call []slog.Attr) {
	*e = encoder{buf: e.buf[:0], limit: h.maxLine - 1}
	h.line(e, r, f, nil, call, false)
	h.sh.truncated.Add(1)
}

// line encodes the whole line into e.
func (h *Handler) line(e *encoder, r *slog.Record, f *logctx.Fields, fr *fragment, call []slog.Attr, fast bool) {
	h.header(e, r)
	switch {
	case fast && h.format == Flat:
		h.fastBodyFlat(e, fr, call)
	case fast:
		h.fastBodyECS(e, fr, call)
	case h.format == Flat:
		h.slowBodyFlat(e, f, call)
	default:
		h.slowBodyECS(e, f, call)
	}
	if e.cut || e.dropped > 0 {
		e.buf = append(e.buf, `,"`+truncatedKey+`":true`...)
	}
	e.buf = append(e.buf, '}', '\n')
}

func (h *Handler) header(e *encoder, r *slog.Record) {
	t := r.Time
	if h.clock != nil {
		t = h.clock()
	}
	b := append(e.buf, '{')
	if h.format == Flat {
		if !t.IsZero() {
			b = append(b, `"timestamp":`...)
			b = jsonenc.AppendTimestamp(b, t)
			b = append(b, ',')
		}
		e.buf = h.head(b, r.Level)
		e.message(r.Message)
	} else {
		if !t.IsZero() {
			b = append(b, `"@timestamp":`...)
			b = jsonenc.AppendTimestamp(b, t)
			b = append(b, ',')
		}
		e.buf = h.head(b, r.Level)
		e.message(r.Message)
		e.buf = append(e.buf, h.nameFrag...)
	}
	if h.addSource && r.PC != 0 {
		h.source(e, r.PC)
	}
	e.first = false
}

func appendLevel(b []byte, l slog.Level) []byte {
	switch l {
	case slog.LevelDebug:
		return append(b, "DEBUG"...)
	case slog.LevelInfo:
		return append(b, "INFO"...)
	case slog.LevelWarn:
		return append(b, "WARN"...)
	case slog.LevelError:
		return append(b, "ERROR"...)
	case logctx.LevelCritical:
		return append(b, "CRITICAL"...)
	}
	return append(b, logctx.LevelString(l)...)
}

// ---- fast paths: no key can collide, fragments are copied ----

func isEmptyAttr(a slog.Attr) bool {
	return a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil
}

func (h *Handler) fastFlat(fr *fragment, call []slog.Attr) bool {
	n := len(h.groups)
	if fr != nil {
		for _, k := range h.levels[0].hashes {
			if fr.leaf.has(k) {
				return false
			}
		}
	}
	inner := &h.levels[n]
	var seen [maxFastAttrs]uint64
	ns := 0
	for i := range call {
		a := &call[i]
		kind := a.Value.Kind()
		if a.Key == "" {
			if kind == slog.KindGroup {
				return false
			}
			if kind == slog.KindAny && a.Value.Any() == nil {
				continue
			}
		}
		if !utf8.ValidString(a.Key) {
			return false
		}
		var hk uint64
		if n == 0 && reservedFlat(a.Key, h.addSource) {
			hk = flatHash(renamePrefix + a.Key) // rare: allocates
		} else {
			hk = flatHash(a.Key)
		}
		if n == 0 && fr != nil && fr.leaf.has(hk) {
			return false
		}
		if inner.keys.has(hk) {
			return false
		}
		for j := 0; j < ns; j++ {
			if seen[j] == hk {
				return false
			}
		}
		seen[ns] = hk
		ns++
		if kind == slog.KindGroup && !checkGroupFlat(a.Value.Group(), n+1) {
			return false
		}
	}
	return true
}

func checkGroupFlat(as []slog.Attr, depth int) bool {
	if depth >= MaxDepth || len(as) > maxFastAttrs {
		return false
	}
	for i := range as {
		k := as[i].Value.Kind()
		if k == slog.KindLogValuer || (as[i].Key == "" && k == slog.KindGroup) || !utf8.ValidString(as[i].Key) {
			return false
		}
		for j := 0; j < i; j++ {
			if as[j].Key == as[i].Key {
				return false
			}
		}
		if k == slog.KindGroup && !checkGroupFlat(as[i].Value.Group(), depth+1) {
			return false
		}
	}
	return true
}

func (h *Handler) fastBodyFlat(e *encoder, fr *fragment, call []slog.Attr) {
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
	}
	n := len(h.groups)
	opened, mark, markOpened := 0, -1, 0
	for i := 0; i <= n; i++ {
		if i > 0 {
			if i == h.deepest+1 {
				mark, markOpened = len(e.buf), opened
			}
			open := h.opens[i]
			if e.first {
				open = open[1:]
			}
			e.buf = append(e.buf, open...)
			opened++
			e.first = true
		}
		if frag := h.levels[i].frag; len(frag) > 0 {
			if e.first {
				frag = frag[1:]
			}
			e.buf = append(e.buf, frag...)
			e.first = false
		}
	}
	wrote := 0
	for i := range call {
		if e.field(call[i], n, n == 0, h.addSource) {
			wrote++
		}
	}
	if wrote == 0 && mark >= 0 {
		e.buf = e.buf[:mark]
		opened = markOpened
	}
	for ; opened > 0; opened-- {
		e.buf = append(e.buf, '}')
	}
	e.first = false
}

type ecsCheck struct {
	h    *Handler
	fr   *fragment
	leaf [2 * maxFastAttrs]uint64
	nl   int
	pre  [2 * maxFastAttrs]uint64
	np   int
}

func (h *Handler) fastECS(fr *fragment, call []slog.Attr) bool {
	if fr != nil && !h.ecsFragmentFits(fr) {
		return false
	}
	if len(call) == 0 {
		return true
	}
	for _, k := range h.callPrefixHashes {
		if (fr != nil && fr.leaf.has(k)) || h.ecsLeaf.has(k) {
			return false
		}
	}
	c := ecsCheck{h: h, fr: fr}
	return c.attrs(call, h.callPrefixHash, len(h.groups), true)
}

// ecsFragmentFits reports whether the context fields of fr and the keys of
// the handler's WithAttrs are free of ECS conflicts: no key of one equal
// to, or a dotted prefix of, a key of the other.
func (h *Handler) ecsFragmentFits(fr *fragment) bool {
	for _, k := range h.ecsLeaf.list {
		if fr.leaf.has(k) || fr.prefix.has(k) {
			return false
		}
	}
	for _, k := range h.ecsPrefix.list {
		if fr.leaf.has(k) {
			return false
		}
	}
	return true
}

func (c *ecsCheck) isLeaf(k uint64) bool {
	if (c.fr != nil && c.fr.leaf.has(k)) || c.h.ecsLeaf.has(k) {
		return true
	}
	for i := 0; i < c.nl; i++ {
		if c.leaf[i] == k {
			return true
		}
	}
	return false
}

func (c *ecsCheck) isPrefix(k uint64) bool {
	if (c.fr != nil && c.fr.prefix.has(k)) || c.h.ecsPrefix.has(k) {
		return true
	}
	for i := 0; i < c.np; i++ {
		if c.pre[i] == k {
			return true
		}
	}
	return false
}

// addPrefix records a proper prefix of a call key; false on a conflict.
func (c *ecsCheck) addPrefix(k uint64) bool {
	if c.isLeaf(k) || c.np == len(c.pre) {
		return false
	}
	c.pre[c.np] = k
	c.np++
	return true
}

// key hashes key after state, recording its inner dotted prefixes; it
// returns the hash of the key, or false on a conflict.
func (c *ecsCheck) key(state uint64, key string) (uint64, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '.' && !c.addPrefix(state) {
			return 0, false
		}
		state ^= uint64(key[i])
		state *= fnvPrime
	}
	return state, true
}

func (c *ecsCheck) attrs(as []slog.Attr, state uint64, depth int, top bool) bool {
	if depth >= MaxDepth || len(as) > maxFastAttrs {
		return false
	}
	noPrefix := c.h.callPrefix == ""
	for i := range as {
		a := &as[i]
		kind := a.Value.Kind()
		if kind == slog.KindLogValuer && !top {
			return false
		}
		if isEmptyAttr(*a) {
			continue
		}
		if (a.Key == "" && kind == slog.KindGroup) || !utf8.ValidString(a.Key) {
			return false
		}
		if noPrefix && top {
			if kind == slog.KindGroup {
				first, _, _ := strings.Cut(a.Key, ".")
				if ecsFirstSegment(first) {
					return false
				}
			} else if ecsTopLeafTaken(a.Key, a.Value) {
				return false
			}
		}
		k, ok := c.key(state, a.Key)
		if !ok {
			return false
		}
		if kind == slog.KindGroup {
			if !c.addPrefix(k) {
				return false
			}
			k ^= '.'
			k *= fnvPrime
			if !c.attrs(a.Value.Group(), k, depth+1, false) {
				return false
			}
			continue
		}
		if !c.addLeaf(k) {
			return false
		}
	}
	return true
}

// addLeaf records the key hash of a call attribute's value; false on a
// conflict (the key is already a value or a dotted prefix) or when full.
func (c *ecsCheck) addLeaf(k uint64) bool {
	if c.isLeaf(k) || c.isPrefix(k) || c.nl == len(c.leaf) {
		return false
	}
	c.leaf[c.nl] = k
	c.nl++
	return true
}

// ecsTopLeafTaken reports whether a top-level call attribute holding v may
// not be written under key as it is: the key is reserved, or it is "error"
// holding an error, which the ECS layout writes as error.type and
// error.message.
func ecsTopLeafTaken(key string, v slog.Value) bool {
	if reservedECS(key) {
		return true
	}
	if key == "error" {
		_, isErr := isError(v)
		return isErr
	}
	return false
}

func (h *Handler) fastBodyECS(e *encoder, fr *fragment, call []slog.Attr) {
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
	}
	e.buf = append(e.buf, h.ecsFrag...)
	var path [MaxDepth]string
	for i := range call {
		e.ecsField(h.callPrefixEsc, path[:0], call[i], len(h.groups))
	}
}

// ---- slow paths: the general algorithm, used on collisions ----

func (h *Handler) slowBodyFlat(e *encoder, f *logctx.Fields, call []slog.Attr) {
	n := len(h.groups)
	cur := append(slices.Clone(h.levels[n].raw), call...)
	for i := n; i >= 1; i-- {
		node := slog.Attr{Key: h.groups[i-1], Value: slog.GroupValue(cur...)}
		cur = append(slices.Clone(h.levels[i-1].raw), node)
	}
	top := make([]slog.Attr, 0, f.Len()+len(cur))
	for i := 0; i < f.Len(); i++ {
		top = append(top, f.At(i))
	}
	top = append(top, cur...)
	norm := normalizeFlat(nil, top, 0, true, h.addSource)
	e.fields(norm, 0)
}

func (h *Handler) slowBodyECS(e *encoder, f *logctx.Fields, call []slog.Attr) {
	var list []kv
	if f.Len() > 0 {
		attrs := make([]slog.Attr, f.Len())
		for i := range attrs {
			attrs[i] = f.At(i)
		}
		list = flattenECS(list, "", attrs, 0)
	}
	prefix := ""
	for i := range h.levels {
		if i > 0 {
			prefix += fixKey(h.groups[i-1]) + "."
		}
		list = flattenECS(list, prefix, h.levels[i].raw, i)
	}
	list = flattenECS(list, prefix, call, len(h.groups))
	e.kvs(processECS(list))
}
