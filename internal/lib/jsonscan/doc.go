// Package jsonscan reads the members of a JSON object without building a
// map: the lines of an event log, read back by metrics/tracing and runs,
// where a map per line made the garbage collector the main cost.
package jsonscan
