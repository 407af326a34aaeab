package clickhouse

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/milestone-go/milestone/internal/lib/sinkbase"
)

// sender is the goroutine that drains the queue, encodes rows into a batch
// and delivers it.
type sender struct {
	c        *Collector
	ids      sinkbase.Deriver
	seq      map[string]uint64 // the last seq of each run
	batch    []byte
	rows     int
	first    time.Time // when the batch's first row was encoded
	scratch  []byte
	gz       *gzip.Writer
	zbuf     bytes.Buffer
	insert   string // the INSERT URL, without credentials
	execURL  string
	reported map[string]bool // error kinds already logged
	failing  bool            // a batch is failing: the recovery is logged

	mu                     sync.Mutex
	checkedLost, checkDrop uint64 // what Flush last reported
}

func newSender(c *Collector) *sender {
	gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	q := url.Values{}
	q.Set("query", "INSERT INTO "+c.Table()+" FORMAT JSONEachRow")
	exec := url.Values{}
	exec.Set("allow_experimental_low_cardinality_type", "1")
	return &sender{
		c: c, seq: map[string]uint64{},
		gz: gz, insert: c.target + "/?" + q.Encode(), execURL: c.target + "/?" + exec.Encode(),
		reported: map[string]bool{},
	}
}

// loop runs until Close. A partial batch is sent once flushInterval has
// passed since its first row: checked on every batch the queue hands over
// and on a tick when it is quiet.
func (s *sender) loop() {
	c := s.c
	defer close(c.done)
	tick := time.NewTicker(c.cfg.flushInterval / 2)
	defer tick.Stop()
	for {
		b := c.q.Take(nil, tick.C)
		for i := range b.Items {
			s.add(c.life, &b.Items[i])
		}
		c.q.Recycle(b.Items) // and release the run ids
		if s.rows > 0 && (b.Flushes != nil || b.Closing || time.Since(s.first) >= c.cfg.flushInterval) {
			s.send(c.life)
		}
		for _, r := range b.Flushes {
			close(r)
		}
		if b.Closing {
			return
		}
	}
}

// add encodes one event into the batch, sending the batch when it is full.
func (s *sender) add(ctx context.Context, m *message) {
	s.c.accepted.Add(1)
	rc := s.c.codecs[m.Ev]
	seq := s.seq[m.Run] + 1
	s.seq[m.Run] = seq
	if s.rows == 0 {
		s.first = time.Now()
	}
	s.batch, s.scratch = rc.appendRow(s.batch, m, s.ids.IDs(m), seq, s.scratch)
	s.rows++
	if s.rows >= s.c.cfg.batchRows || len(s.batch) >= s.c.cfg.batchBytes {
		s.send(ctx)
	}
}

// send compresses and delivers the batch, retrying transient failures, and
// empties it. The rows of a batch that is refused or not delivered in time
// are counted lost.
func (s *sender) send(ctx context.Context) {
	rows := s.rows
	s.zbuf.Reset()
	s.gz.Reset(&s.zbuf)
	_, _ = s.gz.Write(s.batch)
	_ = s.gz.Close()
	s.batch, s.rows = s.batch[:0], 0
	if cap(s.batch) > 4*s.c.cfg.batchBytes {
		s.batch = nil // do not pin the memory of one huge batch
	}
	err := s.deliver(ctx, s.zbuf.Bytes())
	if err != nil {
		s.c.lost.Add(uint64(rows))
		s.c.batchesLost.Add(1)
		return
	}
	s.c.sent.Add(uint64(rows))
	s.c.batches.Add(1)
}

// deliver posts body until it is accepted, refused, or retryFor has passed
// (or ctx is done), with exponential backoff and full jitter between tries.
func (s *sender) deliver(ctx context.Context, body []byte) error {
	deadline := time.Now().Add(s.c.cfg.retryFor)
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.post(ctx, s.insert, body, "gzip")
		if err == nil {
			if s.failing {
				s.failing = false
				s.c.cfg.Logger.Info("clickhouse_recovered", "table", s.c.Table(), "server", s.c.target, "attempts", attempt)
			}
			return nil
		}
		s.c.failures.Add(1)
		msg := err.Error()
		s.c.lastErrorAt.Store(time.Now().UnixNano())
		s.c.lastError.Store(&msg)
		var se *serverError
		retryable := !errors.As(err, &se) || se.retryable()
		if !retryable {
			s.report("clickhouse_insert_refused", se.kind(), err)
			return err
		}
		if time.Now().Add(backoff).After(deadline) || ctx.Err() != nil {
			s.report("clickhouse_insert_lost", "gave_up", err)
			return err
		}
		if !s.failing {
			s.failing = true
			s.c.cfg.Logger.Warn("clickhouse_insert_failed", "table", s.c.Table(), "server", s.c.target,
				"error", err.Error(), "retrying", true)
		}
		s.c.retries.Add(1)
		wait := time.Duration(rand.Int64N(int64(backoff)) + 1)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// report logs err once per kind.
func (s *sender) report(event, kind string, err error) {
	if s.reported[kind] {
		return
	}
	s.reported[kind] = true
	s.c.cfg.Logger.Error(event, "table", s.c.Table(), "server", s.c.target, "error", err.Error(),
		"error_kind", kind, "note", "reported once per kind; the rows are counted in Stats.Lost")
}

// exec runs one statement, such as the DDL.
func (s *sender) exec(ctx context.Context, sql string) error {
	return s.post(ctx, s.execURL, []byte(sql), "")
}

// post sends one request. Credentials go in the Authorization header, never
// in the URL, so no error can print them.
func (s *sender) post(ctx context.Context, target string, body []byte, encoding string) error {
	ctx, cancel := context.WithTimeout(ctx, s.c.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return s.redact(err)
	}
	req.SetBasicAuth(s.c.cfg.user, s.c.cfg.password)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := s.c.cfg.client.Do(req)
	if err != nil {
		return s.redact(fmt.Errorf("clickhouse: %w", err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return s.redact(newServerError(resp.StatusCode, string(msg)))
}

// redact removes the password from an error's text, should anything ever
// echo it.
func (s *sender) redact(err error) error {
	if p := s.c.cfg.password; p != "" && strings.Contains(err.Error(), p) {
		var se *serverError
		if errors.As(err, &se) {
			se.msg = strings.ReplaceAll(se.msg, p, "***")
			return se
		}
		return errors.New(strings.ReplaceAll(err.Error(), p, "***"))
	}
	return err
}

// lossSinceLastCheck returns an error describing the events lost or dropped
// since the previous call.
func (s *sender) lossSinceLastCheck() error {
	st := s.c.Stats()
	s.mu.Lock()
	lost, dropped := st.Lost-s.checkedLost, st.Dropped-s.checkDrop
	s.checkedLost, s.checkDrop = st.Lost, st.Dropped
	s.mu.Unlock()
	if lost+dropped == 0 {
		return nil
	}
	return fmt.Errorf("clickhouse: %d events lost and %d dropped (queue full) since the last Flush; last error: %s", lost, dropped, st.LastError)
}

// serverError is a refusal from the server: its HTTP status and message.
type serverError struct {
	status int
	code   int // ClickHouse's error code, 0 when the message has none
	msg    string
}

var codeRE = regexp.MustCompile(`^Code: (\d+)`)

func newServerError(status int, msg string) *serverError {
	e := &serverError{status: status, msg: strings.TrimSpace(msg)}
	if m := codeRE.FindStringSubmatch(e.msg); m != nil {
		e.code, _ = strconv.Atoi(m[1])
	}
	return e
}

func (e *serverError) Error() string {
	return fmt.Sprintf("clickhouse: HTTP %d: %s", e.status, e.msg)
}

// nonRetryable lists the ClickHouse error codes no retry can cure: a
// missing table, database or column, a row the server cannot parse, a
// syntax error, bad credentials or no access.
var nonRetryable = map[int]string{
	16: "no_such_column", 26: "parse_error", 27: "parse_error", 38: "parse_error", 41: "parse_error",
	47: "unknown_identifier", 53: "type_mismatch", 60: "unknown_table", 62: "syntax_error", 69: "bad_argument",
	72: "parse_error", 81: "unknown_database", 117: "unknown_field", 192: "unknown_user", 193: "wrong_password",
	194: "password_required", 195: "ip_not_allowed", 497: "access_denied", 516: "authentication_failed",
}

func (e *serverError) retryable() bool {
	if _, ok := nonRetryable[e.code]; ok {
		return false
	}
	switch {
	case e.status == http.StatusTooManyRequests, e.status == http.StatusRequestTimeout:
		return true
	case e.status >= 400 && e.status < 500:
		return false
	}
	return true // 5xx without a known permanent code: overloaded, too many parts, a restart
}

func (e *serverError) kind() string {
	if k, ok := nonRetryable[e.code]; ok {
		return k
	}
	return "http_" + strconv.Itoa(e.status)
}
