// Package jaeger starts a real Jaeger (v2, all-in-one, in-memory storage)
// for the tracing tests: the binary built from the tools module
// (tools/go.mod pins github.com/jaegertracing/jaeger/cmd/jaeger v1.75.0;
// .ci/run builds it into ~/.cache/milestone), configured by a file the test
// writes so that every port is a free one on 127.0.0.1, and read back
// through its query API (/api/traces/{id}).
package jaeger
