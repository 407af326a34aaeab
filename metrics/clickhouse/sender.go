package clickhouse

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/milestone-go/milestone/internal/lib/sinkbase"
)

// sender is the goroutine that drains the queue and encodes rows into
// batches, handing each full batch to the deliverer: one batch is encoded
// while the one before it is compressed and posted.
type sender struct {
	c       *Collector
	ids     sinkbase.Deriver
	seq     map[string]uint64 // the last seq of each run
	scratch []byte

	layout *layout     // of the codecs
	codecs []*rowCodec // indexed by metrics.Event
	cur    *batch      // being filled

	out  chan *batch // to the deliverer, in order
	free chan *batch // batches the deliverer is done with

	nextAsk time.Time // when the layout may be asked for again
}

// batchesInFlight is how many batches exist: one filling while the other
// is posted. When both are taken the sender waits, the queue fills and
// Emit drops (and counts) what does not fit.
const batchesInFlight = 2

func newSender(c *Collector) *sender {
	s := &sender{c: c, seq: map[string]uint64{},
		out: make(chan *batch, batchesInFlight), free: make(chan *batch, batchesInFlight)}
	for range batchesInFlight {
		s.free <- &batch{}
	}
	return s
}

// loop runs until Close. A partial batch is handed over once flushInterval
// has passed since its first row: checked on every batch the queue hands
// over and on a tick when it is quiet. It closes out when it returns.
func (s *sender) loop() {
	c := s.c
	defer close(s.out)
	tick := time.NewTicker(c.cfg.flushInterval / 2)
	defer tick.Stop()
	for {
		b := c.q.Take(nil, tick.C)
		for i := range b.Items {
			s.add(&b.Items[i])
		}
		c.q.Recycle(b.Items) // and release the run ids
		full := s.cur != nil && s.cur.rows > 0 && time.Since(s.cur.first) >= c.cfg.flushInterval
		if full || len(b.Flushes) > 0 || b.Closing {
			if s.cur == nil && len(b.Flushes) > 0 {
				s.begin() // an empty batch carries the flushes behind those in flight
			}
			if s.cur != nil {
				s.cur.flushes = append(s.cur.flushes, b.Flushes...)
				s.handOver()
			}
		}
		if b.Closing {
			return
		}
	}
}

// add encodes one event into the current batch, handing the batch over
// when it is full.
func (s *sender) add(m *message) {
	s.c.accepted.Add(1)
	if s.cur == nil {
		s.begin()
	}
	rc := s.codecs[m.Ev]
	seq := s.seq[m.Run] + 1
	s.seq[m.Run] = seq
	b := s.cur
	if b.rows == 0 {
		b.first = time.Now()
	}
	buf := b.tail()
	n := len(buf)
	buf, s.scratch = rc.appendRow(buf, m, s.ids.IDs(m), seq, s.scratch)
	b.chunks[len(b.chunks)-1] = buf
	b.size += len(buf) - n
	b.rows++
	if b.rows >= s.c.cfg.batchRows || b.size >= s.c.cfg.batchBytes {
		s.handOver()
	}
}

// begin takes a free batch (waiting for the deliverer when none is) and
// makes sure its rows are encoded for the table's layout.
func (s *sender) begin() {
	s.learnLayout()
	if l := s.c.layout.Load(); l != s.layout {
		s.layout, s.codecs = l, buildCodecs(l, s.c.carried, s.c.cfg.service, s.c.cfg.Host)
	}
	s.cur = <-s.free
	s.cur.layout = s.layout
}

// handOver passes the current batch to the deliverer.
func (s *sender) handOver() {
	s.out <- s.cur
	s.cur = nil
}

// learnLayout asks a server for the table's columns when the sink has not
// learned them (or a refusal made it forget them), at most once a second.
// Until one answers, rows are encoded for DDL's table.
func (s *sender) learnLayout() {
	c := s.c
	if c.layoutKnown.Load() || time.Now().Before(s.nextAsk) {
		return
	}
	s.nextAsk = time.Now().Add(time.Second)
	ctx, cancel := context.WithTimeout(c.life, c.cfg.timeout)
	defer cancel()
	l, err := c.askLayout(ctx)
	if err != nil {
		return // the first insert reports a missing table
	}
	c.setLayout(l)
}

// askLayout reads the table's columns from the server the sink writes to,
// then from the others in turn.
func (c *Collector) askLayout(ctx context.Context) (*layout, error) {
	var err error
	first := int(c.current.Load())
	for i := range c.servers {
		srv := c.servers[(first+i)%len(c.servers)]
		var out string
		out, err = c.query(ctx, srv, layoutQuery(c.cfg.database, c.cfg.table))
		if err == nil {
			return parseLayout(c.cfg.database, c.cfg.table, out)
		}
	}
	return nil, err
}

// setLayout records what the server said of the table, logging once what
// the sink cannot write into it.
func (c *Collector) setLayout(l *layout) {
	if old := c.layout.Load(); old == nil || !old.equal(l) {
		c.layout.Store(l)
	}
	c.layoutKnown.Store(true)
	if l.complete() {
		return
	}
	var what []string
	if len(l.missing) > 0 {
		what = append(what, "lacks "+strings.Join(l.missing, ", "))
	}
	if len(l.mistyped) > 0 {
		what = append(what, "has other types for "+strings.Join(l.mistyped, ", "))
	}
	c.report("clickhouse_table_incomplete", "incomplete_table",
		errors.New("the table "+strings.Join(what, " and ")+": rows are written without those columns; see DDL for the table milestone writes and the ALTERs that add the missing columns"))
}
