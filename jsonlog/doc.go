// Package jsonlog is a fast slog.Handler that writes one JSON object per
// line, ready for Filebeat and Elasticsearch, in a flat layout or in the
// Elastic Common Schema (ECS) layout.
//
// Flat (the default):
//
//	{"timestamp":"2026-03-14T10:30:00.000Z","level":"INFO","logger":"app.writer","event":"manifest_published","run_id":"abc123","num_shards":8}
//
// ECS:
//
//	{"@timestamp":"2026-03-14T10:30:00.000Z","log.level":"INFO","message":"manifest_published","ecs.version":"8.11.0","log.logger":"app.writer","service.name":"writer","run_id":"abc123","num_shards":8}
//
// The built-in keys come first, then the ids of the span the context holds
// (a milestone run's or step's, or any OpenTelemetry span's: trace_id and
// span_id in Flat, trace.id and span.id in ECS), then the fields bound to
// the context with logctx.With, then the attributes given by WithAttrs,
// then the record's attributes. Context fields and WithAttrs attributes are encoded once and
// copied into each line; a line is assembled in a pooled buffer without
// allocating and written with one Write under a mutex shared by every clone
// of the handler. Levels are written DEBUG, INFO, WARN, ERROR and CRITICAL
// (logctx.LevelCritical).
//
// Configure is configure_logging: it installs one handler as the handler of
// the logctx logger hierarchy, replacing any earlier one.
//
// # How a line is assembled
//
// The files read top-down, each calling only the ones below it:
//
//	handler.go       the slog.Handler: options, Handle, WithAttrs, WithGroup
//	scopes.go        the pre-encoded scopes: WithAttrs levels and context fields
//	line.go          line assembly: the general path, and which path a line takes
//	fastline.go      the fused fast paths line assembly tries first
//	head.go          the head of every line: timestamp, level, logger, message
//	source.go        the source location (Options.AddSource)
//	flat.go          the flat layout's body
//	ecs.go           the ECS layout's body
//	keyfacts.go      what a key's bytes decide, cached per key string
//	ecsmapping.go    the ECS mapping: objects, leaves, what each leaf accepts
//	ecsfields_gen.go the ECS field table, generated from third_party/ecs
//	values.go        the value of every slog kind, errors, floats, marshalers
//	keyrules.go      key hashes and sets, reserved keys, renaming
//	linebuffer.go    the line being written: a buffer with a limit, keys, strings
//
// Handle takes the first of these paths that applies:
//
//   - fused (fastline.go): no group is open; the head and the plain
//     attributes (ASCII keys; strings, numbers, booleans, durations, times,
//     a last error) are written in one pass, each key checked for a
//     collision as it is written; what a key's bytes alone decide (plain,
//     its hash, its ECS class) is computed once per key string and looked
//     up by the string's address (keyfacts.go); at the first attribute
//     it does not handle, the fast path continues the line or it is
//     encoded again;
//   - fast: no key of the line can collide (checked with key hashes,
//     fastFlat in flat.go or fastECS in ecs.go); the pre-encoded scopes
//     are copied and the attributes appended;
//   - general: some key collides; every key is checked against the others
//     and renamed as the Handler doc says (slowBodyFlat, slowBodyECS);
//   - limited: the line is longer than Options.MaxLineBytes; it is encoded
//     again by the general path under the limit and counted as truncated.
//
// # Lines Elasticsearch indexes
//
// No line holds a key Elasticsearch would reject: none twice, none both a
// value and a dotted prefix of another, no blank key segment, and in ECS
// no field that breaks the ECS mapping. The ECS mapping comes from a table
// generated from the ECS field reference (ecsfields_gen.go, written by
// internal/gen/ecsgen from third_party/ecs/fields.csv; go generate ./jsonlog
// rewrites it, and a test fails when it is stale). A field that would
// break a rule is written under another key, never dropped, and counted in
// Stats.Renamed. The tests check every line they write, and FuzzEncoder
// every line it writes, against a second reading of the rules built from
// the ECS logging spec (spec.json) and fields.csv.
//
// See Handler for the key rules (reserved keys, duplicates, dotted paths,
// blank segments, the ECS mapping) and the way values are written, and
// Options.MaxLineBytes for truncation.
package jsonlog

//go:generate go run ../internal/gen/ecsgen -in ../third_party/ecs/fields.csv -out ecsfields_gen.go
