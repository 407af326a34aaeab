package clickhouse_test

import (
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics/clickhouse"
)

func TestStatementsSuitTheServerAndTheCluster(t *testing.T) {
	one, err := clickhouse.Statements("obs", "events", clickhouse.TableOptions{})
	if err != nil || len(one) != 1 || one[0] != clickhouse.DDL("obs", "events") ||
		!strings.Contains(one[0], "event LowCardinality(String)") || !strings.Contains(one[0], "event_date Date MATERIALIZED toDate(ts)") {
		t.Errorf("a current server: %v\n%s", err, one)
	}
	old, err := clickhouse.Statements("obs", "events", clickhouse.TableOptions{ServerVersion: "18.16.1"})
	if err != nil || len(old) != 1 || strings.Contains(old[0], "LowCardinality") || !strings.Contains(old[0], "event String") {
		t.Errorf("18.16 wants plain String: %v\n%s", err, old)
	}
	if s, err := clickhouse.Statements("obs", "events", clickhouse.TableOptions{ServerVersion: "23.8.2.7"}); err != nil || !strings.Contains(s[0], "LowCardinality") {
		t.Errorf("23.8: %v\n%s", err, s)
	}
	c, err := clickhouse.Statements("obs", "events", clickhouse.TableOptions{Cluster: "fleet", ServerVersion: "18.16.1"})
	if err != nil || len(c) != 2 {
		t.Fatalf("a cluster: %v %q", err, c)
	}
	if !strings.HasPrefix(c[0], "CREATE TABLE IF NOT EXISTS obs.events_local (") || !strings.Contains(c[0], "ENGINE = MergeTree") {
		t.Errorf("the local table:\n%s", c[0])
	}
	if !strings.HasPrefix(c[1], "CREATE TABLE IF NOT EXISTS obs.events (") ||
		!strings.Contains(c[1], "ENGINE = Distributed(fleet, obs, events_local, cityHash64(run_id))") ||
		!strings.Contains(c[1], "event_date Date ALIAS toDate(ts)") {
		t.Errorf("the Distributed table:\n%s", c[1])
	}
	for _, bad := range []struct {
		db, table string
		o         clickhouse.TableOptions
		want      string
	}{
		{"obs", "bad name", clickhouse.TableOptions{}, `"bad name" is not a valid name`},
		{"obs", "events", clickhouse.TableOptions{Cluster: "a;b"}, `cluster "a;b"`},
		{"obs", "events", clickhouse.TableOptions{ServerVersion: "latest"}, `server version "latest"`},
	} {
		if _, err := clickhouse.Statements(bad.db, bad.table, bad.o); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Statements(%q, %q, %+v) = %v, want an error naming %s", bad.db, bad.table, bad.o, err, bad.want)
		}
	}
}
