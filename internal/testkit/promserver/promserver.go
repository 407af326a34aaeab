package promserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/serverproc"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// ReadyTimeout bounds how long Start waits for the server to be ready.
const ReadyTimeout = 60 * time.Second

// Require returns the path of the prometheus binary. When it is not on PATH
// it skips t, or fails it when the environment variable CI is set.
func Require(t testing.TB) string {
	t.Helper()
	return require(t, "prometheus")
}

// RequirePromtool returns the path of the promtool binary. When it is not on
// PATH it skips t, or fails it when the environment variable CI is set.
func RequirePromtool(t testing.TB) string {
	t.Helper()
	return require(t, "promtool")
}

func require(t testing.TB, name string) string {
	t.Helper()
	return serverproc.Find(t, "install the Debian package prometheus", name)
}

// CheckMetrics runs promtool check metrics on text, metrics in the
// Prometheus text exposition format, and fails t when promtool reports
// anything or exits with an error. It skips or fails t as RequirePromtool
// does when promtool is absent.
func CheckMetrics(t testing.TB, text []byte) {
	t.Helper()
	out, err := checkMetrics(RequirePromtool(t), text)
	if err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// CheckRules runs promtool check rules on the rule files at paths and
// fails t when promtool does not report SUCCESS. It skips or fails t as
// RequirePromtool does when promtool is absent.
func CheckRules(t testing.TB, paths ...string) {
	t.Helper()
	out, err := exec.Command(RequirePromtool(t), append([]string{"check", "rules"}, paths...)...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
		t.Errorf("promtool check rules %v: %v\n%s", paths, err, out)
	}
}

// checkMetrics returns what promtool check metrics printed about text.
func checkMetrics(promtool string, text []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	return bytes.TrimSpace(out), err
}

// Server is a prometheus process started by Start.
type Server struct {
	// URL is the server's base URL, such as "http://127.0.0.1:41234".
	URL string
	// Dir is the temporary directory holding the configuration and the
	// storage; it is removed when the test ends.
	Dir string

	proc *serverproc.Process
}

// Start starts prometheus on 127.0.0.1 with a free port, a temporary
// storage directory and a configuration that scrapes every target (host:port,
// path /metrics) each second under the job "test". It waits until the server
// is ready and stops it when t ends. It skips or fails t as Require does when
// prometheus is absent.
func Start(t testing.TB, targets ...string) *Server {
	t.Helper()
	return StartConfig(t, Config{Targets: map[string][]string{"test": targets}})
}

// Config is what StartConfig writes into prometheus.yml.
type Config struct {
	// Targets maps a job name to its scrape targets (host:port).
	Targets map[string][]string
	// RuleFiles are rule files to load (absolute paths).
	RuleFiles []string
	// Alertmanager is the host:port of an Alertmanager to send alerts to.
	Alertmanager string
	// Features are feature flags to enable (--enable-feature), such as
	// "exemplar-storage".
	Features []string
}

// StartConfig starts prometheus with cfg, scraping and evaluating every
// second, and stops it when t ends.
func StartConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	bin := Require(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, cfg.yaml(), 0o644); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(t, bin, dir, config, cfg.Features)
		if err == nil {
			return s
		}
		lastErr = err // most likely the free port was taken meanwhile
	}
	t.Fatalf("promserver: starting prometheus: %v", lastErr)
	return nil
}

func (c Config) yaml() []byte {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	if len(c.RuleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range c.RuleFiles {
			b.WriteString("  - " + strconv.Quote(f) + "\n")
		}
	}
	if c.Alertmanager != "" {
		b.WriteString("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [" + strconv.Quote(c.Alertmanager) + "]\n")
	}
	b.WriteString("scrape_configs:\n")
	jobs := make([]string, 0, len(c.Targets))
	for job := range c.Targets {
		jobs = append(jobs, job)
	}
	sort.Strings(jobs)
	for _, job := range jobs {
		b.WriteString("  - job_name: " + strconv.Quote(job) + "\n    static_configs:\n      - targets: [")
		for i, target := range c.Targets[job] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(target))
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

func start(t testing.TB, bin, dir, config string, features []string) (*Server, error) {
	t.Helper()
	addr, err := testutil.FreeAddr()
	if err != nil {
		return nil, err
	}
	storage, err := os.MkdirTemp(dir, "data-")
	if err != nil {
		return nil, err
	}
	args := []string{"--config.file=" + config, "--storage.tsdb.path=" + storage, "--web.listen-address=" + addr}
	if len(features) > 0 {
		args = append(args, "--enable-feature="+strings.Join(features, ","))
	}
	proc, err := serverproc.Start(bin, dir, args...)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + addr, Dir: dir, proc: proc}
	if err := proc.WaitReady(ReadyTimeout, func() bool { return serverproc.HTTPOK(s.URL + "/-/ready") }); err != nil {
		proc.Stop(stopGrace)
		return nil, fmt.Errorf("%w\nprometheus output:\n%s", err, proc.Output())
	}
	t.Cleanup(func() {
		proc.Stop(stopGrace)
		if t.Failed() {
			t.Logf("prometheus output:\n%s", proc.Output())
		}
	})
	return s, nil
}

// stopGrace is how long a server has to stop on SIGTERM before it is killed.
const stopGrace = 15 * time.Second

// queryResponse is the part of an /api/v1/query answer Query reads.
type queryResponse struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// ErrNoResult is returned by Query when the expression selects nothing (yet).
var ErrNoResult = errors.New("promserver: the query returned no sample")

// Query runs expr as an instant query through the HTTP API and returns its
// value. The result must be a scalar or a vector of exactly one sample; an
// empty vector returns ErrNoResult.
func (s *Server) Query(ctx context.Context, expr string) (float64, error) {
	qr, err := s.query(ctx, expr)
	if err != nil {
		return 0, err
	}
	var pair [2]any // [unix time, "value"]
	switch qr.Data.ResultType {
	case "scalar":
		if err := json.Unmarshal(qr.Data.Result, &pair); err != nil {
			return 0, err
		}
	case "vector":
		var vec []struct {
			Value [2]any `json:"value"`
		}
		if err := json.Unmarshal(qr.Data.Result, &vec); err != nil {
			return 0, err
		}
		switch len(vec) {
		case 0:
			return 0, ErrNoResult
		case 1:
			pair = vec[0].Value
		default:
			return 0, fmt.Errorf("promserver: query %q returned %d samples, want 1", expr, len(vec))
		}
	default:
		return 0, fmt.Errorf("promserver: query %q returned a %s, want a scalar or vector", expr, qr.Data.ResultType)
	}
	str, ok := pair[1].(string)
	if !ok {
		return 0, fmt.Errorf("promserver: query %q: unexpected value %v", expr, pair[1])
	}
	return strconv.ParseFloat(str, 64)
}

// query runs expr as an instant query through the HTTP API and returns the
// successful answer.
func (s *Server) query(ctx context.Context, expr string) (*queryResponse, error) {
	var qr queryResponse
	if _, err := serverproc.GetJSON(ctx, s.URL+"/api/v1/query?"+url.Values{"query": {expr}}.Encode(), &qr); err != nil {
		return nil, fmt.Errorf("promserver: query %q: %w", expr, err)
	}
	if qr.Status != "success" {
		return nil, fmt.Errorf("promserver: query %q: %s", expr, qr.Error)
	}
	return &qr, nil
}

// Series runs expr as an instant query and returns how many series (or 1
// for a scalar) it selects.
func (s *Server) Series(ctx context.Context, expr string) (int, error) {
	qr, err := s.query(ctx, expr)
	if err != nil {
		return 0, err
	}
	if qr.Data.ResultType == "scalar" {
		return 1, nil
	}
	var vec []json.RawMessage
	if err := json.Unmarshal(qr.Data.Result, &vec); err != nil {
		return 0, err
	}
	return len(vec), nil
}

// WaitFor runs expr every 200 ms until it returns want (within a relative
// error of 1e-9) and returns it; it fails t when timeout passes first,
// reporting the last value or error.
func (s *Server) WaitFor(t testing.TB, expr string, want float64, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var (
		got float64
		err error
	)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err = s.Query(ctx, expr)
		cancel()
		if err == nil && near(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("promserver: %s: no value %v after %v: %v", expr, want, timeout, err)
	}
	t.Fatalf("promserver: %s = %v after %v, want %v", expr, got, timeout, want)
	return got
}

func near(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// Exemplar is one exemplar /api/v1/query_exemplars returns.
type Exemplar struct {
	// Series is the labels of the series (the bucket) it belongs to.
	Series map[string]string
	// Labels are its own labels (trace_id, span_id).
	Labels map[string]string
	Value  float64
}

// Exemplars returns the exemplars of the series expr selects over the last
// hour (Prometheus keeps them only with the exemplar-storage feature).
func (s *Server) Exemplars(ctx context.Context, expr string) ([]Exemplar, error) {
	now := time.Now()
	q := url.Values{"query": {expr}, "start": {strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)},
		"end": {strconv.FormatInt(now.Add(time.Minute).Unix(), 10)}}
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   []struct {
			SeriesLabels map[string]string `json:"seriesLabels"`
			Exemplars    []struct {
				Labels map[string]string `json:"labels"`
				Value  string            `json:"value"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	if _, err := serverproc.GetJSON(ctx, s.URL+"/api/v1/query_exemplars?"+q.Encode(), &body); err != nil {
		return nil, fmt.Errorf("query_exemplars %s: %w", expr, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query_exemplars %s: %s", expr, body.Error)
	}
	var out []Exemplar
	for _, d := range body.Data {
		for _, e := range d.Exemplars {
			v, _ := strconv.ParseFloat(e.Value, 64)
			out = append(out, Exemplar{Series: d.SeriesLabels, Labels: e.Labels, Value: v})
		}
	}
	return out, nil
}
