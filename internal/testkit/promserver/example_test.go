package promserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/promserver"
)

// A test that has a real Prometheus server scrape a handler and checks a
// value through the query API.
func ExampleStart() {
	_ = func(t *testing.T, metricsHandler http.Handler) {
		target := httptest.NewServer(metricsHandler) // serves /metrics on 127.0.0.1
		defer target.Close()

		srv := promserver.Start(t, strings.TrimPrefix(target.URL, "http://")) // skips without prometheus unless CI is set
		srv.WaitFor(t, `shardyfusion_writes_started_total{job="test"}`, 1, 30*time.Second)
	}
}
