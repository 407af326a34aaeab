package promserver

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/serverproc"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// RequireAlertmanager returns the path of the Alertmanager binary (Debian's
// prometheus-alertmanager, or alertmanager). When it is absent it skips t,
// or fails it when the environment variable CI is set.
func RequireAlertmanager(t testing.TB) string {
	t.Helper()
	return serverproc.Find(t, "install the Debian package prometheus-alertmanager", "prometheus-alertmanager", "alertmanager")
}

// Alertmanager is an Alertmanager process started by StartAlertmanager.
type Alertmanager struct {
	// Addr is its host:port, for Prometheus' alerting configuration.
	Addr string
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
	proc, err := serverproc.Start(bin, dir, "--config.file="+config, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address="+cluster)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proc.Stop(0)
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", proc.Output())
		}
	})
	if err := proc.WaitReady(ReadyTimeout, func() bool { return serverproc.HTTPOK("http://" + addr + "/-/ready") }); err != nil {
		t.Fatalf("%v:\n%s", err, proc.Output())
	}
	return &Alertmanager{Addr: addr}
}
