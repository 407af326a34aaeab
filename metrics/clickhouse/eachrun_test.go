package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// writeRuns writes n runs of per events each into s's table.
func writeRuns(t *testing.T, s *chserver.Server, n, per int) {
	t.Helper()
	c := newCollector(t, s)
	for r := range n {
		ctx := runctx.With(context.Background(), fmt.Sprintf("run-%03d", r))
		for i := range per {
			metrics.Emit(ctx, c, shardyfusion.BatchWritten{DBID: r, BatchSize: i})
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestEachRunHandsOnEveryRunOnce reads a table of 40 runs a run at a time:
// in run-id order, each whole; an error from the callback stops the
// reading; and when the first server's answer is cut off midway (a proxy
// to the real server that closes the connection after 512 KiB, several runs in), the second
// server goes on from the run after the last whole one, so that every run
// is handed on once.
func TestEachRunHandsOnEveryRunOnce(t *testing.T) {
	s := chserver.Start(t)
	const n, per = 40, 300
	writeRuns(t, s, n, per)
	ctx := context.Background()

	seen := func(t *testing.T, opts ...clickhouse.Option) []string {
		t.Helper()
		var ids []string
		err := clickhouse.EachRun(ctx, func(id string, lines []byte) error {
			if got := strings.Count(string(lines), "\n"); got != per {
				t.Errorf("run %s handed on with %d lines, want %d", id, got, per)
			}
			ids = append(ids, id)
			return nil
		}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	checkAll := func(t *testing.T, ids []string) {
		t.Helper()
		if len(ids) != n {
			t.Fatalf("%d runs handed on, want %d: %v", len(ids), n, ids)
		}
		for i, id := range ids {
			if want := fmt.Sprintf("run-%03d", i); id != want {
				t.Fatalf("run %d is %s, want %s (every run once, in order)", i, id, want)
			}
		}
	}
	checkAll(t, seen(t, clickhouse.WithURL(s.URL)))

	stop := errors.New("enough")
	calls := 0
	err := clickhouse.EachRun(ctx, func(string, []byte) error {
		if calls++; calls == 3 {
			return stop
		}
		return nil
	}, clickhouse.WithURL(s.URL))
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("after the callback's error: %v, %d calls; want it returned after 3", err, calls)
	}

	var cuts atomic.Int32
	proxy := cuttingProxy(t, s.URL, 512<<10, &cuts)
	checkAll(t, seen(t, clickhouse.WithURL(proxy, s.URL)))
	if cuts.Load() != 1 {
		t.Errorf("the proxy cut %d answers, want 1", cuts.Load())
	}
}

// cuttingProxy forwards requests to target and, on the first answer
// longer than limit bytes, closes the connection after limit bytes.
func cuttingProxy(t *testing.T, target string, limit int64, cuts *atomic.Int32) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+u.Host+r.URL.RequestURI(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		if cuts.Load() > 0 {
			_, _ = io.Copy(w, resp.Body)
			return
		}
		if n, _ := io.CopyN(w, resp.Body, limit); n < limit {
			return // short answer: whole
		}
		cuts.Add(1)
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
