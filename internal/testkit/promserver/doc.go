// Package promserver runs a real Prometheus server and promtool for tests.
//
// It finds the prometheus and promtool binaries on PATH (the Debian package
// prometheus installs both). Require and RequirePromtool skip the test when a
// binary is absent, unless the environment variable CI is set, in which case
// they fail it: on CI the binaries must be there.
//
// Start writes a temporary configuration that scrapes the given targets every
// second, starts prometheus on 127.0.0.1 with a free port and a temporary
// storage directory, waits until it is ready and stops it when the test ends.
// Query and WaitFor run instant queries through its HTTP API. CheckMetrics
// runs promtool check metrics on exposition text.
//
// It is internal: a test helper for this module's packages and examples.
package promserver
