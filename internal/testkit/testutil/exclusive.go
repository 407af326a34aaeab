package testutil

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Exclusive makes tb the only test holding the machine-wide lock of
// timing-sensitive and heavy tests until it ends: go test runs packages in
// parallel, and on 2 cores a fleet of 32 processes in one package would
// otherwise slow the runs another package times (progress accuracy, a
// page's paint). Each such test takes it; it waits while another holds it.
func Exclusive(tb testing.TB) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "milestone-exclusive-tests.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		tb.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
