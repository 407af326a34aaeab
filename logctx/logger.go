package logctx

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultRoot is the default name of the root of the logger hierarchy. A
// program names its own with SetRootName (the demo service, on the built-in
// catalog, calls it "shardyfusion").
const DefaultRoot = "app"

// LevelCritical is the level of Critical failures, above slog.LevelError.
// Handlers render it "CRITICAL" (see LevelString).
const LevelCritical = slog.LevelError + 4

// LevelString returns the name of l: DEBUG, INFO, WARN, ERROR and CRITICAL,
// and for levels in between the nearest lower name with an offset, as slog
// does ("ERROR+2", "CRITICAL+1", "DEBUG-4").
func LevelString(l slog.Level) string {
	if l >= LevelCritical {
		if l == LevelCritical {
			return "CRITICAL"
		}
		return "CRITICAL+" + strconv.Itoa(int(l-LevelCritical))
	}
	return l.String()
}

// ReplaceLevel is a slog.HandlerOptions.ReplaceAttr function that renders
// the level of a record with LevelString, so that slog.TextHandler and
// slog.JSONHandler write "CRITICAL" for LevelCritical.
func ReplaceLevel(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey && a.Value.Kind() == slog.KindAny {
		if l, ok := a.Value.Any().(slog.Level); ok {
			return slog.String(slog.LevelKey, LevelString(l))
		}
	}
	return a
}

// LoggerNamer is implemented by handlers that write the logger name as a
// built-in field (jsonlog.Handler). For other handlers, the loggers of the
// hierarchy add an attribute "logger" instead.
type LoggerNamer interface {
	WithLoggerName(name string) slog.Handler
}

// ContextReader is implemented by handlers that read the fields bound by
// With from the context themselves (jsonlog.Handler); Handler returns such a
// handler unchanged when ReadsContext reports true.
type ContextReader interface {
	ReadsContext() bool
}

var (
	rootName  atomic.Pointer[string]
	rootState atomic.Pointer[installed]
	genSeq    atomic.Uint64
	loggers   sync.Map // full name -> *slog.Logger
	fallback  = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: ReplaceLevel})
)

type installed struct {
	h   slog.Handler
	gen uint64
}

// RootName returns the name of the root of the logger hierarchy.
func RootName() string {
	if p := rootName.Load(); p != nil {
		return *p
	}
	return DefaultRoot
}

// SetRootName sets the name of the root of the hierarchy used by later
// calls to Logger; loggers obtained before keep their names. The name must
// be non-empty and must not start or end with a dot.
func SetRootName(name string) error {
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		return errors.New("logctx: SetRootName: invalid root name " + strconv.Quote(name))
	}
	rootName.Store(&name)
	return nil
}

// SetHandler installs h as the handler of every logger of the hierarchy,
// including loggers obtained earlier, replacing any handler installed before.
// A nil h uninstalls: the loggers then write to slog.Default's handler.
func SetHandler(h slog.Handler) {
	if h == nil {
		rootState.Store(nil)
		return
	}
	rootState.Store(&installed{h: h, gen: genSeq.Add(1)})
}

// current returns the installed handler and its generation (0 when none is
// installed: slog.Default's handler, or a stderr text handler when the
// default logger is itself one of ours).
func current() (slog.Handler, uint64) {
	if s := rootState.Load(); s != nil {
		return s.h, s.gen
	}
	d := slog.Default().Handler()
	if _, ok := d.(*named); ok {
		return fallback, 0
	}
	return d, 0
}

// FullName returns the full name Logger gives to name: the root name for
// "", name itself when it is the root or starts with the root and a dot,
// and "<root>.<name>" otherwise.
func FullName(name string) string {
	root := RootName()
	switch {
	case name == "" || name == root:
		return root
	case strings.HasPrefix(name, root+"."):
		return name
	default:
		return root + "." + name
	}
}

// Logger returns the logger named FullName(name). Its level is set by
// SetLevel (most specific prefix of its name) or, when no prefix applies,
// by the installed handler; it writes to the handler installed by
// SetHandler at the time of each call. Logger returns the same *slog.Logger
// for the same full name.
func Logger(name string) *slog.Logger {
	return namedLogger(FullName(name))
}

// CatalogLogger returns the logger named "<namespace>.<name>" (or namespace
// itself for an empty name), outside the root of RootName: the logger of a
// catalog of events whose namespace is its own root, such as
// "querylog.query". Its level is set by SetLevel on any prefix of its name
// ("querylog" → DEBUG turns on DEBUG for all of the catalog's loggers).
func CatalogLogger(namespace, name string) *slog.Logger {
	full := namespace
	if name != "" {
		full += "." + name
	}
	return namedLogger(full)
}

// namedLogger returns the one logger of the hierarchy named full.
func namedLogger(full string) *slog.Logger {
	if l, ok := loggers.Load(full); ok {
		return l.(*slog.Logger)
	}
	l := slog.New(&named{name: full, lvl: new(atomic.Pointer[levelCache]), cache: new(atomic.Pointer[derived])})
	actual, _ := loggers.LoadOrStore(full, l)
	return actual.(*slog.Logger)
}

// ---- levels ----

type levelEntry struct {
	prefix string
	level  slog.Level
}

type levelTable struct {
	version uint64
	entries []levelEntry // longest prefix first
}

var (
	levelsMu sync.Mutex
	levels   atomic.Pointer[levelTable]
)

func init() { levels.Store(&levelTable{version: 1}) }

func updateLevels(prefix string, level slog.Level, clear bool) {
	levelsMu.Lock()
	defer levelsMu.Unlock()
	old := levels.Load()
	entries := make([]levelEntry, 0, len(old.entries)+1)
	for _, e := range old.entries {
		if e.prefix != prefix {
			entries = append(entries, e)
		}
	}
	if !clear {
		entries = append(entries, levelEntry{prefix, level})
	}
	sort.SliceStable(entries, func(i, j int) bool { return len(entries[i].prefix) > len(entries[j].prefix) })
	levels.Store(&levelTable{version: old.version + 1, entries: entries})
}

// SetLevel sets, at run time, the minimum level of every logger whose name
// is prefix or starts with prefix and a dot (the prefix "" matches every
// logger). The most specific prefix set wins. It affects loggers obtained
// earlier. The prefix is a full name ("app.writer"); use FullName
// to qualify a short one.
func SetLevel(prefix string, level slog.Level) { updateLevels(prefix, level, false) }

// ClearLevel removes the level set for exactly prefix by SetLevel.
func ClearLevel(prefix string) { updateLevels(prefix, 0, true) }

// EffectiveLevel returns the level SetLevel gives to the logger with the
// given full name, and false when no prefix applies (the handler's own level
// is then used).
func EffectiveLevel(name string) (slog.Level, bool) {
	return lookupLevel(levels.Load(), name)
}

func lookupLevel(t *levelTable, name string) (slog.Level, bool) {
	for _, e := range t.entries {
		if e.prefix == "" || name == e.prefix ||
			(len(name) > len(e.prefix) && name[len(e.prefix)] == '.' && strings.HasPrefix(name, e.prefix)) {
			return e.level, true
		}
	}
	return 0, false
}

type levelCache struct {
	version uint64
	level   slog.Level
	ok      bool
}

// ---- the named handler ----

type opKind uint8

const (
	opAttrs opKind = iota
	opGroup
)

type op struct {
	kind  opKind
	attrs []slog.Attr
	group string
}

type derived struct {
	gen uint64
	h   slog.Handler
}

// named is the handler of the loggers returned by Logger: it delegates to
// the installed handler, replaying its WithAttrs/WithGroup calls on it.
type named struct {
	name  string
	ops   []op
	lvl   *atomic.Pointer[levelCache] // shared by the clones of one logger
	cache *atomic.Pointer[derived]
}

func (n *named) level() (slog.Level, bool) {
	t := levels.Load()
	if c := n.lvl.Load(); c != nil && c.version == t.version {
		return c.level, c.ok
	}
	l, ok := lookupLevel(t, n.name)
	n.lvl.Store(&levelCache{version: t.version, level: l, ok: ok})
	return l, ok
}

func (n *named) handler() slog.Handler {
	base, gen := current()
	if gen != 0 {
		if d := n.cache.Load(); d != nil && d.gen == gen {
			return d.h
		}
	}
	h := withName(base, n.name)
	for _, o := range n.ops {
		if o.kind == opAttrs {
			h = h.WithAttrs(o.attrs)
		} else {
			h = h.WithGroup(o.group)
		}
	}
	if gen != 0 {
		n.cache.Store(&derived{gen: gen, h: h})
	}
	return h
}

func withName(h slog.Handler, name string) slog.Handler {
	if ln, ok := h.(LoggerNamer); ok {
		return ln.WithLoggerName(name)
	}
	return h.WithAttrs([]slog.Attr{slog.String("logger", name)})
}

func (n *named) Enabled(ctx context.Context, l slog.Level) bool {
	if lv, ok := n.level(); ok {
		return l >= lv
	}
	return n.handler().Enabled(ctx, l)
}

// ReadsContext reports whether the handler installed now reads the context
// fields itself.
func (n *named) ReadsContext() bool { return readsContext(n.handler()) }

func (n *named) Handle(ctx context.Context, r slog.Record) error {
	return n.handler().Handle(ctx, r)
}

func (n *named) with(o op) *named {
	ops := make([]op, len(n.ops)+1)
	copy(ops, n.ops)
	ops[len(n.ops)] = o
	return &named{name: n.name, ops: ops, lvl: n.lvl, cache: new(atomic.Pointer[derived])}
}

func (n *named) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return n
	}
	return n.with(op{kind: opAttrs, attrs: append([]slog.Attr(nil), attrs...)})
}

func (n *named) WithGroup(name string) slog.Handler {
	if name == "" {
		return n
	}
	return n.with(op{kind: opGroup, group: name})
}
