package chserver_test

import (
	"strings"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
)

func TestStartQueryRestart(t *testing.T) {
	s := chserver.Start(t)
	if got := strings.TrimSpace(s.MustQuery(t, "SELECT 1 + 1")); got != "2" {
		t.Fatalf("SELECT 1 + 1 = %q", got)
	}
	s.MustQuery(t, "CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x")
	s.MustQuery(t, "INSERT INTO t VALUES (7)")
	s.Stop()
	if _, err := s.Query(t.Context(), "SELECT 1"); err == nil {
		t.Fatal("a stopped server answered")
	}
	s.Restart(t)
	if got := strings.TrimSpace(s.MustQuery(t, "SELECT x FROM t")); got != "7" {
		t.Errorf("after restart: %q, want the row kept", got)
	}
}
