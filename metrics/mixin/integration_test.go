package mixin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/metrics/mixin"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// workload runs the demo's writer and reader against a prom collector
// served on its own /metrics, and returns the target's host:port. With
// faults, shard 1's uploads always fail, so the second write fails.
func workload(t *testing.T, faults bool) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	pc, err := prom.New(prom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	if _, err := shardkv.Write(ctx, dir, shardkv.SampleRows(2000), shardkv.WriteOptions{NumShards: 2, Collector: pc, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	r, err := shardkv.Open(ctx, dir, shardkv.ReadOptions{Collector: pc, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		_, _, _ = r.Get(ctx, []byte(fmt.Sprintf("key-%06d", i*7)))
	}
	_, _ = r.MultiGet(ctx, [][]byte{[]byte("key-000001"), []byte("nope")})
	_, _ = r.Refresh(ctx)
	if faults {
		f := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 1000)
		_, err := shardkv.Write(ctx, dir, shardkv.SampleRows(2000), shardkv.WriteOptions{
			NumShards: 2, Collector: pc, Logger: quiet, Faults: f,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
			ShardRetry:   shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
		})
		if err == nil {
			t.Fatal("the faulty write succeeded")
		}
	}
	_ = r.Close()
	return strings.TrimPrefix(srv.URL, "http://")
}

// webhookAlert is what Alertmanager posts for one alert.
type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// TestAlertsAgainstPrometheusAndAlertmanager loads the mixin into a real
// Prometheus that scrapes a faulty and a clean run of the demo's workload
// and sends its alerts to a real Alertmanager: the write-failing alert of
// the faulty job reaches the test's webhook with its labels and
// annotations, the clean job's never fires, and every recording rule and
// dashboard query returns data.
func TestAlertsAgainstPrometheusAndAlertmanager(t *testing.T) {
	promserver.Require(t)
	var mu sync.Mutex
	var received []webhookAlert
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Alerts []webhookAlert `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err == nil {
			mu.Lock()
			received = append(received, msg.Alerts...)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	am := promserver.StartAlertmanager(t, hook.URL)

	faulty, clean := workload(t, true), workload(t, false)
	dir := t.TempDir()
	files, err := mixin.Generate(shardyfusion.Catalog, shardyfusion.MixinConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := files.Write(dir); err != nil {
		t.Fatal(err)
	}
	p := promserver.StartConfig(t, promserver.Config{
		Targets:      map[string][]string{"faulty": {faulty}, "clean": {clean}},
		RuleFiles:    []string{filepath.Join(dir, "alerts.yaml"), filepath.Join(dir, "rules.yaml")},
		Alertmanager: am.Addr,
	})

	find := func(name, job string) (webhookAlert, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range received {
			if a.Labels["alertname"] == name && a.Labels["job"] == job {
				return a, true
			}
		}
		return webhookAlert{}, false
	}
	deadline := time.Now().Add(60 * time.Second)
	var got webhookAlert
	for {
		var ok bool
		if got, ok = find("ShardyfusionWritesFailed", "faulty"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ShardyfusionWritesFailed did not reach the webhook in 60 s; received %+v", received)
		}
		time.Sleep(200 * time.Millisecond)
	}
	want := map[string]string{"alertname": "ShardyfusionWritesFailed", "severity": "critical", "job": "faulty", "error_type": "injected_fault"}
	for k, v := range want {
		if got.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, got.Labels[k], v, got.Labels)
		}
	}
	if got.Status != "firing" || got.Annotations["summary"] != "faulty: sharded writes that failed or were cancelled, by error type" ||
		!strings.HasPrefix(got.Annotations["description"], "1 write.failed events in the last 5m (shardyfusion_writes_failed_total, error_type=injected_fault).") ||
		got.Annotations["runbook_url"] != "https://github.com/milestone-go/milestone/blob/main/mixin/runbook.md#shardyfusionwritesfailed" {
		t.Errorf("alert %+v", got)
	}
	// The exhausted retries of the same write fire too.
	for _, name := range []string{"ShardyfusionShardWriteRetriesExhausted", "ShardyfusionS3RetriesExhausted"} {
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, ok := find(name, "faulty"); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s did not reach the webhook", name)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// The clean job fires nothing, neither at the webhook nor in ALERTS.
	time.Sleep(3 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n, err := p.Series(ctx, `ALERTS{job="clean"}`); err != nil || n != 0 {
		t.Errorf("ALERTS of the clean job: %d series (%v), want none", n, err)
	}
	mu.Lock()
	for _, a := range received {
		if a.Labels["job"] == "clean" {
			t.Errorf("the clean job fired %v", a.Labels)
		}
	}
	mu.Unlock()

	// Every recording rule and every dashboard query returns data.
	rules, _ := mixin.RecordingRules(shardyfusion.Catalog, shardyfusion.MixinConfig())
	var exprs []string
	for _, r := range rules {
		exprs = append(exprs, r.Record)
	}
	queries, err := mixin.Queries(files["dashboards/shardyfusion.json"], "1m")
	if err != nil {
		t.Fatal(err)
	}
	exprs = append(exprs, queries...)
	for _, e := range exprs {
		deadline := time.Now().Add(20 * time.Second)
		for {
			n, err := p.Series(ctx, e)
			if err == nil && n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s returned no data (%v)", e, err)
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}
