package runctx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"math/big"

	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/logctx"
)

// Field is the logctx field that ID reads when no run id was bound with
// With, and the key sinks write the run id under by default.
const Field = "run_id"

// With returns a copy of ctx whose events belong to the run id: it holds
// the run's root span (see Span), and its log lines carry the id as the
// run_id field (bound with logctx.With too, unless that scope already holds
// it). It takes precedence over a run_id field bound earlier with
// logctx.With, and over an outer run. When ctx holds a span of another
// trace (an HTTP request's), the run joins it: same trace id, that span as
// the root's parent, its sampled flag; otherwise the trace id and root span
// id are Derive(id), and the run is sampled. An empty id returns ctx
// unchanged.
func With(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	if ctx == nil {
		ctx = context.Background()
	}
	outer := trace.SpanFromContext(ctx)
	if cur, ok := FieldValue(ctx, Field); !ok || cur != id {
		ctx = logctx.With(ctx, Field, id)
	}
	ctx, _ = withSpan(ctx, func(s *Span) {
		s.run, s.root = id, true
		sc := outer.SpanContext()
		if _, ours := outer.(*Span); sc.IsValid() && !ours {
			s.trace, s.parent, s.flags = sc.TraceID(), sc.SpanID(), sc.TraceFlags()
			s.id = newSpanID()
		} else {
			s.trace, s.id = Derive(id)
			s.flags = trace.FlagsSampled
		}
		s.rootID, s.rootParent = s.id, s.parent
	})
	return ctx
}

// ID returns the run id ctx carries: the one bound with With, else a run_id
// field bound with logctx.With. It allocates nothing for a string id, and
// accepts a nil ctx.
func ID(ctx context.Context) (string, bool) { return IDOr(ctx, Field) }

// IDOr returns the run id bound to ctx with With, else the field key bound
// with logctx.With (see FieldValue): how a sink that names runs by another
// key (eventlog's WithRunKey("query_id")) finds them.
func IDOr(ctx context.Context, key string) (string, bool) {
	if s := SpanOf(ctx); s != nil && s.run != "" {
		return s.run, true
	}
	return FieldValue(ctx, key)
}

// runString caches, per logctx scope, the string form of a run_id bound
// with a value that is not a string (an int, a LogValuer), so that it is
// formatted once per scope rather than once per event.
var runString = logctx.NewCacheKey()

// FieldValue returns the field key bound to ctx with logctx.With, as a
// string: how a sink that files runs under another key (eventlog's
// WithRunKey("query_id")) reads it. A string value is returned as is,
// without allocating; for run_id any other value is formatted once per
// scope, for another key at every call.
func FieldValue(ctx context.Context, key string) (string, bool) {
	if ctx == nil {
		return "", false
	}
	f := logctx.FromContext(ctx)
	if f == nil {
		return "", false
	}
	v, ok := f.Lookup(key)
	if !ok {
		return "", false
	}
	if v.Kind() == slog.KindString {
		s := v.String()
		return s, s != ""
	}
	if key != Field {
		s := v.Resolve().String()
		return s, s != ""
	}
	if s, ok := f.Load(runString).(string); ok {
		return s, s != ""
	}
	s := v.Resolve().String()
	if stored, ok := f.Store(runString, s).(string); ok {
		s = stored
	}
	return s, s != ""
}

var adjectives = [...]string{
	"amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring",
	"eager", "fleet", "gentle", "golden", "hardy", "keen", "lively", "lucky",
	"mellow", "nimble", "noble", "patient", "proud", "quick", "quiet", "rapid",
	"silent", "sleek", "steady", "sunny", "swift", "tidy", "vivid", "witty",
}

var animals = [...]string{
	"badger", "beaver", "bison", "cheetah", "cougar", "crane", "dolphin", "eagle",
	"falcon", "ferret", "finch", "fox", "gecko", "heron", "ibis", "jaguar",
	"koala", "lemur", "lynx", "marten", "newt", "otter", "owl", "panda",
	"puffin", "raven", "seal", "stoat", "tiger", "walrus", "wolf", "yak",
}

// NewID returns a fresh human-readable run id such as
// "nimble-falcon-57ee1d": an adjective, an animal and 24 random bits in hex.
func NewID() string {
	a := randInt(len(adjectives))
	n := randInt(len(animals))
	var suffix [3]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return adjectives[a] + "-" + animals[n] + "-000000"
	}
	return adjectives[a] + "-" + animals[n] + "-" + hex.EncodeToString(suffix[:])
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}
