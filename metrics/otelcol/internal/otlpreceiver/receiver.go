package otlpreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Receiver keeps the OTLP metric export requests it received.
type Receiver struct {
	// Endpoint is the base URL of the server: http://127.0.0.1:port.
	Endpoint string

	mu      sync.Mutex
	reqs    []*colmetricpb.ExportMetricsServiceRequest
	headers []http.Header
	errs    []error
	changed chan struct{}
}

func newReceiver() *Receiver { return &Receiver{changed: make(chan struct{})} }

func (r *Receiver) add(req *colmetricpb.ExportMetricsServiceRequest, h http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	r.headers = append(r.headers, h)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Receiver) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

// NewHTTP starts an OTLP/HTTP receiver accepting protobuf exports on
// POST /v1/metrics; the test's cleanup stops it. Endpoint is the base URL to
// give an exporter (the exporter appends /v1/metrics).
func NewHTTP(t testing.TB) *Receiver {
	t.Helper()
	r := newReceiver()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/metrics", func(w http.ResponseWriter, req *http.Request) {
		if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			r.fail(fmt.Errorf("Content-Type %q, want application/x-protobuf", ct))
			http.Error(w, "unsupported content type", http.StatusUnsupportedMediaType)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(req.Body)
			if err != nil {
				r.fail(err)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			r.fail(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		msg := &colmetricpb.ExportMetricsServiceRequest{}
		if err := proto.Unmarshal(raw, msg); err != nil {
			r.fail(fmt.Errorf("decoding ExportMetricsServiceRequest: %w", err))
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.add(msg, req.Header.Clone())
		out, _ := proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = io.Copy(w, bytes.NewReader(out))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.Endpoint = srv.URL
	return r
}

type grpcService struct {
	colmetricpb.UnimplementedMetricsServiceServer
	r *Receiver
}

func (s grpcService) Export(_ context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	s.r.add(req, nil)
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// NewGRPC starts an OTLP/gRPC receiver with the official MetricsService
// registered, listening on 127.0.0.1; the test's cleanup stops it.
func NewGRPC(t testing.TB) *Receiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	r := newReceiver()
	srv := grpc.NewServer()
	colmetricpb.RegisterMetricsServiceServer(srv, grpcService{r: r})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	r.Endpoint = "http://" + lis.Addr().String()
	return r
}

// Requests returns the requests received so far, in order.
func (r *Receiver) Requests() []*colmetricpb.ExportMetricsServiceRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*colmetricpb.ExportMetricsServiceRequest(nil), r.reqs...)
}

// Headers returns the HTTP headers of the requests received so far (nil
// entries for gRPC).
func (r *Receiver) Headers() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.headers...)
}

// Errors returns the requests the receiver could not decode.
func (r *Receiver) Errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// Wait waits until ok holds for the metrics received so far, or fails the
// test after timeout.
func (r *Receiver) Wait(t testing.TB, timeout time.Duration, ok func(Metrics) bool) Metrics {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		m := r.Metrics()
		if ok(m) {
			return m
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no matching OTLP export within %v (received %d requests, errors %v)", timeout, len(r.Requests()), r.Errors())
			return nil
		}
	}
}

// Metric is one metric as last received, with the scope it came from.
type Metric struct {
	*metricpb.Metric
	Scope string
}

// Metrics holds the last received version of each metric, by name.
type Metrics map[string]Metric

// Metrics returns the metrics received so far: for each name, the one in the
// latest request that carried it (with cumulative temporality, the current
// totals).
func (r *Receiver) Metrics() Metrics {
	out := Metrics{}
	for _, req := range r.Requests() {
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					out[m.GetName()] = Metric{Metric: m, Scope: sm.GetScope().GetName()}
				}
			}
		}
	}
	return out
}

// Sum returns the value of the single data point of the sum named name, and
// false when there is no such sum.
func (m Metrics) Sum(name string) (int64, bool) {
	s := m[name].GetSum()
	if s == nil || len(s.GetDataPoints()) != 1 {
		return 0, false
	}
	return s.GetDataPoints()[0].GetAsInt(), true
}

// Histogram returns the single data point of the histogram named name, or
// nil.
func (m Metrics) Histogram(name string) *metricpb.HistogramDataPoint {
	h := m[name].GetHistogram()
	if h == nil || len(h.GetDataPoints()) != 1 {
		return nil
	}
	return h.GetDataPoints()[0]
}
