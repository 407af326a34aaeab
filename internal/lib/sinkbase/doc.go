// Package sinkbase is what every queued sink (metrics/eventlog,
// metrics/clickhouse) has in common: the options they share (logger, clock,
// default run, host, queue size), with their defaults, rules and messages
// written once; the message an Emit queues; and the run an event belongs
// to. Each sink embeds Config in its own configuration and exports one-line
// options that call its setters, so that its New still takes its own
// Option type.
package sinkbase
