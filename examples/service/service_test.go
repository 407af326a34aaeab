package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

var listenRe = regexp.MustCompile(`listening on (http://[0-9.]+:[0-9]+)`)

// waitListening waits until the service prints where it listens.
func waitListening(t *testing.T, stderr *testutil.SyncBuffer, exited <-chan struct{}) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRe.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case <-exited:
			t.Fatalf("the service exited before listening; stderr:\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("the service did not print its address; stderr:\n%s", stderr.String())
	return ""
}

// waitReady polls /healthz until it answers 200.
func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the service did not become ready in 30s")
}

// call makes one request with the given request id and decodes the JSON
// answer into out; it returns the status and the X-Request-Id answered.
func call(t *testing.T, method, url, requestID string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %v in %q", method, url, err, body)
		}
	}
	return resp.StatusCode, resp.Header.Get("X-Request-Id")
}

func scrape(t *testing.T, url string) ([]byte, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return body, fams
}

// sample returns the value of the family's single sample: a counter's value
// or a histogram's count.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok || len(f.Metric) != 1 {
		t.Fatalf("%s: missing or not one series", name)
	}
	m := f.Metric[0]
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	if m.Histogram != nil {
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatalf("%s is neither a counter nor a histogram", name)
	return 0
}

// catalogFamilies lists the family name of every instrument of the catalog,
// with its kind.
// catalogFamilies returns the families of the built-in catalog that exist
// from the start. A labeled family (writes_failed_total{error_type}) has no
// series, and so is not exported, until its first event.
func catalogFamilies() map[string]metrics.InstrumentKind {
	out := map[string]metrics.InstrumentKind{}
	for _, in := range shardyfusion.Catalog.Instruments() {
		if len(in.Labels) == 0 {
			out["shardyfusion_"+in.Name] = in.Kind
		}
	}
	return out
}

// TestService builds the service, starts it on a free port with a small
// snapshot, and checks its HTTP API, its /metrics (promtool, every catalog
// instrument, the counts the first write implies, a real Prometheus scraping
// it) and its logs (NDJSON, request ids), then stops it with SIGTERM.
func TestService(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service")
	}
	const rows, shards, batch = 20000, 8, 500
	// go test puts its own toolchain's bin directory first on PATH.
	bin := filepath.Join(t.TempDir(), "service")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "-data", data, "-addr", "127.0.0.1:0",
		"-rows", fmt.Sprint(rows), "-shards", fmt.Sprint(shards), "-batch", fmt.Sprint(batch),
		"-rewrite", "0", "-refresh", "0", "-read-every", "50ms", "-write-rate", "200000")
	var stdout, stderr testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)
	addr := strings.TrimPrefix(url, "http://")

	// The HTTP API.
	var got struct {
		Key      string          `json:"key"`
		Found    bool            `json:"found"`
		Value    json.RawMessage `json:"value"`
		Snapshot string          `json:"snapshot"`
	}
	status, rid := call(t, "GET", url+"/get?key=user:00000042", "e2e-get-42", &got)
	if status != 200 || !got.Found || rid != "e2e-get-42" {
		t.Fatalf("GET /get?key=user:00000042: %d %+v, request id %q", status, got, rid)
	}
	var v struct{ ID, Generation int }
	if err := json.Unmarshal(got.Value, &v); err != nil || v.ID != 42 || v.Generation != 1 {
		t.Fatalf("value %s: %+v %v", got.Value, v, err)
	}
	status, missRID := call(t, "GET", url+"/get?key=user:99999999", "", &got)
	if status != 404 || got.Found || len(missRID) != 16 {
		t.Fatalf("GET of a missing key: %d %+v, generated request id %q", status, got, missRID)
	}
	var multi struct {
		Results []struct {
			Key   string `json:"key"`
			Found bool   `json:"found"`
		} `json:"results"`
	}
	if status, _ := call(t, "GET", url+"/get?key=user:00000001&key=nope&key=user:00019999", "e2e-multi", &multi); status != 200 ||
		len(multi.Results) != 3 || !multi.Results[0].Found || multi.Results[1].Found || !multi.Results[2].Found {
		t.Fatalf("multi-get: %d %+v", status, multi)
	}
	var ref struct {
		Changed bool  `json:"changed"`
		Rows    int64 `json:"rows"`
	}
	if status, _ := call(t, "POST", url+"/refresh", "e2e-refresh", &ref); status != 200 || ref.Changed || ref.Rows != rows {
		t.Fatalf("POST /refresh: %d %+v", status, ref)
	}
	if status, _ := call(t, "GET", url+"/refresh", "", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /refresh: %d, want 405", status)
	}

	// /metrics: promtool finds nothing, every instrument of the catalog is
	// there, and the counts are those of one write of the demo.
	body, fams := scrape(t, url)
	promserver.CheckMetrics(t, body)
	for name, kind := range catalogFamilies() {
		f, ok := fams[name]
		if !ok {
			t.Errorf("/metrics lacks %s", name)
			continue
		}
		if want := map[metrics.InstrumentKind]dto.MetricType{metrics.Counter: dto.MetricType_COUNTER, metrics.Histogram: dto.MetricType_HISTOGRAM}[kind]; f.GetType() != want {
			t.Errorf("%s is a %v, want %v", name, f.GetType(), want)
		}
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("/metrics lacks %s (Go and process collectors)", name)
		}
	}
	// Batches per shard follow from the shard sizes in the manifest.
	cur, err := os.ReadFile(filepath.Join(data, shardkv.CurrentName))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join(data, strings.TrimSpace(string(cur))))
	if err != nil {
		t.Fatal(err)
	}
	var m shardkv.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	batches := 0
	for _, s := range m.Shards {
		batches += int(s.Rows+batch-1) / batch
	}
	exact := map[string]float64{
		"writes_started_total":                1,
		"writes_completed_total":              1,
		"write_duration_seconds":              1,
		"sharding_duration_seconds":           1,
		"rows_written_total":                  rows,
		"shard_writes_started_total":          shards,
		"shard_writes_completed_total":        shards,
		"shard_write_duration_seconds":        shards,
		"shard_rows_written_total":            rows,
		"shard_writes_phase_duration_seconds": 1,
		"batches_written_total":               float64(batches),
		"batch_rows_total":                    rows,
		"manifests_published_total":           1,
		"current_published_total":             1,
		// -faults: every fifth shard upload fails once; 8 shards meet one.
		"s3_retries_total":                    1,
		"s3_retry_delay_seconds":              1,
		"s3_retries_exhausted_total":          0,
		"shard_write_retries_total":           0,
		"shard_write_retries_exhausted_total": 0,
		"reader_initialized_total":            1,
		"reader_refreshes_total":              1, // the POST; -refresh 0
		"reader_snapshot_changes_total":       0,
		"reader_closed_total":                 0,
	}
	for name, want := range exact {
		if got := sample(t, fams, "shardyfusion_"+name); got != want {
			t.Errorf("shardyfusion_%s = %v, want %v", name, got, want)
		}
	}
	atLeast := map[string]float64{
		"reader_gets_total":            2, // ours; the background loop adds more
		"reader_get_misses_total":      1,
		"reader_multi_gets_total":      1,
		"reader_multi_get_keys_total":  3,
		"rate_limiter_throttled_total": 1, // 200,000 rows/s, a burst of two batches
		"rate_limiter_wait_seconds":    1,
	}
	for name, want := range atLeast {
		if got := sample(t, fams, "shardyfusion_"+name); got < want {
			t.Errorf("shardyfusion_%s = %v, want at least %v", name, got, want)
		}
	}
	if s := fams["shardyfusion_s3_retry_delay_seconds"].Metric[0].Histogram.GetSampleSum(); s != 0.02 {
		t.Errorf("s3 retry delay sum = %v s, want the default first delay 0.02 s", s)
	}

	// A real Prometheus scrapes the service and answers for the rows written.
	srv := promserver.Start(t, addr)
	srv.WaitFor(t, "shardyfusion_rows_written_total", rows, 30*time.Second)
	srv.WaitFor(t, "shardyfusion_shard_writes_completed_total", shards, 10*time.Second)

	// SIGTERM: a clean stop.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("the service did not stop within 20s of SIGTERM")
	}
	if waitErr != nil {
		t.Fatalf("the service exited with %v; stderr:\n%s", waitErr, stderr.String())
	}

	// stdout is NDJSON; every line logged while serving a request carries
	// its request_id.
	lines := checkNDJSON(t, stdout.String())
	byRequest := map[string][]string{}
	for _, l := range lines {
		if l["logger"] == "shardyfusion.http" {
			id, _ := l["request_id"].(string)
			if id == "" {
				t.Errorf("request line without request_id: %v", l)
			}
			byRequest[id] = append(byRequest[id], eventName(l))
		}
	}
	for id, want := range map[string][]string{
		"e2e-get-42":  {"get", "request_completed"},
		missRID:       {"get", "request_completed"},
		"e2e-multi":   {"multi_get", "request_completed"},
		"e2e-refresh": {"refresh", "request_completed"},
	} {
		if got := byRequest[id]; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("lines of request %s: %v, want %v", id, got, want)
		}
	}
	events := map[string]int{}
	for _, l := range lines {
		events[eventName(l)]++
	}

	// The event log: one file for the one write, named by its run id,
	// complete, with the figures of the metrics above.
	list, err := runs.ListRuns(filepath.Join(data, "events"))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].RunID() != m.RunID || list[0].Status != runs.StatusCompleted {
		t.Fatalf("event log runs %+v, want one completed run %s", list, m.RunID)
	}
	if s := list[0].Summary; s.Rows.Written != rows || s.Shards.Completed != shards || s.Retries.S3Retries != 1 || s.Reader.Gets.Count != 0 || s.Dropped != 0 {
		t.Errorf("event log summary: rows %d, shards %d, s3 retries %d, reader gets %d, dropped %d; want %d, %d, 1, 0, 0",
			s.Rows.Written, s.Shards.Completed, s.Retries.S3Retries, s.Reader.Gets.Count, s.Dropped, rows, shards)
	}
	for _, e := range []string{"service_listening", "write_started", "write_completed", "reader_initialized", "service_ready", "reader_closed", "service_stopped"} {
		if events[e] != 1 {
			t.Errorf("%d %s lines, want 1", events[e], e)
		}
	}
	if events["storage_retry"] != 1 {
		t.Errorf("%d storage_retry lines, want 1", events["storage_retry"])
	}
}

// eventName returns a log line's event: "event" in the flat format,
// "message" in ECS, "msg" from slog's own JSON handler.
func eventName(l map[string]any) string {
	for _, k := range []string{"event", "message", "msg"} {
		if s, ok := l[k].(string); ok {
			return s
		}
	}
	return ""
}

// checkNDJSON checks that out is one JSON object per line and returns them.
func checkNDJSON(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		if err := dec.Decode(&m); err != nil || dec.More() {
			t.Fatalf("stdout line is not one JSON object (%v): %s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	if len(lines) < 10 {
		t.Fatalf("only %d log lines on stdout:\n%s", len(lines), out)
	}
	return lines
}

// TestRunLoops runs the service in-process with fast loops and ECS logs: the background
// re-writes, with their injected faults, move every retry counter, the
// reader follows the new snapshots, and cancelling the context stops run
// cleanly.
func TestRunLoops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan error, 1)
	exited := make(chan struct{})
	data := t.TempDir()
	go func() {
		done <- run(ctx, []string{"-data", data, "-addr", "127.0.0.1:0", "-rows", "3000", "-shards", "4",
			"-batch", "200", "-rewrite", "150ms", "-refresh", "50ms", "-read-every", "20ms", "-keep", "2",
			"-log-format", "ecs"}, &stdout, &stderr)
		close(exited)
	}()
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)

	deadline := time.Now().Add(20 * time.Second)
	var fams map[string]*dto.MetricFamily
	for {
		_, fams = scrape(t, url)
		if sample(t, fams, "shardyfusion_writes_completed_total") >= 3 &&
			sample(t, fams, "shardyfusion_reader_snapshot_changes_total") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the loops did not re-write and refresh in 20s; stdout:\n%s", stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// From the second write on, shard 3 fails four times: three s3.retry and
	// one s3.retry_exhausted, then one write.shard.retried.
	for _, name := range []string{"s3_retries_exhausted_total", "shard_write_retries_total", "shard_write_backoff_seconds", "reader_multi_gets_total"} {
		if sample(t, fams, "shardyfusion_"+name) < 1 {
			t.Errorf("shardyfusion_%s did not move", name)
		}
	}
	// milestone's own health is on /metrics too.
	for _, name := range []string{"milestone_events_dropped_total", "milestone_events_lost_total", "milestone_write_errors_total",
		"milestone_log_lines_failed_total", "milestone_invalid_values_total", "milestone_collector_panics_total", "milestone_label_overflows_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	var h struct {
		Snapshot string `json:"snapshot"`
	}
	if status, _ := call(t, "GET", url+"/healthz", "", &h); status != http.StatusOK {
		t.Fatalf("GET /healthz: %d", status)
	}
	cancel()
	waitRunReturns(t, done)
	// -log-format ecs: ECS lines, and the writer's lines carry run_id.
	lines := checkNDJSON(t, stdout.String())
	runIDs := map[string]bool{}
	for _, l := range lines {
		for _, k := range []string{"@timestamp", "log.level", "message", "ecs.version", "log.logger"} {
			if _, ok := l[k]; !ok {
				t.Fatalf("ECS line without %s: %v", k, l)
			}
		}
		if l["log.logger"] == "shardyfusion.writer" {
			id, _ := l["run_id"].(string)
			if id == "" {
				t.Fatalf("writer line without run_id: %v", l)
			}
			runIDs[id] = true
		}
	}
	if len(runIDs) < 3 {
		t.Errorf("writer lines of %d runs, want at least 3", len(runIDs))
	}
	if !runIDs[h.Snapshot] {
		t.Errorf("/healthz serves snapshot %q, which no writer line names", h.Snapshot)
	}
	// Every write has its event log, named by its run id, whatever -keep
	// pruned; the re-writes show shard 3's exhausted uploads and retry.
	list, err := runs.ListRuns(filepath.Join(data, "events"))
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, r := range list {
		if !runIDs[r.RunID()] {
			t.Errorf("event log of run %q, which no writer line names", r.RunID())
		}
		if r.Status == runs.StatusCompleted && r.Summary.Retries.ShardRetries == 1 && r.Summary.Retries.S3Exhausted == 1 {
			retried++
		}
	}
	if len(list) < len(runIDs)-1 || retried < 1 {
		t.Errorf("%d event logs for %d writes (the last may still be running), %d with shard 3's retry", len(list), len(runIDs), retried)
	}
	// -keep 2: old snapshots were pruned.
	entries, err := os.ReadDir(filepath.Join(data, "runs"))
	if err != nil || len(entries) > 3 {
		t.Errorf("%d runs on disk with -keep 2 (%v)", len(entries), err)
	}
	if !strings.Contains(stdout.String(), `"reader_closed"`) {
		t.Error("no reader_closed line after cancel")
	}
}

// TestGetRateLimited: with -read-rate 1 the reader takes one key per
// second, in bursts of one, and waits 50 ms at most. A two-key /get can
// never be served: it is refused up front with 413, saying why, logged as a
// refusal and not as a failure, and never reaches the limiter. A lookup
// right after another one is refused with 429 and counted as
// rate_limiter.denied.
func TestGetRateLimited(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- run(ctx, []string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-rows", "1000", "-shards", "2",
			"-rewrite", "0", "-refresh", "0", "-read-every", "0", "-faults=false", "-read-rate", "1"}, &stdout, &stderr)
		close(exited)
	}()
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)

	var e errorBody
	if status, _ := call(t, "GET", url+"/get?key=user:00000001&key=user:00000002", "", &e); status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(e.Error, "exceed the read rate limiter's burst of 1") {
		t.Errorf("two-key /get over a burst of one: %d %q, want 413 saying why", status, e.Error)
	}
	if status, _ := call(t, "GET", url+"/get?key=user:00000001", "", nil); status != http.StatusOK {
		t.Errorf("first one-key /get: %d, want 200", status)
	}
	if status, _ := call(t, "GET", url+"/get?key=user:00000002", "rate-limited", &e); status != http.StatusTooManyRequests {
		t.Errorf("second one-key /get within the second: %d %q, want 429", status, e.Error)
	}
	_, fams := scrape(t, url)
	for name, want := range map[string]float64{
		"rate_limiter_denied_total": 1,
		"reader_gets_total":         1,
		"reader_multi_gets_total":   0,
	} {
		if got := sample(t, fams, "shardyfusion_"+name); got != want {
			t.Errorf("shardyfusion_%s = %v, want %v", name, got, want)
		}
	}
	cancel()
	waitRunReturns(t, done)
	failed, refused := 0, 0
	for _, l := range checkNDJSON(t, stdout.String()) {
		if eventName(l) == "get_refused" {
			refused++
			if l["level"] != "INFO" || l["reason"] != "exceeds_burst" {
				t.Errorf("get_refused line: %v, want INFO, exceeds_burst", l)
			}
		}
		if eventName(l) == "get_failed" {
			failed++
			if l["level"] != "WARN" || l["severity"] != "transient" {
				t.Errorf("get_failed line: %v, want WARN, transient", l)
			}
		}
	}
	if failed != 1 || refused != 1 {
		t.Errorf("%d get_failed and %d get_refused lines, want 1 and 1", failed, refused)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-log-format", "xml"},
		{"-rows", "0"},
		{"-shards", "-2"},
		{"-keep", "0"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "-")) && args[0] != "extra" {
			t.Errorf("run(%q) = %v, want an error naming the flag", args, err)
		}
	}
}

// waitRunReturns waits for run, cancelled, to return nil.
func waitRunReturns(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return within 20s of cancel")
	}
}

// TestEventLogsStayBounded: with -events-keep 2, the re-writes' event logs
// are pruned to the 2 newest, and the removals are on /metrics.
func TestEventLogsStayBounded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan error, 1)
	exited := make(chan struct{})
	data := t.TempDir()
	go func() {
		done <- run(ctx, []string{"-data", data, "-addr", "127.0.0.1:0", "-rows", "1000", "-shards", "2",
			"-batch", "200", "-rewrite", "50ms", "-read-every", "0", "-events-keep", "2"}, &stdout, &stderr)
		close(exited)
	}()
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, fams := scrape(t, url)
		if sample(t, fams, "milestone_eventlog_runs_removed_total") >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no runs removed in 30 s; stdout:\n%s", stdout.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	waitRunReturns(t, done)
	entries, err := os.ReadDir(filepath.Join(data, "events"))
	if err != nil {
		t.Fatal(err)
	}
	// Close applies the retention once more, after every run's file
	// closed: the 2 kept, whatever ended after the last periodic prune.
	if len(entries) > 2 {
		t.Errorf("%d runs in the event-log directory, want at most 2", len(entries))
	}
	if !strings.Contains(stdout.String(), "event_log_runs_removed") {
		t.Error("no event_log_runs_removed line")
	}
}

// TestHTTPServerTimeouts: the server has every timeout a public Go server
// should, and an idle keep-alive connection is closed once IdleTimeout
// passes.
func TestHTTPServerTimeouts(t *testing.T) {
	s := &service{cfg: &config{}, log: slog.New(slog.DiscardHandler), httpLog: slog.New(slog.DiscardHandler), registry: prometheus.NewRegistry()}
	srv := s.httpServer(context.Background())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("timeouts: header %v, read %v, write %v, idle %v, max header %d", srv.ReadHeaderTimeout, srv.ReadTimeout,
			srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	prev := serverTimeouts
	serverTimeouts.idle = 200 * time.Millisecond
	t.Cleanup(func() { serverTimeouts = prev })
	srv = s.httpServer(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the idle connection was not closed: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the idle connection was closed after %v, want about 200 ms", d)
	}
}

// TestShutdownLogsFlushFailuresBeforeTheLastLine: a metrics flush that
// fails at shutdown is logged before service_stopped, which is the last
// line.
func TestShutdownLogsFlushFailuresBeforeTheLastLine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan error, 1)
	exited := make(chan struct{})
	// The event log under a regular file: every write of it fails, so the
	// shutdown flush reports the lost events.
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		done <- run(ctx, []string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-rows", "500", "-shards", "2",
			"-rewrite", "0", "-read-every", "0", "-events", filepath.Join(blocker, "events")}, &stdout, &stderr)
		close(exited)
	}()
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)
	cancel()
	waitRunReturns(t, done)
	lines := checkNDJSON(t, stdout.String())
	var names []string
	for _, l := range lines {
		names = append(names, eventName(l))
	}
	flush := slices.Index(names, "metrics_flush_failed")
	if flush < 0 || names[len(names)-1] != "service_stopped" || flush > len(names)-1 {
		t.Errorf("shutdown lines %v: want metrics_flush_failed before service_stopped, the last", names[max(0, len(names)-6):])
	}
}

// TestTheDemoServesItsRunExplorer: /explore/ lists the writes, and a
// write's page has its timeline, under the demo's own server.
func TestTheDemoServesItsRunExplorer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- run(ctx, []string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-rows", "2000", "-shards", "3",
			"-rewrite", "0", "-read-every", "0"}, &stdout, &stderr)
		close(exited)
	}()
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)
	get := func(u string) string {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
		}
		return string(b)
	}
	body := get(url + "/explore/")
	i := strings.Index(body, `href="runs/`)
	if i < 0 {
		t.Fatalf("the explorer lists no run:\n%s", body)
	}
	link := body[i+len(`href="`):]
	link = link[:strings.IndexByte(link, '"')]
	page := get(url + "/explore/" + link)
	if !strings.Contains(page, `<svg class="gantt"`) || !strings.Contains(page, "write.shards_completed") || !strings.Contains(page, `href="../static/style.css"`) {
		t.Errorf("a write's page:\n%s", page)
	}
	if css := get(url + "/explore/static/style.css"); !strings.Contains(css, "svg.gantt") {
		t.Errorf("the stylesheet: %q", css)
	}
	if !strings.Contains(get(url+"/"), "/explore/") {
		t.Error("the index does not name /explore/")
	}
	cancel()
	waitRunReturns(t, done)
}
