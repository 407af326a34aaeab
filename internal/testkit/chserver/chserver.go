package chserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/serverproc"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// Password is the password of the user writer.
const Password = "s3cret-w0rd"

// ReadyTimeout bounds how long Start and Restart wait for the server.
const ReadyTimeout = 60 * time.Second

// Require returns the path of the clickhouse-server binary. When it is not
// on PATH (or in /usr/sbin) it skips tb, or fails it when CI is set.
func Require(tb testing.TB) string {
	tb.Helper()
	return serverproc.Find(tb, "install the Debian package clickhouse-server", "clickhouse-server", "/usr/sbin/clickhouse-server")
}

// Server is a clickhouse-server process started by Start.
type Server struct {
	// URL is the HTTP interface's base URL, such as "http://127.0.0.1:41234".
	URL string
	// Native is the native protocol's address (host:port), for drivers
	// such as clickhouse-go.
	Native string
	// Dir holds the configuration and the data; removed when the test ends.
	Dir string

	bin, config string
	mu          sync.Mutex
	proc        *serverproc.Process // nil while stopped
}

// Start starts a server and stops it when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartCluster(tb, "", 1)[0]
}

// StartCluster starts n servers configured as one cluster named name (in
// their remote_servers: a shard per server, one replica each, reached as
// the default user), and stops them when tb ends. The Distributed engine
// batches what it forwards to a shard (distributed_directory_monitor_batch_inserts).
// With an empty name it starts servers that know of no cluster.
func StartCluster(tb testing.TB, name string, n int) []*Server {
	tb.Helper()
	bin := Require(tb)
	servers := make([]*Server, n)
	for i := range servers {
		httpAddr, err := testutil.FreeAddr()
		if err != nil {
			tb.Fatal(err)
		}
		tcpAddr, err := testutil.FreeAddr()
		if err != nil {
			tb.Fatal(err)
		}
		dir := tb.TempDir()
		servers[i] = &Server{URL: "http://" + httpAddr, Native: tcpAddr, Dir: dir, bin: bin, config: filepath.Join(dir, "config.xml")}
	}
	cluster := ""
	if name != "" {
		cluster = "<remote_servers><" + name + ">"
		for _, s := range servers {
			cluster += "<shard><replica><host>127.0.0.1</host><port>" + port(s.Native) + "</port></replica></shard>"
		}
		cluster += "</" + name + "></remote_servers>"
	}
	for _, s := range servers {
		if err := s.writeConfig(port(strings.TrimPrefix(s.URL, "http://")), port(s.Native), cluster); err != nil {
			tb.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, s := range servers {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.start() }()
	}
	wg.Wait()
	for _, s := range servers {
		tb.Cleanup(func() {
			s.Stop()
			if tb.Failed() {
				tb.Logf("clickhouse-server %s errors:\n%s", s.URL, s.errorLog())
			}
		})
	}
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return servers
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// writeConfig writes the server's configuration; cluster is its
// remote_servers element, or empty.
func (s *Server) writeConfig(httpPort, tcpPort, cluster string) error {
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	config := `<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>` + s.Dir + `/log/server.log</log><errorlog>` + s.Dir + `/log/err.log</errorlog></logger>
    <http_port>` + httpPort + `</http_port>
    <tcp_port>` + tcpPort + `</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <path>` + s.Dir + `/data/</path>
    <tmp_path>` + s.Dir + `/tmp/</tmp_path>
    <user_files_path>` + s.Dir + `/user_files/</user_files_path>
    <format_schema_path>` + s.Dir + `/format_schemas/</format_schema_path>
    <mark_cache_size>5368709</mark_cache_size>
    <max_concurrent_queries>50</max_concurrent_queries>
    <users_config>` + s.Dir + `/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    ` + cluster + `
</yandex>
`
	users := `<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage><distributed_directory_monitor_batch_inserts>1</distributed_directory_monitor_batch_inserts></default></profiles>
    <users>
        <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
        <writer><password>` + Password + `</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></writer>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
	if err := os.WriteFile(s.config, []byte(config), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, "users.xml"), []byte(users), 0o644)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	proc, err := serverproc.Start(s.bin, s.Dir, "--config-file="+s.config)
	if err != nil {
		return err
	}
	s.proc = proc
	if err := proc.WaitReady(ReadyTimeout, func() bool { return serverproc.HTTPOK(s.URL + "/ping") }); err != nil {
		return fmt.Errorf("%w:\n%s", err, s.errorLog())
	}
	return nil
}

// Stop kills the server (SIGKILL: clickhouse-server takes seconds to stop
// on SIGTERM, and a killed server is the harsher test); the data it
// acknowledged stay on disk for Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	s.proc.Stop(0)
	s.proc = nil
}

// Pid returns the server process's id (0 while it is stopped).
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.Pid()
}

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
}

func (s *Server) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "err.log"))
	if len(b) > 8<<10 {
		b = b[len(b)-8<<10:]
	}
	return string(b)
}

// Query runs sql as the default user and returns the answer's body, or an
// error with the server's message.
func (s *Server) Query(ctx context.Context, sql string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		s.URL+"/?allow_experimental_low_cardinality_type=1&output_format_json_quote_64bit_integers=0", strings.NewReader(sql))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// MustQuery is Query that fails tb on an error.
func (s *Server) MustQuery(tb testing.TB, sql string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Query(ctx, sql)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return out
}

// WriterURL returns the server's URL with the writer's credentials in it.
func (s *Server) WriterURL() string {
	u, _ := url.Parse(s.URL)
	u.User = url.UserPassword("writer", Password)
	return u.String()
}
