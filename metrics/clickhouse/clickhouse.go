package clickhouse

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milestone-go/milestone/internal/lib/queue"
	"github.com/milestone-go/milestone/internal/lib/sinkbase"
	"github.com/milestone-go/milestone/metrics"
)

// Collector inserts every event of every catalog declared before New as a
// row of a ClickHouse table, in batches. Build it with New and release it
// with Close. It is safe for concurrent use.
type Collector struct {
	cfg config

	servers   []*server
	current   atomic.Int32    // the index of the server written to
	failovers []atomic.Uint64 // switches away from each server

	// layout is the table's columns as last learned (layoutKnown) or
	// guessed from DDL.
	layout      atomic.Pointer[layout]
	layoutKnown atomic.Bool

	carried []bool // by metrics.Event: declared before New
	ignored *metrics.Ignored

	q    *queue.Queue[message]
	done chan struct{}

	closeOnce sync.Once
	// life is cancelled CloseTimeout after Close, ending any retry.
	life   context.Context
	cancel context.CancelFunc

	accepted, sent, dropped, droppedLate atomic.Uint64
	lost, batches, retries, failures     atomic.Uint64
	batchesLost                          atomic.Uint64
	lastError                            atomic.Pointer[string]
	lastErrorAt                          atomic.Int64 // unix nanoseconds

	s *sender

	reportMu                 sync.Mutex
	reported                 map[string]bool // error kinds already logged
	checkedLost, checkedDrop uint64          // what Flush last reported
}

// message is one queued event.
type message = sinkbase.Message

// New returns a Collector inserting into the configured table. The options
// that are left out are read from the environment (EnvURL, EnvUser,
// EnvPassword, EnvDatabase, EnvTable), then from the defaults; a malformed
// value fails New with an error naming the option or the variable. With
// WithCreateTable New asks the first server that answers for its version,
// creates the table when missing with the column types that suit it, and
// reads its columns; without it, New does not contact a server, and the
// sink reads the table's columns before its first batch (a missing table
// is reported by the first insert).
func New(opts ...Option) (*Collector, error) {
	cfg := config{
		Config:    sinkbase.Config{Sink: "clickhouse", MaxQueueSize: MaxQueueSize, QueueSize: DefaultQueueSize},
		batchRows: DefaultBatchRows, batchBytes: DefaultBatchBytes, flushInterval: DefaultFlushInterval,
		timeout: DefaultTimeout, retryFor: DefaultRetryFor, closeTimeout: DefaultCloseTimeout,
	}
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	cfg.Fill()
	if cfg.client == nil {
		cfg.client = &http.Client{}
	}
	if cfg.service == "" {
		cfg.service = filepath.Base(os.Args[0])
	}
	c := &Collector{
		cfg:      cfg,
		servers:  cfg.servers(),
		q:        queue.New(cfg.QueueSize, queue.Hooks[message]{}),
		done:     make(chan struct{}),
		reported: map[string]bool{},
	}
	c.failovers = make([]atomic.Uint64, len(c.servers))
	c.life, c.cancel = context.WithCancel(context.Background())
	c.carried = carried()
	c.layout.Store(fullLayout(cfg.database, cfg.table))
	c.ignored = metrics.NewIgnored("clickhouse", cfg.Logger)
	if cfg.createTable {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
		defer cancel()
		if err := c.createTable(ctx); err != nil {
			c.cancel()
			return nil, err
		}
	}
	c.s = newSender(c)
	go c.s.loop()
	go newDeliverer(c).loop(c.s.out, c.s.free)
	return c, nil
}

// carried returns, by metrics.Event, whether the event was declared by now.
func carried() []bool {
	var ok []bool
	for _, d := range metrics.Descriptors() {
		for int(d.Event) >= len(ok) {
			ok = append(ok, false)
		}
		ok[d.Event] = true
	}
	return ok
}

// createTable creates the table on the first server that answers, with
// the column types its version suits, and learns its columns.
func (c *Collector) createTable(ctx context.Context) error {
	var err error
	for i, srv := range c.servers {
		var version string
		if version, err = c.query(ctx, srv, "SELECT version()"); err != nil {
			continue
		}
		var stmts []string
		if stmts, err = Statements(c.cfg.database, c.cfg.table, TableOptions{ServerVersion: version}); err != nil {
			return fmt.Errorf("clickhouse: creating %s on %s: %w", c.Table(), srv.target, err)
		}
		for _, stmt := range stmts {
			if _, err = c.query(ctx, srv, stmt); err != nil {
				return fmt.Errorf("clickhouse: creating %s on %s: %w", c.Table(), srv.target, err)
			}
		}
		out, err := c.query(ctx, srv, layoutQuery(c.cfg.database, c.cfg.table))
		if err != nil {
			return fmt.Errorf("clickhouse: reading the columns of %s on %s: %w", c.Table(), srv.target, err)
		}
		l, err := parseLayout(c.cfg.database, c.cfg.table, out)
		if err != nil {
			return fmt.Errorf("clickhouse: %s on %s: %w", c.Table(), srv.target, err)
		}
		c.current.Store(int32(i))
		c.setLayout(l)
		return nil
	}
	return fmt.Errorf("clickhouse: creating %s: no server answered (%s): %w", c.Table(), c.targets(), err)
}

// targets lists the servers, without credentials.
func (c *Collector) targets() string {
	names := make([]string, len(c.servers))
	for i, s := range c.servers {
		names[i] = s.target
	}
	return strings.Join(names, ", ")
}

// Table returns the table rows are inserted into, as database.table.
func (c *Collector) Table() string { return c.cfg.database + "." + c.cfg.table }

// Target returns the URL of the server the sink writes to now, without
// credentials.
func (c *Collector) Target() string { return c.servers[c.current.Load()].target }

// Emit queues the event for the next batch. It never blocks on the network
// and allocates nothing; when the queue is full the event is dropped and
// counted (Stats.Dropped). An event declared after New is ignored and
// counted (Health); a nil *Collector ignores every event.
func (c *Collector) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if c == nil {
		return
	}
	if int(ev) >= len(c.carried) || !c.carried[ev] {
		c.ignored.Event(ev)
		return
	}
	c.q.PushCounting(c.cfg.Message(ctx, ev, &p), &c.dropped, &c.droppedLate)
}

// Flush waits until every event accepted before the call has been
// delivered or counted lost, or until ctx is done. It returns an error when
// events were lost or dropped since the previous Flush, naming how many
// and the last error. After Close it returns nil at once.
func (c *Collector) Flush(ctx context.Context) error {
	if c == nil {
		return nil
	}
	if open, err := c.q.Flush(ctx); !open || err != nil {
		return err
	}
	return c.lossSinceLastCheck()
}

// Close stops accepting events, sends what is queued (waiting at most the
// close timeout, WithCloseTimeout) and stops the sender. It returns an
// error when anything was lost or dropped during the collector's life.
// Later calls return nil; Emit after Close is ignored and counted.
func (c *Collector) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.closeTimeout())
	defer cancel()
	return c.Shutdown(ctx)
}

func (c *Collector) closeTimeout() time.Duration {
	if c == nil {
		return 0
	}
	return c.cfg.closeTimeout
}

// Shutdown is Close with a deadline of the caller's choosing instead of
// WithCloseTimeout's: it stops accepting events and sends what it holds
// until ctx is done, when what is left is lost and counted. Only the first
// call (of Close or Shutdown) does anything.
func (c *Collector) Shutdown(ctx context.Context) error {
	if c == nil {
		return nil
	}
	var err error
	c.closeOnce.Do(func() {
		c.q.Close()
		stop := context.AfterFunc(ctx, c.cancel)
		<-c.done
		stop()
		c.cancel()
		st := c.Stats()
		if st.Lost+st.Dropped > 0 {
			err = fmt.Errorf("clickhouse: %d events lost and %d dropped (queue full) during the collector's life; last error: %s", st.Lost, st.Dropped, st.LastError)
		}
	})
	return err
}

// Stats counts what the collector did with the events it was given.
type Stats struct {
	// Accepted is the number of events the sender took off the queue.
	Accepted uint64
	// Sent is the number of rows the server acknowledged.
	Sent uint64
	// Dropped is the number of events dropped because the queue was full.
	Dropped uint64
	// DroppedAfterClose is the number of events emitted after Close.
	DroppedAfterClose uint64
	// Lost is the number of accepted events whose batch was refused or
	// could not be delivered in time.
	Lost uint64
	// Batches is the number of inserts the server acknowledged.
	Batches uint64
	// BatchesLost is the number of batches refused or not delivered in
	// time (their events are in Lost).
	BatchesLost uint64
	// Retries is the number of inserts tried again after a failure.
	Retries uint64
	// Failures is the number of failed inserts, retried or not.
	Failures uint64
	// LastError is the last failure's message ("" when none), without
	// credentials, and LastErrorAt when it happened.
	LastError   string
	LastErrorAt time.Time
}

// Stats returns the collector's counters.
func (c *Collector) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	st := Stats{
		Accepted: c.accepted.Load(), Sent: c.sent.Load(), Dropped: c.dropped.Load(),
		DroppedAfterClose: c.droppedLate.Load(), Lost: c.lost.Load(), Batches: c.batches.Load(),
		Retries: c.retries.Load(), Failures: c.failures.Load(), BatchesLost: c.batchesLost.Load(),
	}
	if e := c.lastError.Load(); e != nil {
		st.LastError = *e
		st.LastErrorAt = time.Unix(0, c.lastErrorAt.Load())
	}
	return st
}

// The families of the ClickHouse sink's own.
var (
	familyRowsSent    = &metrics.HealthFamily{Name: "milestone_clickhouse_rows_sent_total", Help: "Rows ClickHouse acknowledged."}
	familyBatchesSent = &metrics.HealthFamily{Name: "milestone_clickhouse_batches_sent_total", Help: "Inserts ClickHouse acknowledged."}
	familyBatchesLost = &metrics.HealthFamily{Name: "milestone_clickhouse_batches_lost_total", Help: "Batches refused or not delivered in time."}
	familyRetries     = &metrics.HealthFamily{Name: "milestone_clickhouse_retries_total", Help: "Inserts tried again after a failure."}
	familyFailovers   = &metrics.HealthFamily{Name: "milestone_clickhouse_failovers_total",
		Help: "Switches away from a server after an insert to it failed.", Labels: []string{"server"}}
	familyActive = &metrics.HealthFamily{Name: "milestone_clickhouse_server_active",
		Help: "1 for the server inserts go to, 0 for the others.", Labels: []string{"server"}, Gauge: true}
	familyLastError = &metrics.HealthFamily{Name: "milestone_clickhouse_last_error_timestamp_seconds",
		Help: "When an insert last failed, in seconds since the epoch; 0 when none has.", Gauge: true}
)

// Health reports what the collector could not deliver
// (milestone_events_dropped_total, …_lost_total and
// milestone_write_errors_total, all {sink="clickhouse"}), what it sent, its
// retries, when an insert last failed, and the events it ignored.
func (c *Collector) Health() []metrics.HealthValue {
	if c == nil {
		return nil
	}
	st := c.Stats()
	last := metrics.HealthValue{Family: familyLastError}
	if !st.LastErrorAt.IsZero() {
		last.Value = float64(st.LastErrorAt.UnixNano()) / 1e9
	}
	h := c.ignored.Health()
	cur := int(c.current.Load())
	for i, srv := range c.servers {
		active := metrics.HealthValue{Family: familyActive, Labels: []string{srv.target}}
		if i == cur {
			active.Value = 1
		}
		h = append(h, familyFailovers.Count(c.failovers[i].Load(), srv.target), active)
	}
	return append(h,
		metrics.FamilyDropped.Count(st.Dropped+st.DroppedAfterClose, "clickhouse"),
		metrics.FamilyLost.Count(st.Lost, "clickhouse"),
		metrics.FamilyWriteErrors.Count(st.Failures, "clickhouse"),
		familyRowsSent.Count(st.Sent),
		familyBatchesSent.Count(st.Batches),
		familyBatchesLost.Count(st.BatchesLost),
		familyRetries.Count(st.Retries),
		last)
}
