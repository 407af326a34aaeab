package clickhouse

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/milestone-go/milestone/internal/lib/sinkbase"
)

// The environment variables New reads for what the options leave out.
const (
	EnvURL      = "MILESTONE_CLICKHOUSE_URL"      // e.g. http://127.0.0.1:8123, or several, comma-separated
	EnvUser     = "MILESTONE_CLICKHOUSE_USER"     // default "default"
	EnvPassword = "MILESTONE_CLICKHOUSE_PASSWORD" // default none
	EnvDatabase = "MILESTONE_CLICKHOUSE_DATABASE" // default "default"
	EnvTable    = "MILESTONE_CLICKHOUSE_TABLE"    // default "milestone_events"
)

// Defaults of the options. A batch is sent when it holds DefaultBatchRows
// rows or DefaultBatchBytes bytes (encoded, before compression), or
// DefaultFlushInterval after its first row: ClickHouse advises inserts of
// thousands of rows, at most about one a second per table, and refuses
// inserts when a partition has too many parts; every insert makes a part,
// at a cost of its own (about 20 ms on 18.16 here), so a busy producer is
// better served by large batches.
const (
	DefaultUser          = "default"
	DefaultDatabase      = "default"
	DefaultTable         = "milestone_events"
	DefaultBatchRows     = 50_000
	DefaultBatchBytes    = 16 << 20
	DefaultFlushInterval = time.Second
	DefaultQueueSize     = 65536
	DefaultTimeout       = 30 * time.Second
	DefaultRetryFor      = 5 * time.Minute
	DefaultCloseTimeout  = 30 * time.Second
	// MaxQueueSize bounds WithQueueSize: about 200 MB of queue.
	MaxQueueSize = 1 << 20
)

// Option configures New.
type Option func(*config) error

type config struct {
	sinkbase.Config                  // logger, clock, default run, host, queue size
	urls                             []string
	user, password, database, table  string
	userSet, passwordSet             bool
	userFromEnv, passwordFromEnv     bool
	compression                      Compression
	service                          string
	createTable                      bool
	batchRows, batchBytes            int
	flushInterval, timeout, retryFor time.Duration
	closeTimeout                     time.Duration
	client                           *http.Client
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckIdentifier reports why name cannot be a database or table name
// here: it must match [A-Za-z_][A-Za-z0-9_]*, so that it needs no quoting.
func CheckIdentifier(name string) error {
	if !identRE.MatchString(name) {
		return fmt.Errorf("clickhouse: %q is not a valid name: it must match %s", name, identRE)
	}
	return nil
}

// WithURL sets the servers' HTTP interfaces, such as http://127.0.0.1:8123
// (default $MILESTONE_CLICKHOUSE_URL); each argument may also be a
// comma-separated list. The sink writes to the first; when a server fails
// in a way that can pass (it is down, times out, is overloaded) the batch
// goes to the next at once, and the sink stays there until that one fails
// in turn: each switch is logged (clickhouse_failover) and counted
// (milestone_clickhouse_failovers_total). Readers (ReadRun, ListRuns) ask
// them in order. Credentials in a URL's userinfo are used for that server
// unless WithUser, WithPassword or the environment set them; they are
// never printed.
func WithURL(urls ...string) Option {
	return func(c *config) error {
		list, bad, err := splitURLs(urls)
		if err != nil {
			return fmt.Errorf("clickhouse: WithURL(%q): %w", redactURL(bad), err)
		}
		c.urls = list
		return nil
	}
}

// splitURLs returns the URLs of urls, each of which may be a
// comma-separated list, checked; or the first bad one and what is wrong
// with it.
func splitURLs(urls []string) (list []string, bad string, err error) {
	for _, u := range urls {
		for _, one := range strings.Split(u, ",") {
			one = strings.TrimSpace(one)
			if _, err := parseURL(one); err != nil {
				return nil, one, err
			}
			list = append(list, one)
		}
	}
	if len(list) == 0 {
		return nil, strings.Join(urls, ","), errors.New("no URL")
	}
	return list, "", nil
}

// Compression says whether inserts are compressed.
type Compression uint8

// The compressions WithCompression takes.
const (
	// CompressionAuto gzips inserts to a server that is not on this
	// machine, and sends them as they are on loopback, where compressing
	// would only cost CPU (about 1 µs per row).
	CompressionAuto Compression = iota
	// CompressionNone never compresses.
	CompressionNone
	// CompressionGzip always gzips (level 1).
	CompressionGzip
)

// WithCompression sets whether inserts are compressed (default
// CompressionAuto).
func WithCompression(comp Compression) Option {
	return func(c *config) error {
		if comp > CompressionGzip {
			return fmt.Errorf("clickhouse: WithCompression(%d): not a Compression", comp)
		}
		c.compression = comp
		return nil
	}
}

// WithUser sets the user (default $MILESTONE_CLICKHOUSE_USER, else
// "default").
func WithUser(user string) Option {
	return func(c *config) error {
		if user == "" {
			return errors.New("clickhouse: WithUser: empty user")
		}
		c.user, c.userSet = user, true
		return nil
	}
}

// WithPassword sets the password (default $MILESTONE_CLICKHOUSE_PASSWORD).
// It is sent in an Authorization header and never appears in a log line,
// an error, a metric or a panic.
func WithPassword(password string) Option {
	return func(c *config) error {
		c.password, c.passwordSet = password, true
		return nil
	}
}

// WithDatabase sets the database (default $MILESTONE_CLICKHOUSE_DATABASE,
// else "default").
func WithDatabase(db string) Option {
	return func(c *config) error {
		if !identRE.MatchString(db) {
			return fmt.Errorf("clickhouse: WithDatabase(%q): a database name must match %s", db, identRE)
		}
		c.database = db
		return nil
	}
}

// WithTable sets the table (default $MILESTONE_CLICKHOUSE_TABLE, else
// "milestone_events").
func WithTable(table string) Option {
	return func(c *config) error {
		if !identRE.MatchString(table) {
			return fmt.Errorf("clickhouse: WithTable(%q): a table name must match %s", table, identRE)
		}
		c.table = table
		return nil
	}
}

// WithCreateTable makes New create the table (DDL) when it is missing.
func WithCreateTable() Option {
	return func(c *config) error {
		c.createTable = true
		return nil
	}
}

// WithService sets the service column of every row (default: the
// program's name).
func WithService(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("clickhouse: WithService: empty name")
		}
		c.service = name
		return nil
	}
}

// WithHost sets the host column of every row (default os.Hostname).
func WithHost(host string) Option { return func(c *config) error { return c.SetHost(host) } }

// WithBatch sets when a batch is sent: at rows rows or bytes bytes (encoded,
// before compression), or interval after its first row, whichever comes
// first (defaults DefaultBatchRows, DefaultBatchBytes,
// DefaultFlushInterval).
func WithBatch(rows, bytes int, interval time.Duration) Option {
	return func(c *config) error {
		if rows < 1 || bytes < 1<<10 || interval <= 0 {
			return fmt.Errorf("clickhouse: WithBatch(%d, %d, %v): rows must be at least 1, bytes at least 1024 and the interval positive", rows, bytes, interval)
		}
		c.batchRows, c.batchBytes, c.flushInterval = rows, bytes, interval
		return nil
	}
}

// WithQueueSize sets how many events may wait for the sender (default
// DefaultQueueSize); when the queue is full Emit drops the event and counts
// it. n must be between 1 and MaxQueueSize.
func WithQueueSize(n int) Option { return func(c *config) error { return c.SetQueueSize(n) } }

// WithTimeout bounds one HTTP request (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("clickhouse: WithTimeout(%v): the timeout must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetryFor bounds how long a batch is retried, with exponential backoff
// and jitter, after connection errors, timeouts and retryable server errors
// (default DefaultRetryFor); then its rows are counted as lost.
func WithRetryFor(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("clickhouse: WithRetryFor(%v): the duration must be positive", d)
		}
		c.retryFor = d
		return nil
	}
}

// WithCloseTimeout bounds how long Close waits for the last batches
// (default DefaultCloseTimeout); what is not delivered by then is lost and
// counted.
func WithCloseTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("clickhouse: WithCloseTimeout(%v): the timeout must be positive", d)
		}
		c.closeTimeout = d
		return nil
	}
}

// WithHTTPClient sends the inserts with client (default a client of its
// own).
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) error {
		if client == nil {
			return errors.New("clickhouse: WithHTTPClient: nil client")
		}
		c.client = client
		return nil
	}
}

// WithLogger sets the logger errors and recoveries are reported to
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) error { return c.SetLogger(l) } }

// WithClock sets the function Emit reads the time from (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) error { return c.SetClock(now) } }

// WithDefaultRun sets the run id of events whose context carries none
// (default: a generated one, as the event log does).
func WithDefaultRun(id string) Option { return func(c *config) error { return c.SetDefaultRun(id) } }

// apply runs opts on c and fills what they left out (fromEnv).
func (c *config) apply(opts []Option) error {
	for i, opt := range opts {
		if opt == nil {
			return fmt.Errorf("clickhouse: option %d is nil", i)
		}
		if err := opt(c); err != nil {
			return err
		}
	}
	return c.fromEnv()
}

// fromEnv fills what the options left out from the environment and the
// defaults, and checks the result.
func (c *config) fromEnv() error {
	if len(c.urls) == 0 {
		env := os.Getenv(EnvURL)
		if env == "" {
			return fmt.Errorf("clickhouse: no server: give WithURL or set %s", EnvURL)
		}
		list, bad, err := splitURLs([]string{env})
		if err != nil {
			return fmt.Errorf("clickhouse: %s=%q: %w", EnvURL, redactURL(bad), err)
		}
		c.urls = list
	}
	if !c.userSet {
		c.user = DefaultUser // or a URL's
		if v := os.Getenv(EnvUser); v != "" {
			c.user, c.userFromEnv = v, true
		}
	}
	if !c.passwordSet {
		if v, ok := os.LookupEnv(EnvPassword); ok {
			c.password, c.passwordFromEnv = v, true
		}
	}
	if c.database == "" {
		c.database = DefaultDatabase
		if v := os.Getenv(EnvDatabase); v != "" {
			if !identRE.MatchString(v) {
				return fmt.Errorf("clickhouse: %s=%q: a database name must match %s", EnvDatabase, v, identRE)
			}
			c.database = v
		}
	}
	if c.table == "" {
		c.table = DefaultTable
		if v := os.Getenv(EnvTable); v != "" {
			if !identRE.MatchString(v) {
				return fmt.Errorf("clickhouse: %s=%q: a table name must match %s", EnvTable, v, identRE)
			}
			c.table = v
		}
	}
	return nil
}

// servers returns the configured servers.
func (c *config) servers() []*server {
	list := make([]*server, len(c.urls))
	for i, u := range c.urls {
		list[i] = newServer(u, c)
	}
	return list
}

// parseURL checks that s is an http or https URL with a host and no query.
func parseURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("the URL needs a scheme, such as http://%s", redactURL(s))
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("the scheme must be http or https, not %q", u.Scheme)
	case u.Host == "":
		return nil, errors.New("the URL has no host")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("the URL must not have a query or fragment")
	}
	return u, nil
}

// redactURL returns s with the password of its userinfo replaced by
// "xxxxx", for printing: s itself when it has none. It does not need s to
// parse, so that a malformed URL is still shown as typed, without its
// password.
func redactURL(s string) string {
	authority := s
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
		authority = s[start:]
	}
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return s
	}
	colon := strings.Index(authority[:at], ":")
	if colon < 0 {
		return s
	}
	return s[:start+colon+1] + "xxxxx" + s[start+at:]
}
