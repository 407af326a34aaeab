package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/eventlog"
)

// report is the line the producer prints when it is done.
type report struct {
	Name    string `json:"name"`
	Runs    int    `json:"runs"`
	Sent    uint64 `json:"sent"`
	Lost    uint64 `json:"lost"`
	Dropped uint64 `json:"dropped"`
	Error   string `json:"error,omitempty"`
}

func main() {
	urls := flag.String("clickhouse", "", "the ClickHouse URLs, comma-separated (the first is written to until it fails)")
	events := flag.String("events", "", "the event log's directory")
	name := flag.String("name", "", "the producer's name: its runs are NAME-1, NAME-2, …")
	duration := flag.Duration("for", 10*time.Second, "how long to write runs")
	rows := flag.Int("rows", 500, "rows per write")
	flag.Parse()
	if *urls == "" || *events == "" || *name == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: fleetproducer -clickhouse URL[,URL…] -events DIR -name NAME [-for 10s] [-rows N]")
		os.Exit(2)
	}
	r, err := produce(*urls, *events, *name, *duration, *rows)
	if err != nil {
		r.Error = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
	if err != nil || r.Lost+r.Dropped > 0 {
		os.Exit(1)
	}
}

// produce writes runs for d and reports what the ClickHouse sink did.
func produce(urls, events, name string, d time.Duration, rows int) (report, error) {
	r := report{Name: name}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Whole seconds, so that the file and the table stamp an event alike
	// (each sink reads the clock itself) and their summaries compare equal.
	clock := func() time.Time { return time.Now().Truncate(time.Second) }
	ch, err := clickhouse.New(clickhouse.WithURL(urls), clickhouse.WithService("fleetproducer"), clickhouse.WithLogger(logger),
		clickhouse.WithClock(clock))
	if err != nil {
		return r, err
	}
	ev, err := eventlog.New(eventlog.WithDir(events), eventlog.WithClock(clock), eventlog.WithLogger(logger))
	if err != nil {
		return r, err
	}
	c := metrics.Multi(ev, ch)
	data, err := os.MkdirTemp("", "fleetproducer-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(data)
	ctx := context.Background()
	for end := time.Now().Add(d); time.Now().Before(end); {
		r.Runs++
		faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", r.Runs%2)
		if _, err := shardkv.Write(ctx, data, shardkv.SampleRows(rows), shardkv.WriteOptions{
			NumShards: 4, Collector: c, Logger: logger, RunID: name + "-" + strconv.Itoa(r.Runs), Faults: faults,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
		}); err != nil {
			return r, err
		}
		if _, err := shardkv.Prune(ctx, data, 1); err != nil {
			return r, err
		}
	}
	err = metrics.Close(c)
	st := ch.Stats()
	r.Sent, r.Lost, r.Dropped = st.Sent, st.Lost, st.Dropped+st.DroppedAfterClose
	return r, err
}
