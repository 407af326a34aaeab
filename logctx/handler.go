package logctx

import (
	"context"
	"log/slog"
)

// Handler returns a handler that adds the fields bound to the context by
// With to every record before passing it to h, so that any handler (for
// example slog.TextHandler) writes them. Context fields come before the
// record's own attributes, and a context field whose key is also a
// top-level key of the record is left out (the call site wins). Because the
// fields are added as record attributes, after WithGroup they appear inside
// the group, and they are not compared with the attributes given to h by
// WithAttrs. If h already reads the context (see ContextReader), Handler
// returns h; for the handler of a logger from Logger, whose installed
// handler can be replaced at run time, the question is asked again for every
// record, so the fields are added exactly when the installed handler does not
// write them itself.
func Handler(h slog.Handler) slog.Handler {
	switch h.(type) {
	case *ctxHandler:
		return h
	case *named:
		// its installed handler can change: ctxHandler asks per record
	default:
		if readsContext(h) {
			return h
		}
	}
	return &ctxHandler{h: h}
}

type ctxHandler struct{ h slog.Handler }

func (c *ctxHandler) Enabled(ctx context.Context, l slog.Level) bool { return c.h.Enabled(ctx, l) }

func (c *ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	f := FromContext(ctx)
	if f.Len() == 0 || readsContext(c.h) {
		return c.h.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	for _, a := range f.attrs {
		shadowed := false
		r.Attrs(func(b slog.Attr) bool {
			if b.Key == a.Key {
				shadowed = true
				return false
			}
			return true
		})
		if !shadowed {
			nr.AddAttrs(a)
		}
	}
	r.Attrs(func(b slog.Attr) bool { nr.AddAttrs(b); return true })
	return c.h.Handle(ctx, nr)
}

func (c *ctxHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ctxHandler{h: c.h.WithAttrs(attrs)}
}

func (c *ctxHandler) WithGroup(name string) slog.Handler {
	return &ctxHandler{h: c.h.WithGroup(name)}
}

// WithLoggerName passes the name to h when h writes it as a built-in field,
// and adds an attribute "logger" otherwise.
func (c *ctxHandler) WithLoggerName(name string) slog.Handler {
	return &ctxHandler{h: withName(c.h, name)}
}

func readsContext(h slog.Handler) bool {
	cr, ok := h.(ContextReader)
	return ok && cr.ReadsContext()
}
