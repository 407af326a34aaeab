package eventlog

import (
	"context"
	"log/slog"

	"github.com/milestone-go/milestone/logctx"
)

// RunField is the logctx field that names an event's run when the context
// carries no WithRun id.
const RunField = "run_id"

// runString caches, per logctx scope, the string form of a run_id bound
// with a value that is not a string (an int, a LogValuer), so that it is
// formatted once per scope rather than once per event.
var runString = logctx.NewCacheKey()

// logctxRun returns the run_id field bound to ctx with logctx.With. A string
// value is returned as is, without allocating; any other value is resolved and
// formatted once per scope.
func logctxRun(ctx context.Context) (string, bool) {
	return logctxField(ctx, RunField)
}

// logctxField returns the field key bound to ctx with logctx.With, as
// logctxRun does for run_id (a value that is not a string is formatted once
// per scope only for run_id; for another key, at every call).
func logctxField(ctx context.Context, key string) (string, bool) {
	f := logctx.FromContext(ctx)
	if f == nil {
		return "", false
	}
	v, ok := f.Lookup(key)
	if !ok {
		return "", false
	}
	if key != RunField {
		s := v.Resolve().String()
		return s, s != ""
	}
	if v.Kind() == slog.KindString {
		s := v.String()
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
