package bench

import (
	"context"
	"encoding/hex"
	"os"
	"strconv"
	"testing"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// benchClickHouseGo inserts the rows the sustained benchmark's sink
// writes, with the same values, through clickhouse-go v2's batch insert
// into a table made by the same DDL, a batch of DefaultBatchRows at a time.
func benchClickHouseGo(b *testing.B, s *chserver.Server) {
	c, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithCreateTable(), clickhouse.WithTable("bench_chgo"))
	if err != nil {
		b.Fatal(err)
	}
	_ = c.Close()
	conn, err := chgo.Open(&chgo.Options{Addr: []string{s.Native}, Auth: chgo.Auth{Database: "default", Username: "default"}})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	const insert = "INSERT INTO default.bench_chgo (ts, ts_ms, service, host, run_id, seq, trace_id, span_id, parent_span_id, " +
		"catalog, event, code, grp, level, message, num_keys, num_values, str_keys, str_values)"
	host, _ := os.Hostname()
	traceID, spanID := runctx.Derive("bench-run")
	trace, span := hex.EncodeToString(traceID[:]), hex.EncodeToString(spanID[:])
	numKeys, noStrings := []string{"elapsed_ms", "db_id", "row_count", "duration_ms"}, []string{}
	v := shardValue
	var batch interface {
		Append(...any) error
		Send() error
	}
	rows := 0
	send := func() {
		if err := batch.Send(); err != nil {
			b.Fatal(err)
		}
		batch, rows = nil, 0
	}
	cpu := startCPU(s)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if batch == nil {
			if batch, err = conn.PrepareBatch(ctx, insert); err != nil {
				b.Fatal(err)
			}
		}
		v.DBID = i
		now := time.Now()
		msg := "shard " + strconv.Itoa(v.DBID) + " written: " + strconv.FormatInt(v.Rows, 10) + " rows in " +
			strconv.FormatFloat(float64(v.Duration)/1e6, 'g', -1, 64) + " ms"
		err := batch.Append(now.Truncate(time.Second), uint16(now.Nanosecond()/1e6), "bench.test", host, "bench-run", uint64(i+1),
			trace, span, "", "shardyfusion", "write.shard.completed", uint16(4), "write", "INFO", msg,
			numKeys, []float64{float64(v.Elapsed) / 1e6, float64(v.DBID), float64(v.Rows), float64(v.Duration) / 1e6}, noStrings, noStrings)
		if err != nil {
			b.Fatal(err)
		}
		if rows++; rows == clickhouse.DefaultBatchRows {
			send()
		}
	}
	if batch != nil {
		send()
	}
	b.StopTimer()
	cpu.report(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
