package clickhouse

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"time"
)

// deliverer is the goroutine that posts the sender's batches, in order:
// compressed when the server is not on this machine, retried on another
// server or after a backoff when a post fails for a reason that can pass.
type deliverer struct {
	c       *Collector
	gz      *gzip.Writer
	zbuf    bytes.Buffer
	failing bool // a batch is failing: the recovery is logged
}

func newDeliverer(c *Collector) *deliverer {
	gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return &deliverer{c: c, gz: gz}
}

// loop delivers every batch the sender hands over, then releases the
// Flush calls waiting for it, until the sender closes the channel.
func (d *deliverer) loop(in <-chan *batch, free chan<- *batch) {
	defer close(d.c.done)
	for b := range in {
		if b.rows > 0 {
			d.send(d.c.life, b)
		}
		for _, f := range b.flushes {
			close(f)
		}
		b.reset()
		free <- b
	}
}

// send delivers b, counting its rows sent or lost.
func (d *deliverer) send(ctx context.Context, b *batch) {
	if err := d.deliver(ctx, b); err != nil {
		d.c.lost.Add(uint64(b.rows))
		d.c.batchesLost.Add(1)
		return
	}
	d.c.sent.Add(uint64(b.rows))
	d.c.batches.Add(1)
}

// deliver posts b until a server accepts it, one refuses it for good, or
// retryFor has passed (or ctx is done). After a failure that can pass it
// tries the next server at once; once every server has failed in a row, it
// waits (exponential backoff with full jitter) before going round again.
func (d *deliverer) deliver(ctx context.Context, b *batch) error {
	c := d.c
	deadline := time.Now().Add(c.cfg.retryFor)
	backoff := 100 * time.Millisecond
	compressed := false
	failedInARow := 0
	for attempt := 1; ; attempt++ {
		srv := c.servers[c.current.Load()]
		body, size, encoding := b.reader(), int64(b.size), ""
		if srv.gzip {
			if !compressed {
				d.compress(b)
				compressed = true
			}
			body, size, encoding = bytes.NewReader(d.zbuf.Bytes()), int64(d.zbuf.Len()), "gzip"
		}
		err := c.post(ctx, srv, srv.insertURL(b.layout), body, size, encoding)
		if err == nil {
			if d.failing {
				d.failing = false
				c.cfg.Logger.Info("clickhouse_recovered", "table", c.Table(), "server", srv.target, "attempts", attempt)
			}
			return nil
		}
		c.noteFailure(err)
		var se *serverError
		if errors.As(err, &se) && !se.retryable() {
			if se.schema() {
				c.layoutKnown.Store(false) // ask again before the next batch
			}
			c.report("clickhouse_insert_refused", se.kind(), err)
			return err
		}
		if time.Now().Add(backoff).After(deadline) || ctx.Err() != nil {
			c.report("clickhouse_insert_lost", "gave_up", err)
			return err
		}
		if !d.failing {
			d.failing = true
			c.cfg.Logger.Warn("clickhouse_insert_failed", "table", c.Table(), "server", srv.target,
				"error", err.Error(), "retrying", true)
		}
		c.retries.Add(1)
		if failedInARow++; len(c.servers) > 1 {
			c.failover(srv, err)
			if failedInARow < len(c.servers) {
				continue
			}
		}
		failedInARow = 0
		wait := time.Duration(rand.Int64N(int64(backoff)) + 1)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// compress gzips b's rows into d.zbuf.
func (d *deliverer) compress(b *batch) {
	d.zbuf.Reset()
	d.gz.Reset(&d.zbuf)
	_, _ = b.reader().(io.WriterTo).WriteTo(d.gz)
	_ = d.gz.Close()
}
