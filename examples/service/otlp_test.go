package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// otlpReceiver is an OTLP/HTTP metrics endpoint that decodes each request
// with the official protobuf types and keeps the last value of every sum.
type otlpReceiver struct {
	mu   sync.Mutex
	reqs int
	sums map[string]int64
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req colmetricpb.ExportMetricsServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if r.URL.Path != "/v1/metrics" || err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.reqs++
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if s := m.GetSum(); s != nil && len(s.DataPoints) == 1 {
					o.sums[m.Name] = s.DataPoints[0].GetAsInt()
				}
			}
		}
	}
	o.mu.Unlock()
	b, _ := proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(b)
}

// TestRunOTLP runs the service with -otlp, exporting to an OTLP receiver
// named by OTEL_EXPORTER_OTLP_ENDPOINT with a one-hour export interval: the
// numbers arrive only because shutting down flushes the collectors.
func TestRunOTLP(t *testing.T) {
	rec := &otlpReceiver{sums: map[string]int64{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "3600000")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-otlp", "-data", t.TempDir(), "-addr", "127.0.0.1:0", "-rows", "5000", "-shards", "4",
			"-rewrite", "0", "-refresh", "0", "-read-every", "0", "-faults=false"}, &stdout, &stderr)
	}()
	url := waitListening(t, &stderr, nil)
	waitReady(t, url)
	call(t, "GET", url+"/get?key=user:00000007", "", nil)
	rec.mu.Lock()
	before := rec.reqs
	rec.mu.Unlock()
	cancel()
	waitRunReturns(t, done)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if before != 0 || rec.reqs == 0 {
		t.Fatalf("%d OTLP requests before shutdown, %d after; want 0, then the flush", before, rec.reqs)
	}
	for name, want := range map[string]int64{
		"shardyfusion.rows_written":           5000,
		"shardyfusion.shard_writes_completed": 4,
		"shardyfusion.reader_gets":            1,
		"shardyfusion.reader_closed":          1,
	} {
		if got, ok := rec.sums[name]; !ok || got != want {
			t.Errorf("OTLP %s = %d (exported %v), want %d", name, got, ok, want)
		}
	}
}
