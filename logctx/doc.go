// Package logctx binds structured logging fields to a context.Context and
// names loggers in a hierarchy, on top of log/slog.
//
// It is the Go form of milestone's LogContext, log_event and log_failure:
//
//   - With binds key/value pairs to a context. Scopes nest: the inner value
//     wins on a key collision and the outer context is never changed. A scope
//     is immutable; handlers that know logctx (jsonlog.Handler) encode it once
//     per scope and reuse the bytes on every line.
//   - Attrs and Lookup read the bound fields back; Lookup does not allocate.
//   - Logger returns a named logger under the root ("app" by
//     default, see SetRootName). SetLevel changes at run time the level of
//     every logger under a name prefix, the most specific prefix winning, and
//     it affects loggers created before the call.
//   - SetHandler installs the handler every logger of the hierarchy writes
//     to; jsonlog.Configure calls it. Loggers obtained earlier follow the
//     new handler.
//   - Event and Failure are log_event and log_failure. Failure maps a
//     Severity to a level (Transient → WARN, Error → ERROR, Critical →
//     LevelCritical, rendered "CRITICAL") and writes the error as a group
//     "error" holding "message" and "type" (and "stack_trace" when WithStack
//     is passed).
//   - Handler adds the context's fields to any other slog.Handler, for
//     example slog.TextHandler.
package logctx
