package logctx

import (
	"context"
	"github.com/milestone-go/milestone/internal/lib/errtext"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Severity classifies a failure logged by Failure.
type Severity int

// The severities of a failure.
const (
	// Transient is a failure that a retry may fix; logged at WARN.
	Transient Severity = iota + 1
	// Error is a failure of the operation; logged at ERROR.
	Error
	// Critical is a failure that needs a human; logged at LevelCritical.
	Critical
)

// String returns the name written in the "severity" field: "transient",
// "error" or "critical" ("severity(N)" for other values).
func (s Severity) String() string {
	switch s {
	case Transient:
		return "transient"
	case Error:
		return "error"
	case Critical:
		return "critical"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// Level returns the slog level of s; unknown severities log at ERROR.
func (s Severity) Level() slog.Level {
	switch s {
	case Transient:
		return slog.LevelWarn
	case Critical:
		return LevelCritical
	}
	return slog.LevelError
}

type stackOption struct{}

// WithStack, passed among the args of Failure, adds the stack trace of the
// caller of Failure as the field "stack_trace" of the "error" group. Stack
// traces are never captured otherwise.
var WithStack any = stackOption{}

// Event logs the event at INFO on logger (the root logger when nil), with the
// fields of ctx and args (key/value pairs or slog.Attr). The event name is the
// record's message: jsonlog writes it as "event" (flat) or "message" (ECS).
func Event(ctx context.Context, logger *slog.Logger, event string, args ...any) {
	logAt(ctx, logger, slog.LevelInfo, event, nil, args)
}

// Failure logs a failure of an operation on logger (the root logger when
// nil), at the level of sev, with the fields of ctx, a field "severity"
// holding sev's name, a group "error" holding "message" (err.Error()) and
// "type" (err's Go type, such as "*fs.PathError") — omitted when err is nil —
// and then args. Pass WithStack among args to add "stack_trace" to the error
// group. In jsonlog's ECS format the group becomes error.message, error.type
// and error.stack_trace.
func Failure(ctx context.Context, logger *slog.Logger, event string, sev Severity, err error, args ...any) {
	stack := false
	for i, a := range args {
		if _, ok := a.(stackOption); ok {
			stack = true
			args = append(args[:i:i], args[i+1:]...)
			break
		}
	}
	pre := make([]slog.Attr, 0, 2)
	pre = append(pre, slog.String("severity", sev.String()))
	if err != nil || stack {
		g := make([]any, 0, 3)
		if err != nil {
			g = append(g, slog.String("message", errtext.Message(err)), slog.String("type", errtext.Type(err)))
		}
		if stack {
			g = append(g, slog.String("stack_trace", stackTrace(3)))
		}
		pre = append(pre, slog.Group("error", g...))
	}
	logAt(ctx, logger, sev.Level(), event, pre, args)
}

func stackTrace(skip int) string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(skip, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		f, more := frames.Next()
		b.WriteString(f.Function)
		b.WriteString("\n\t")
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(f.Line))
		b.WriteByte('\n')
		if !more {
			break
		}
	}
	return b.String()
}

func logAt(ctx context.Context, logger *slog.Logger, level slog.Level, msg string, pre []slog.Attr, args []any) {
	if ctx == nil {
		ctx = context.Background()
	}
	if logger == nil {
		logger = Logger("")
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	var pcs [1]uintptr
	runtime.Callers(3, pcs[:]) // skip Callers, logAt, Event/Failure
	r := slog.NewRecord(time.Now(), level, msg, pcs[0])
	r.AddAttrs(pre...)
	r.Add(args...)
	_ = logger.Handler().Handle(ctx, r)
}
