package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// BenchmarkEmitClickHouse puts events into a local clickhouse-server that
// the benchmark starts (it skips when the binary is absent), each
// reporting events/s end to end (every event in the table before the
// clock stops), the client process's CPU per event (cpu-ns/event: Emit,
// encoding, compression, HTTP) and the server's (server-cpu-ns/event):
//
//   - sustained: metrics/clickhouse, fed as fast as it takes events: the
//     producer waits whenever half the queue is waiting (so nothing is
//     dropped), with one Flush at the end.
//
//   - flush_every_10k: the same, with a Flush after every 10,000 events
//     (so batches of 10,000 rows, each waited for): how the benchmark ran
//     before this release.
//
//   - clickhouse_go: the same rows through clickhouse-go v2, the driver
//     most Go programs use (native protocol, PrepareBatch/Append/Send), in
//     batches of clickhouse.DefaultBatchRows.
//
//   - post_per_event: what the usual telemetry sink does, one goroutine and
//     one HTTP POST per event (the same row, gzip-compressed JSON), waited
//     for at the end.
//
//     cd bench && go test -run '^$' -bench EmitClickHouse -benchmem -count 3
func BenchmarkEmitClickHouse(b *testing.B) {
	s := chserver.Start(b)
	b.Run("sustained", func(b *testing.B) { benchClickHouseSustained(b, s, 0) })
	b.Run("flush_every_10k", func(b *testing.B) { benchClickHouseSustained(b, s, 10_000) })
	b.Run("clickhouse_go", func(b *testing.B) { benchClickHouseGo(b, s) })
	b.Run("post_per_event", func(b *testing.B) { benchClickHousePostPerEvent(b, s) })
}

func benchClickHouseSustained(b *testing.B, s *chserver.Server, flushEvery int) {
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
	cpu := startCPU(s)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%1024 == 0 {
			// Wait while half the queue waits: a producer that never
			// drops, as fast as the sink takes events.
			for uint64(i)-(c.Stats().Accepted-base.Accepted) > clickhouse.DefaultQueueSize/2 {
				time.Sleep(50 * time.Microsecond)
			}
		}
		v.DBID = i
		shardEvent.Emit(ctx, c, v)
		if flushEvery > 0 && i%flushEvery == flushEvery-1 {
			if err := c.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu.report(b)
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
	cpu := startCPU(s)
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
	cpu.report(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
}

// cpuClock reads the CPU time this process and the server have used since
// it started.
type cpuClock struct {
	s            *chserver.Server
	self, server time.Duration
}

func startCPU(s *chserver.Server) cpuClock {
	return cpuClock{s: s, self: selfCPU(), server: processCPU(s.Pid())}
}

// report adds cpu-ns/event and server-cpu-ns/event to b's results.
func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(selfCPU()-c.self)/float64(b.N), "cpu-ns/event")
	if c.server >= 0 {
		b.ReportMetric(float64(processCPU(c.s.Pid())-c.server)/float64(b.N), "server-cpu-ns/event")
	}
}

// selfCPU returns the user and system CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU returns the user and system CPU time of process pid, from
// /proc (-1 when it cannot be read).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The fields after the command's closing parenthesis; utime and stime
	// are the 14th and 15th of the line, in clock ticks (100 a second on
	// Linux).
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
