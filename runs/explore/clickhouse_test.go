package explore_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/internal/testkit/filetable"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/runs"
	"github.com/milestone-go/milestone/runs/explore"
)

// TestTheExplorerShowsClickHouseAsTheFiles writes real runs (a write with
// a retried shard, a failed one) into an event-log directory and a real
// ClickHouse table at once, and serves an explorer of each: the runs list
// shows the same runs with the same figures, and a run's page the same
// bars, nested the same way, with the same durations.
func TestTheExplorerShowsClickHouseAsTheFiles(t *testing.T) {
	s := chserver.Start(t)
	c, dir := filetable.New(t, clickhouse.WithURL(s.URL), clickhouse.WithCreateTable())
	quiet := slog.New(slog.DiscardHandler)
	for id, faults := range map[string]*shardkv.Faults{
		"retried": shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00002", 1),
		"failed":  shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00000", 9),
	} {
		_, _ = shardkv.Write(context.Background(), t.TempDir(), shardkv.SampleRows(5000), shardkv.WriteOptions{
			NumShards: 4, Collector: c, Logger: quiet, RunID: id, Faults: faults,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
		})
	}
	if err := metrics.Close(c); err != nil {
		t.Fatal(err)
	}
	serve := func(src runs.Source) string {
		h, err := explore.New(src, explore.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	files, table := serve(runs.Dir(dir)), serve(runs.ClickHouse(clickhouse.WithURL(s.URL)))

	listRow := regexp.MustCompile(`(?s)<tr class="status-[^"]*">.*?</tr>`)
	bar := regexp.MustCompile(`<g class="row" [^>]*>`)
	for _, page := range []struct {
		path string
		re   *regexp.Regexp
		min  int
	}{{"/", listRow, 2}, {"/runs/retried", bar, 6}, {"/runs/failed", bar, 2}} {
		fromFiles, fromTable := get(t, files+page.path), get(t, table+page.path)
		a, b := page.re.FindAllString(fromFiles, -1), page.re.FindAllString(fromTable, -1)
		if len(a) < page.min || !slices.Equal(a, b) {
			t.Errorf("%s: %d items from the files, %d from ClickHouse (want at least %d, the same):\nfiles %q\ntable %q", page.path, len(a), len(b), page.min, a, b)
		}
	}
}

// get returns the body of a 200 answer to GET url.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, body)
	}
	return string(body)
}
