package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// server is one of the servers the sink writes to.
type server struct {
	base           string // the URL without credentials: messages name the server by it
	target         string // base, as given
	user, password string
	gzip           bool // compress inserts: the server is not on this machine

	mu      sync.Mutex
	inserts map[*layout]string // INSERT URL per layout
}

// newServer makes the server of URL raw (checked by parseURL) with the
// credentials cfg resolves for it.
func newServer(raw string, cfg *config) *server {
	u, _ := parseURL(raw)
	s := &server{user: cfg.user, password: cfg.password, inserts: map[*layout]string{}}
	if u.User != nil {
		if !cfg.userSet && !cfg.userFromEnv && u.User.Username() != "" {
			s.user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && !cfg.passwordSet && !cfg.passwordFromEnv {
			s.password = p
		}
	}
	u.User = nil
	s.base = strings.TrimRight(u.String(), "/")
	s.target = s.base
	switch cfg.compression {
	case CompressionGzip:
		s.gzip = true
	case CompressionAuto:
		s.gzip = !isLoopback(u.Hostname())
	}
	return s
}

// isLoopback reports whether host names this machine: compression would
// only cost CPU there.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// insertURL returns the URL that inserts rows of layout l.
func (s *server) insertURL(l *layout) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.inserts[l]
	if !ok {
		u = s.base + "/?" + url.Values{"query": {l.insert}}.Encode()
		s.inserts[l] = u
	}
	return u
}

// execURL is the URL statements (DDL, queries) are posted to.
func (s *server) execURL() string {
	return s.base + "/?allow_experimental_low_cardinality_type=1"
}

// post sends one request to srv. Credentials go in the Authorization
// header, never in the URL, so no error can print them.
func (c *Collector) post(ctx context.Context, srv *server, target string, body io.Reader, size int64, encoding string) error {
	_, err := c.do(ctx, srv, target, body, size, encoding)
	return err
}

// query runs sql on srv and returns the answer.
func (c *Collector) query(ctx context.Context, srv *server, sql string) (string, error) {
	out, err := c.do(ctx, srv, srv.execURL(), strings.NewReader(sql), int64(len(sql)), "")
	return string(out), err
}

func (c *Collector) do(ctx context.Context, srv *server, target string, body io.Reader, size int64, encoding string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, body)
	if err != nil {
		return nil, srv.redact(err)
	}
	req.ContentLength = size
	req.SetBasicAuth(srv.user, srv.password)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := c.cfg.client.Do(req)
	if err != nil {
		return nil, srv.redact(fmt.Errorf("clickhouse: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		out, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		if err != nil {
			return nil, srv.redact(fmt.Errorf("clickhouse: reading the answer: %w", err))
		}
		return out, nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return nil, srv.redact(newServerError(resp.StatusCode, string(msg)))
}

// redact removes the password from an error's text, should anything ever
// echo it.
func (s *server) redact(err error) error {
	if p := s.password; p != "" && strings.Contains(err.Error(), p) {
		var se *serverError
		if errors.As(err, &se) {
			se.msg = strings.ReplaceAll(se.msg, p, "***")
			return se
		}
		return errors.New(strings.ReplaceAll(err.Error(), p, "***"))
	}
	return err
}

// failover makes the next server the one the sink writes to, after from
// failed with err: logged once per switch and counted per server left.
func (c *Collector) failover(from *server, err error) {
	i := int(c.current.Load())
	if c.servers[i] != from {
		return
	}
	next := (i + 1) % len(c.servers)
	c.current.Store(int32(next))
	c.failovers[i].Add(1)
	c.layoutKnown.Store(false) // the next server's table is asked for
	c.cfg.Logger.Warn("clickhouse_failover", "table", c.Table(), "from", from.target, "to", c.servers[next].target,
		"error", err.Error())
}

// noteFailure counts a failed insert and keeps its error for Stats.
func (c *Collector) noteFailure(err error) {
	c.failures.Add(1)
	msg := err.Error()
	c.lastErrorAt.Store(time.Now().UnixNano())
	c.lastError.Store(&msg)
}

// report logs err once per kind.
func (c *Collector) report(event, kind string, err error) {
	c.reportMu.Lock()
	seen := c.reported[kind]
	c.reported[kind] = true
	c.reportMu.Unlock()
	if seen {
		return
	}
	srv := c.servers[c.current.Load()]
	c.cfg.Logger.Error(event, "table", c.Table(), "server", srv.target, "error", err.Error(),
		"error_kind", kind, "note", "reported once per kind; lost rows are counted in Stats.Lost")
}

// lossSinceLastCheck returns an error describing the events lost or dropped
// since the previous call.
func (c *Collector) lossSinceLastCheck() error {
	st := c.Stats()
	c.reportMu.Lock()
	lost, dropped := st.Lost-c.checkedLost, st.Dropped-c.checkedDrop
	c.checkedLost, c.checkedDrop = st.Lost, st.Dropped
	c.reportMu.Unlock()
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
	16: "no_such_column", 26: "parse_error", 27: "parse_error", 33: "parse_error", 38: "parse_error", 41: "parse_error", 44: "illegal_column",
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

// schema reports whether the table is not what the rows were encoded for
// (a column added or dropped since the sink asked).
func (e *serverError) schema() bool { return e.code == 16 || e.code == 10 || e.code == 60 }

func (e *serverError) kind() string {
	if k, ok := nonRetryable[e.code]; ok {
		return k
	}
	return "http_" + strconv.Itoa(e.status)
}
