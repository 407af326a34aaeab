package promserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

const goodText = `# HELP demo_events_total Events seen.
# TYPE demo_events_total counter
demo_events_total 42
`

func TestCheckMetrics(t *testing.T) {
	promtool := RequirePromtool(t)
	CheckMetrics(t, []byte(goodText))

	// A counter whose name does not end in _total is a lint problem.
	bad := strings.ReplaceAll(goodText, "demo_events_total", "demo_events")
	out, err := checkMetrics(promtool, []byte(bad))
	if err == nil && len(out) == 0 {
		t.Fatalf("promtool found nothing wrong with\n%s", bad)
	}
	if !strings.Contains(string(out), "demo_events") {
		t.Errorf("promtool output does not name the metric: %s", out)
	}
}

func TestStartQuery(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte(goodText))
	}))
	defer target.Close()

	s := Start(t, strings.TrimPrefix(target.URL, "http://"))
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want a 127.0.0.1 address", s.URL)
	}
	if got := s.WaitFor(t, `demo_events_total{job="test"}`, 42, 30*time.Second); got != 42 {
		t.Errorf("WaitFor returned %v, want 42", got)
	}
	ctx := context.Background()
	if v, err := s.Query(ctx, `up{job="test"}`); err != nil || v != 1 {
		t.Errorf("up = %v, %v; want 1", v, err)
	}
	if v, err := s.Query(ctx, `scalar(demo_events_total) * 2`); err != nil || v != 84 {
		t.Errorf("scalar query = %v, %v; want 84", v, err)
	}
	if _, err := s.Query(ctx, `no_such_metric`); !errors.Is(err, ErrNoResult) {
		t.Errorf("Query of a missing metric: err = %v, want ErrNoResult", err)
	}
	if _, err := s.Query(ctx, `sum(`); err == nil {
		t.Error("Query of a bad expression returned no error")
	}
	if _, err := os.Stat(s.Dir); err != nil {
		t.Errorf("the server's directory is missing while it runs: %v", err)
	}
}

func TestConfigYAML(t *testing.T) {
	got := string(Config{Targets: map[string][]string{"test": {"127.0.0.1:1", "127.0.0.1:2"}},
		RuleFiles: []string{"/r/a.yaml"}, Alertmanager: "127.0.0.1:3"}.yaml())
	for _, want := range []string{"scrape_interval: 1s", `targets: ["127.0.0.1:1", "127.0.0.1:2"]`, `- "/r/a.yaml"`, `targets: ["127.0.0.1:3"]`, `job_name: "test"`} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
}
