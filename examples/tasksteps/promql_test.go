package main

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/milestone-go/milestone/internal/examplekit/appkit"
	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/mixin"
)

// The README's two queries, verbatim.
const (
	p99PerStep = `histogram_quantile(0.99, sum by (step, le) (rate(tasksteps_step_duration_seconds_bucket[5m])))`
	errorRate  = `sum by (step) (rate(tasksteps_step_duration_seconds_count{status="error"}[5m]))
  / sum by (step) (rate(tasksteps_step_duration_seconds_count[5m]))`
)

// TestREADMEQueries has a real Prometheus scrape the task runner's metrics
// while it runs executions in two rounds, each one success and one
// execute_user_code failure, and runs the README's queries: a p99 for
// every step, and an error rate of exactly one half for execute_user_code
// and for no other step. With the generated alerts loaded, the failed-step
// alert fires for execute_user_code only.
func TestREADMEQueries(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{p99PerStep, errorRate} {
		// The README indents its code blocks by four spaces.
		if !strings.Contains(string(readme), strings.ReplaceAll(q, "\n", "\n    ")) {
			t.Fatalf("README.md does not show the query\n%s", q)
		}
	}
	logctx.SetHandler(jsonlog.NewHandler(io.Discard, nil))
	t.Cleanup(func() { logctx.SetHandler(nil) })
	o := testOptions(t)
	b, err := appkit.NewBackends(Catalog, "execution_id", o.events)
	if err != nil {
		t.Fatal(err)
	}
	defer metrics.Close(b.All)
	target := httptest.NewServer(promhttp.HandlerFor(b.Registry, promhttp.HandlerOpts{}))
	defer target.Close()
	// The generated alerts are loaded too: the failed-step alert must fire.
	files, err := mixin.Generate(Catalog, MixinConfig())
	if err != nil {
		t.Fatal(err)
	}
	rules := t.TempDir()
	if err := files.Write(rules); err != nil {
		t.Fatal(err)
	}
	srv := promserver.StartConfig(t, promserver.Config{
		Targets:   map[string][]string{"test": {strings.TrimPrefix(target.URL, "http://")}},
		RuleFiles: []string{filepath.Join(rules, "alerts.yaml"), filepath.Join(rules, "rules.yaml")},
	})
	srv.WaitFor(t, `up{job="test"}`, 1, 30*time.Second)

	round := func(n float64) {
		t.Helper()
		for _, fail := range []string{"", "execute_user_code"} {
			o.fail = fail
			if _, err := runTask(context.Background(), b.All, o); (err != nil) != (fail != "") {
				t.Fatalf("fail %q: %v", fail, err)
			}
		}
		// Every execution runs load_task: wait until the scrape has them.
		srv.WaitFor(t, `sum(tasksteps_step_duration_seconds_count{step="load_task"})`, n, 30*time.Second)
	}
	round(2)
	round(4)

	ctx := context.Background()
	if n, err := srv.Series(ctx, p99PerStep); err != nil || n != len(Steps) {
		t.Errorf("p99 per step: %d series (%v), want one per step (%d)", n, err, len(Steps))
	}
	p99, err := srv.Query(ctx, `max(`+p99PerStep+`)`)
	if err != nil || p99 <= 0 || p99 > stepBuckets[len(stepBuckets)-1] {
		t.Errorf("largest p99 %v (%v), want a duration within the buckets", p99, err)
	}
	if n, err := srv.Series(ctx, errorRate); err != nil || n != 1 {
		t.Errorf("error rate: %d series (%v), want only execute_user_code's", n, err)
	}
	srv.WaitFor(t, `count(ALERTS{alertname="TaskstepsStepsError",alertstate="firing",step="execute_user_code",error_type="user_code",severity="critical"})`, 1, 30*time.Second)
	if n, err := srv.Series(ctx, `ALERTS{alertname="TaskstepsStepsError",step!="execute_user_code"}`); err != nil || n != 0 {
		t.Errorf("the failed-step alert fired for %d other steps (%v)", n, err)
	}
	if rate, err := srv.Query(ctx, `(`+errorRate+`) and on (step) label_replace(vector(1), "step", "execute_user_code", "", "")`); err != nil || rate != 0.5 {
		t.Errorf("execute_user_code's error rate %v (%v), want 0.5", rate, err)
	}
}
