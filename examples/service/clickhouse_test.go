package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// TestServiceToClickHouse runs the service with -clickhouse: it creates the
// table, every write's events arrive, the sink's own families are on
// /metrics, and shutdown flushes the last batch.
func TestServiceToClickHouse(t *testing.T) {
	s := chserver.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- run(ctx, []string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-rows", "2000", "-shards", "4",
			"-batch", "200", "-rewrite", "100ms", "-read-every", "10ms", "-clickhouse", s.WriterURL()}, &stdout, &stderr)
		close(exited)
	}()
	url := waitListening(t, &stderr, exited)
	waitReady(t, url)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, fams := scrape(t, url)
		if sample(t, fams, "shardyfusion_writes_completed_total") >= 2 && sample(t, fams, "milestone_clickhouse_rows_sent_total") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rows sent to ClickHouse in 20s; stdout:\n%s", stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, _ := scrape(t, url)
	for _, fam := range []string{`milestone_events_dropped_total{sink="clickhouse"} 0`, `milestone_events_lost_total{sink="clickhouse"} 0`} {
		if !strings.Contains(string(body), fam) {
			t.Errorf("/metrics lacks %s", fam)
		}
	}
	cancel()
	waitRunReturns(t, done)
	completed, _ := strconv.Atoi(strings.TrimSpace(s.MustQuery(t, "SELECT count() FROM default.milestone_events WHERE event = 'write.completed' AND service = 'milestone-demo'")))
	started, _ := strconv.Atoi(strings.TrimSpace(s.MustQuery(t, "SELECT count() FROM default.milestone_events WHERE event = 'write.started'")))
	gets, _ := strconv.Atoi(strings.TrimSpace(s.MustQuery(t, "SELECT count() FROM default.milestone_events WHERE event = 'reader.get'")))
	if completed < 2 || started < completed || gets == 0 {
		t.Errorf("rows: %d write.started, %d write.completed, %d reader.get", started, completed, gets)
	}
	if strings.Contains(stdout.String(), chserver.Password) || strings.Contains(stderr.String(), chserver.Password) {
		t.Error("the password appears in the service's output")
	}
	if !strings.Contains(stdout.String(), "clickhouse_enabled") {
		t.Errorf("no clickhouse_enabled line:\n%s", stdout.String())
	}
}
