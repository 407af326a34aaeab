// Package jsonenc holds the allocation-free JSON encoding pieces shared by
// jsonlog and metrics/eventlog: string escaping (invalid UTF-8 becomes
// \ufffd) and RFC 3339 millisecond timestamps.
package jsonenc
