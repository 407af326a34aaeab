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
	"sync"
	"sync/atomic"
	"time"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
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
	// Renamed counts the fields written under another key than the one
	// logged, to keep the line indexable (see Handler): reserved keys and,
	// in ECS, fields that do not fit the ECS mapping moved under
	// "fields.", values that are also a dotted prefix given ".value", and
	// ECS label keys cleaned. Nothing renamed is dropped. A context or
	// WithAttrs field counts once per line it is written in.
	Renamed uint64
}

type shared struct {
	mu          sync.Mutex
	w           io.Writer
	writeErrors atomic.Uint64
	truncated   atomic.Uint64
	renamed     atomic.Uint64
}

// level is one group level of the attributes given by WithAttrs (flat).
type level struct {
	raw     []slog.Attr
	frag    []byte   // encoded fields, each with a leading comma
	renamed int      // fields of frag (and the next group's name) renamed
	hashes  []uint64 // final keys of frag, plus the next group's name
	keys    keySet
}

// Handler is a slog.Handler writing one JSON object per line. It reads the
// span the context of each record holds (an OpenTelemetry span: a milestone
// run's or step's, or any tracer's) and writes its ids after the built-in
// keys: trace_id and span_id in Flat, trace.id and span.id in ECS. It reads
// the fields bound by logctx.With from the context and writes them after
// those and before the record's attributes; context
// fields and WithAttrs attributes are encoded once (per scope, per handler)
// and copied. Context fields are always top-level fields, outside any group
// opened by WithGroup. Each line is written with a single Write, under a mutex shared
// by the handler and all the handlers derived from it by WithAttrs,
// WithGroup and WithLoggerName.
//
// Keys: every line is one Elasticsearch indexes, so some fields are written
// under another key; none is dropped for its key, and each is counted in
// Stats.Renamed:
//
//   - Reserved keys: a field whose top-level key is one the format writes
//     itself, or under one (Flat: timestamp, level, logger, event,
//     _truncated, trace_id, span_id, and source with AddSource, and their
//     children such as event.x; ECS: @timestamp, log.level, message,
//     ecs.version, log.logger, service.name, log.origin.*, trace.id,
//     span.id, _truncated, their parents log, ecs, service, trace, span and
//     children such as message.x) is moved to "fields.<key>".
//   - Duplicates: a line never holds a key twice. When context fields,
//     WithAttrs attributes and record attributes share a key, the
//     record's wins over WithAttrs, which wins over the context (and a
//     later attribute over an earlier one of the same kind). A key renamed
//     into one the line already has gets "fields." again until it is
//     unique.
//   - Dotted paths: Elasticsearch reads "a.b" as the path a → b, as it
//     reads a group a holding b. A key that is both a value and the dotted
//     prefix of another key ("error":"x" beside "error.type", "a" beside a
//     group or key under "a.") is renamed "<key>.value". In Flat, where a
//     group and a dotted key can spell one path, the later value at a path
//     moves to "fields.<key>".
//   - Blank segments: an empty or white-space key segment ("", "a..b",
//     ".a", "a.") is written "_".
//   - ECS mapping: in ECS, a field must fit the Elastic Common Schema's
//     mapping (the table generated from the ECS field reference): a value
//     where ECS has an object ("host":"web-1", "event":"x", "user":42,
//     "labels":"x", "error":"a string"), a child of an ECS leaf
//     ("host.name.first"), or a value the field's type rejects (a
//     non-numeric string in process.pid or event.duration, a non-IP in
//     host.ip, a non-date in event.created) moves to "fields.<key>",
//     where ECS maps nothing. Label keys have '.', '*' and '\' after
//     "labels." replaced by '_', as the ECS logging spec says.
//
// Lines whose keys need none of this (no dot in Flat, no ECS field set as
// the first segment in ECS, or ECS fields whose values plainly fit) take
// the fast paths; the others are encoded by the general path, which
// allocates.
//
// The ECS layout follows the ECS logging spec: @timestamp, log.level and
// message first, ecs.version and log.level as top-level dotted keys. One
// exception: a record with a zero Time has no @timestamp, as the
// slog.Handler contract requires.
//
// Values: strings are escaped with invalid UTF-8 written as \ufffd; NaN,
// +Inf and -Inf as the strings "NaN", "+Inf" and "-Inf"; durations as
// integer nanoseconds; times as RFC 3339 in UTC; errors as their message
// (in ECS, an error under the key "error" becomes error.type and
// error.message); other values through MarshalJSON, MarshalText, String or
// encoding/json, in that order (JSON holding an object key Elasticsearch
// would reject, blank, dotted or repeated, is written as a string of the
// same text). A panic in LogValue, Error, MarshalJSON,
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

	flatRenamed int // flat: the renamed fields of all levels

	ecs ecsState // the ECS layout's own state
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
	return Stats{WriteErrors: h.sh.writeErrors.Load(), Truncated: h.sh.truncated.Load(), Renamed: h.sh.renamed.Load()}
}

// Health reports Stats as milestone_log_lines_failed_total,
// milestone_log_lines_truncated_total and milestone_log_fields_renamed_total,
// all {handler="jsonlog"} (metrics.HealthReporter, read by
// metrics/selfmetrics).
func (h *Handler) Health() []metrics.HealthValue {
	if h == nil {
		return nil
	}
	st := h.Stats()
	return []metrics.HealthValue{
		metrics.FamilyLogFailed.Count(st.WriteErrors, "jsonlog"),
		metrics.FamilyLogTruncated.Count(st.Truncated, "jsonlog"),
		metrics.FamilyLogRenamed.Count(st.Renamed, "jsonlog"),
	}
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
	e.traceID, e.spanID, e.hasSpan = runctx.IDs(ctx)
	h.encode(&e, &r, f, fr, h.fused)
	if e.renamed > 0 {
		h.sh.renamed.Add(uint64(e.renamed))
	}
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

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

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
