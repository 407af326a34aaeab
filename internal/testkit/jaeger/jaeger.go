package jaeger

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/serverproc"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// Version is the Jaeger release the tools module pins.
const Version = "v1.75.0"

// EnvBinary names a Jaeger binary to use instead of the cached one.
const EnvBinary = "MILESTONE_JAEGER"

// ReadyTimeout bounds how long Start waits for Jaeger to answer.
const ReadyTimeout = 60 * time.Second

// CachedBinary returns where .ci/run caches the binary it builds:
// $XDG_CACHE_HOME/milestone/jaeger-<Version>, by default under ~/.cache.
func CachedBinary() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "milestone", "jaeger-"+Version)
}

// Require returns the path of a Jaeger binary: $MILESTONE_JAEGER, the
// cached one, or jaeger on PATH. When there is none it skips tb, or fails
// it when CI is set.
func Require(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(EnvBinary); p != "" {
		return p
	}
	return serverproc.Find(tb, fmt.Sprintf("build it with .ci/jaeger (cd tools && go build -o %s github.com/jaegertracing/jaeger/cmd/jaeger) or set %s", CachedBinary(), EnvBinary),
		"jaeger", CachedBinary())
}

// Server is a Jaeger process started by Start.
type Server struct {
	// OTLPHTTP is the OTLP/HTTP receiver's base URL ("http://127.0.0.1:P").
	OTLPHTTP string
	// OTLPGRPC is the OTLP/gRPC receiver's address ("127.0.0.1:P").
	OTLPGRPC string
	// Query is the query API's base URL.
	Query string
	proc  *serverproc.Process
}

// Start starts Jaeger on free ports of 127.0.0.1 and stops it when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Require(tb)
	var addrs [5]string
	for i := range addrs {
		a, err := testutil.FreeAddr()
		if err != nil {
			tb.Fatal(err)
		}
		addrs[i] = a
	}
	health, queryHTTP, queryGRPC, otlpGRPC, otlpHTTP := addrs[0], addrs[1], addrs[2], addrs[3], addrs[4]
	config := `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    traces:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: ` + health + `
  jaeger_query:
    # Else Jaeger traces its own queries over OTLP to localhost:4317, and
    # waits for that exporter when it stops.
    enable_tracing: false
    storage:
      traces: mem
    http:
      endpoint: ` + queryHTTP + `
    grpc:
      endpoint: ` + queryGRPC + `
  jaeger_storage:
    backends:
      mem:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + otlpGRPC + `
      http:
        endpoint: ` + otlpHTTP + `
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: mem
`
	path := filepath.Join(tb.TempDir(), "jaeger.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		tb.Fatal(err)
	}
	proc, err := serverproc.Start(bin, "", "--config", "file:"+path)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{OTLPHTTP: "http://" + otlpHTTP, OTLPGRPC: otlpGRPC, Query: "http://" + queryHTTP, proc: proc}
	tb.Cleanup(func() {
		s.Stop()
		if tb.Failed() {
			tb.Logf("jaeger output:\n%s", proc.Output())
		}
	})
	if err := proc.WaitReady(ReadyTimeout, func() bool { return s.ready("http://"+health+"/status", otlpHTTP) }); err != nil {
		tb.Fatalf("jaeger: %v\n%s", err, proc.Output())
	}
	return s
}

// ready reports whether Jaeger's health check, OTLP receiver and query API
// all answer.
func (s *Server) ready(healthURL, otlpAddr string) bool {
	if !serverproc.HTTPOK(healthURL) {
		return false
	}
	c, err := net.DialTimeout("tcp", otlpAddr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return serverproc.HTTPOK(s.Query + "/api/services")
}

// Stop stops Jaeger (Start also does when the test ends).
func (s *Server) Stop() { s.proc.Stop(10 * time.Second) }

// ExportHere points the OTel SDK's exporters of the rest of the test at
// this Jaeger: OTLP over HTTP, by the OTEL_* variables a program reads.
func (s *Server) ExportHere(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", s.OTLPHTTP)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
}

// Trace is a trace as the query API returns it.
type Trace struct {
	TraceID string `json:"traceID"`
	Spans   []Span `json:"spans"`
}

// ByName returns the trace's spans by operation name.
func (t *Trace) ByName() map[string][]Span {
	out := map[string][]Span{}
	for _, s := range t.Spans {
		out[s.OperationName] = append(out[s.OperationName], s)
	}
	return out
}

// Span is one span of a Trace. Times are microseconds since the epoch.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"`
	Duration      int64       `json:"duration"`
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
}

// Reference is a span's parent (CHILD_OF).
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a tag or a log field.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Log is a span event.
type Log struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// Parent returns the span's CHILD_OF parent id, or "".
func (s Span) Parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// Tag returns the value of the span's tag key, as a string.
func (s Span) Tag(key string) (string, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return fmt.Sprint(kv.Value), true
		}
	}
	return "", false
}

// EventName returns the name of a span event (its "event" field).
func (l Log) EventName() string {
	for _, kv := range l.Fields {
		if kv.Key == "event" {
			return fmt.Sprint(kv.Value)
		}
	}
	return ""
}

// Trace returns the trace id (32 hex digits) as Jaeger holds it, waiting up
// to timeout for it to hold at least minSpans spans (spans arrive in
// batches).
func (s *Server) Trace(ctx context.Context, id string, minSpans int, timeout time.Duration) (*Trace, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		t, err := s.getTrace(ctx, id)
		if err == nil && len(t.Spans) >= minSpans {
			return t, nil
		}
		if err == nil {
			last = fmt.Errorf("trace %s has %d spans, want at least %d", id, len(t.Spans), minSpans)
		} else {
			last = err
		}
		if time.Now().After(deadline) {
			return t, last
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Server) getTrace(ctx context.Context, id string) (*Trace, error) {
	var body struct {
		Data   []Trace `json:"data"`
		Errors []struct {
			Msg string `json:"msg"`
		} `json:"errors"`
	}
	status, err := serverproc.GetJSON(ctx, s.Query+"/api/traces/"+id, &body)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || len(body.Data) == 0 {
		var msgs []string
		for _, e := range body.Errors {
			msgs = append(msgs, e.Msg)
		}
		return &Trace{}, fmt.Errorf("GET /api/traces/%s: %d %s", id, status, strings.Join(msgs, "; "))
	}
	return &body.Data[0], nil
}
