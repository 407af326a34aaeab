package explore_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/browser"
	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/internal/testkit/filetable"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
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

// TestALiveClickHouseRunUpdatesItsPage: a run still being written into a
// real ClickHouse table is live in the explorer (a real browser): an event
// flushed into the table shows on the page within the table's batching
// and the source's one-second count, and once the run ends its page is no
// longer live.
func TestALiveClickHouseRunUpdatesItsPage(t *testing.T) {
	testutil.Exclusive(t) // timed: no fleet on the cores meanwhile
	s := chserver.Start(t)
	ch, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithCreateTable(),
		clickhouse.WithBatch(clickhouse.DefaultBatchRows, clickhouse.DefaultBatchBytes, 50*time.Millisecond),
		clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	flush := func() {
		if err := ch.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx := runctx.With(context.Background(), "ch-live")
	metrics.Emit(ctx, ch, shardyfusion.WriteStarted{RowsExpected: 1000})
	shard, _ := runctx.StartStep(ctx)
	metrics.Emit(shard, ch, shardyfusion.ShardWriteCompleted{DBID: 0, Rows: 10, Duration: time.Millisecond})
	flush()
	h, err := explore.New(runs.ClickHouse(clickhouse.WithURL(s.URL)), explore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close) // after the browser's cleanup has closed its event stream
	b := browser.Start(t)
	tctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.Open(tctx, srv.URL+"/runs/ch-live")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(tctx, `document.body.dataset.live && document.querySelector(".live")`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the event stream connects
	if err := p.Eval(tctx, `window.__t0 = performance.now()`, nil); err != nil {
		t.Fatal(err)
	}
	metrics.Emit(shard, ch, shardyfusion.BatchWritten{DBID: 42, BatchSize: 7})
	flush()
	if err := p.WaitFor(tctx, `document.querySelector("table.events").textContent.includes("db_id=42")`); err != nil {
		t.Fatal(err)
	}
	var took float64
	if err := p.Eval(tctx, `+document.body.dataset.updated - window.__t0`, &took); err != nil {
		t.Fatal(err)
	}
	t.Logf("the page showed the event flushed into ClickHouse %.0f ms later", took)
	if took <= 0 || took > 3000 {
		t.Errorf("the page updated %.0f ms after the event was flushed, want within 3 s (a 1 s count)", took)
	}

	metrics.Emit(ctx, ch, shardyfusion.WriteCompleted{Rows: 10})
	flush()
	if page := get(t, srv.URL+"/runs/ch-live"); strings.Contains(page, "data-live") {
		t.Error("the ended run's page is still live")
	}
}

// TestAStoppedClickHouseIsSaidPlainly: with nothing listening at the
// table's address, the list and a run's page answer 500 saying what could
// not be done and why, without the URL's password.
func TestAStoppedClickHouseIsSaidPlainly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // a stopped server: the port refuses connections
	h, err := explore.New(runs.ClickHouse(clickhouse.WithURL("http://bob:s3cret@"+addr)), explore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for path, want := range map[string]string{"/": "the runs could not be listed", "/runs/some-run": "the run could not be read"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), want) ||
			!strings.Contains(string(body), "connection refused") || strings.Contains(string(body), "s3cret") {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// TestAHungClickHouseIsATimeout: a server that takes the connection and
// never answers gives 504 once the source's timeout passes.
func TestAHungClickHouseIsATimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16) // taken, never answered
	t.Cleanup(func() {
		l.Close()
		for len(held) > 0 {
			(<-held).Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case held <- c:
			default:
				c.Close()
			}
		}
	}()
	h, err := explore.New(runs.ClickHouse(clickhouse.WithURL("http://"+l.Addr().String()), clickhouse.WithTimeout(300*time.Millisecond)),
		explore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "did not answer in time") {
		t.Errorf("GET /: %d %s", resp.StatusCode, body)
	}
}
