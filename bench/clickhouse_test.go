package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// BenchmarkEmitClickHouse puts events into a local clickhouse-server that
// the benchmark starts (it skips when the binary is absent):
//
//   - sustained: metrics/clickhouse, a Flush every 10,000 events; every
//     event reaches the table, and events/s is the end-to-end rate.
//
//   - post_per_event: what the usual telemetry sink does, one goroutine and
//     one HTTP POST per event (the same row, gzip-compressed), waited for
//     at the end.
//
//     cd bench && go test -run '^$' -bench EmitClickHouse -benchmem -count 3
func BenchmarkEmitClickHouse(b *testing.B) {
	s := chserver.Start(b)
	b.Run("sustained", func(b *testing.B) { benchClickHouseSustained(b, s) })
	b.Run("post_per_event", func(b *testing.B) { benchClickHousePostPerEvent(b, s) })
}

func benchClickHouseSustained(b *testing.B, s *chserver.Server) {
	c, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithCreateTable(), clickhouse.WithTable("bench_sustained"),
		clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "bench-run")
	shardEvent.Emit(ctx, c, shardValue)
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	base := c.Stats()
	v := shardValue
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		v.DBID = i
		shardEvent.Emit(ctx, c, v)
		if i%10000 == 9999 {
			if err := c.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	st := c.Stats()
	if sent := st.Sent - base.Sent; sent != uint64(b.N) || st.Dropped+st.Lost != 0 {
		b.Fatalf("stats %+v: %d sent of %d", st, sent, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
}

func benchClickHousePostPerEvent(b *testing.B, s *chserver.Server) {
	// The table of the sustained run, so both insert the same rows.
	c, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithCreateTable(), clickhouse.WithTable("bench_post"))
	if err != nil {
		b.Fatal(err)
	}
	_ = c.Close()
	q := url.Values{}
	q.Set("query", "INSERT INTO default.bench_post FORMAT JSONEachRow")
	target := s.URL + "/?" + q.Encode()
	row := []byte(`{"ts":1764619200,"ts_ms":0,"run_id":"bench-run","seq":1,"service":"bench","host":"h","catalog":"shardyfusion","event":"write.shard.completed","code":4,"grp":"write","level":"INFO","num_keys":["elapsed_ms","db_id","row_count","duration_ms"],"str_keys":[],"message":"shard 3 written","num_values":[3000,3,5000,1500],"str_values":[]}` + "\n")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body bytes.Buffer
			zw := gzip.NewWriter(&body)
			_, _ = zw.Write(bytes.Replace(row, []byte(`"seq":1`), []byte(`"seq":`+strconv.Itoa(i+1)), 1))
			_ = zw.Close()
			req, _ := http.NewRequest(http.MethodPost, target, &body)
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != http.StatusOK {
				mu.Lock()
				failed++ // the usual sink swallows these
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
}
