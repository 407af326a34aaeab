// Package chserver starts a real clickhouse-server for tests and
// benchmarks: a temporary configuration and data directory, a free port on
// 127.0.0.1, two users (default without a password and writer with
// Password), stopped when the test ends. It skips when the binary is absent,
// or fails when the environment variable CI is set (install the Debian
// package clickhouse-server).
package chserver
