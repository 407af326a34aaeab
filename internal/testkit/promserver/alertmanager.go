package promserver

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// RequireAlertmanager returns the path of the Alertmanager binary (Debian's
// prometheus-alertmanager, or alertmanager). When it is absent it skips t,
// or fails it when the environment variable CI is set.
func RequireAlertmanager(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("alertmanager is required when CI is set (install the Debian package prometheus-alertmanager)")
	}
	t.Skip("alertmanager not found; install the Debian package prometheus-alertmanager to run this test")
	return ""
}

// Alertmanager is an Alertmanager process started by StartAlertmanager.
type Alertmanager struct {
	// Addr is its host:port, for Prometheus' alerting configuration.
	Addr string
	log  *logBuffer
}

// StartAlertmanager starts an Alertmanager that sends every alert, one
// notification per alert, to the webhook at webhookURL, within about a
// second, and stops it when t ends.
func StartAlertmanager(t testing.TB, webhookURL string) *Alertmanager {
	t.Helper()
	bin := RequireAlertmanager(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "alertmanager.yml")
	conf := "route:\n  receiver: test\n  group_by: ['...']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n" +
		"receivers:\n  - name: test\n    webhook_configs:\n      - url: " + strconv.Quote(webhookURL) + "\n        send_resolved: false\n"
	if err := os.WriteFile(config, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, err := testutil.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := testutil.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	am := &Alertmanager{Addr: addr, log: &logBuffer{}}
	cmd := exec.Command(bin, "--config.file="+config, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address="+cluster)
	cmd.Stdout, cmd.Stderr = am.log, am.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", am.log.tail())
		}
	})
	deadline := time.Now().Add(ReadyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("alertmanager exited before it was ready:\n%s", am.log.tail())
		default:
		}
		if resp, err := http.Get("http://" + addr + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return am
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("alertmanager not ready after %v:\n%s", ReadyTimeout, am.log.tail()))
	return nil
}
