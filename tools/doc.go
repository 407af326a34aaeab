// Package tools pins the programs milestone's integration tests run that are
// built from Go modules, so that the library's go.mod does not grow: Jaeger
// (github.com/jaegertracing/jaeger/cmd/jaeger), the trace store the tracing
// tests read back from. .ci/run builds it once per machine and caches the
// binary (see .ci/jaeger).
package tools
