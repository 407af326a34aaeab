package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// progress shows the first write's progress on a terminal. It is itself a
// metrics.Collector: it counts the write's batch_written and
// shard.completed events, and a goroutine redraws one status line.
type progress struct {
	w      io.Writer
	shards int
	rows   int

	shardsDone atomic.Int64
	rowsDone   atomic.Int64

	done chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer, shards, rows int) *progress {
	return &progress{w: w, shards: shards, rows: rows}
}

// The events progress counts, looked up once.
var (
	batchWritten = metrics.TypeOf[shardyfusion.BatchWritten]()
	shardWritten = metrics.EventOf[shardyfusion.ShardWriteCompleted]()
)

// Emit implements metrics.Collector.
func (p *progress) Emit(_ context.Context, ev metrics.Event, pl metrics.Payload) {
	switch ev {
	case batchWritten.Event():
		p.rowsDone.Add(int64(batchWritten.Unpack(pl).BatchSize))
	case shardWritten:
		p.shardsDone.Add(1)
	}
}

func (p *progress) start() {
	p.done = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				p.draw()
				fmt.Fprintln(p.w)
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
}

func (p *progress) draw() {
	rows := min(p.rowsDone.Load(), int64(p.rows))
	fmt.Fprintf(p.w, "\rwriting the first snapshot: %d/%d shards, %d/%d rows written (%3.0f%%)",
		p.shardsDone.Load(), p.shards, rows, p.rows, 100*float64(rows)/float64(p.rows))
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}
