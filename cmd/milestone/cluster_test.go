package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/internal/testkit/filetable"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	msruns "github.com/milestone-go/milestone/runs"
)

// createClusterTables runs what `milestone clickhouse ddl --cluster NAME
// --server-version V` prints on every node, as its doc says to.
func createClusterTables(t *testing.T, nodes []*chserver.Server, cluster string) {
	t.Helper()
	version := strings.TrimSpace(nodes[0].MustQuery(t, "SELECT version()"))
	var out, errb bytes.Buffer
	if code := run([]string{"clickhouse", "ddl", "--cluster", cluster, "--server-version", version}, &out, &errb); code != 0 {
		t.Fatalf("clickhouse ddl --cluster: %d %s", code, errb.String())
	}
	stmts := strings.Split(strings.TrimSpace(out.String()), ";\n")
	if len(stmts) != 2 || !strings.Contains(stmts[1], "Distributed("+cluster) {
		t.Fatalf("clickhouse ddl --cluster printed %d statements:\n%s", len(stmts), out.String())
	}
	for _, n := range nodes {
		for _, stmt := range stmts {
			n.MustQuery(t, strings.TrimSuffix(stmt, ";"))
		}
	}
}

// waitForRows waits until the table, read through node, holds want rows:
// a Distributed table forwards what a node took for another shard in the
// background.
func waitForRows(t *testing.T, node *chserver.Server, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, _ := strconv.Atoi(strings.TrimSpace(node.MustQuery(t, "SELECT count() FROM default.milestone_events")))
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows through %s after 60 s, want %d", got, node.URL, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestClusterKeepsARunOnOneShardAndReadsThroughAnyNode writes runs through
// one node of a real two-shard cluster into the Distributed table: every
// run's rows land on one shard, both shards get runs, and `runs` and
// `summarize --clickhouse` through the other node report what the event
// log's files say.
func TestClusterKeepsARunOnOneShardAndReadsThroughAnyNode(t *testing.T) {
	nodes := chserver.StartCluster(t, "milestone", 2)
	createClusterTables(t, nodes, "milestone")
	c, dir := filetable.New(t, clickhouse.WithURL(nodes[0].URL))
	quiet := slog.New(slog.DiscardHandler)
	const runs = 12
	for i := range runs {
		faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", i%2)
		if _, err := shardkv.Write(context.Background(), t.TempDir(), shardkv.SampleRows(500), shardkv.WriteOptions{
			NumShards: 3, Collector: c, Logger: quiet, RunID: fmt.Sprintf("cluster-run-%02d", i), Faults: faults,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := metrics.Close(c); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for i := range runs {
		lines += countLines(t, filepath.Join(dir, fmt.Sprintf("cluster-run-%02d", i)))
	}
	waitForRows(t, nodes[1], lines)

	// One shard per run, and both shards used.
	home := map[string]int{}
	for i, n := range nodes {
		for _, line := range strings.Fields(n.MustQuery(t, "SELECT DISTINCT run_id FROM default.milestone_events_local FORMAT TSV")) {
			if prev, ok := home[line]; ok {
				t.Errorf("run %s has rows on node %d and node %d", line, prev, i)
			}
			home[line] = i
		}
	}
	perNode := make([]int, len(nodes))
	for _, i := range home {
		perNode[i]++
	}
	if len(home) != runs || perNode[0] == 0 || perNode[1] == 0 {
		t.Errorf("runs per shard %v of %d runs: want every run on a shard and both shards used", perNode, runs)
	}

	for i := range runs {
		id := fmt.Sprintf("cluster-run-%02d", i)
		var file, table, errb bytes.Buffer
		if code := run([]string{"summarize", filepath.Join(dir, id)}, &file, &errb); code != 0 {
			t.Fatalf("summarize the file: %d %s", code, errb.String())
		}
		if code := run([]string{"summarize", "--clickhouse", nodes[1].URL, id}, &table, &errb); code != 0 {
			t.Fatalf("summarize --clickhouse: %d %s", code, errb.String())
		}
		if body(file.String()) == "" || body(file.String()) != body(table.String()) {
			t.Errorf("%s: the reports differ\nfile:\n%s\nclickhouse:\n%s", id, file.String(), table.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"runs", "--clickhouse", nodes[1].URL}, &out, &errb); code != 0 || strings.Count(out.String(), "cluster-run-") != runs {
		t.Errorf("runs --clickhouse through node 1: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// The explorer's list: one aggregate query through the Distributed
	// table gives what the files give.
	fromFiles, err := msruns.ListGlances(context.Background(), msruns.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	fromTable, err := msruns.ListGlances(context.Background(), msruns.ClickHouse(clickhouse.WithURL(nodes[1].URL)))
	if err != nil {
		t.Fatal(err)
	}
	if len(fromFiles) != runs || len(fromTable) != runs {
		t.Fatalf("glances: %d runs from the files, %d from the cluster, want %d", len(fromFiles), len(fromTable), runs)
	}
	for i, f := range fromFiles {
		c := fromTable[i]
		if f.ID != c.ID || f.TraceID != c.TraceID || f.Status != c.Status || !f.Start.Equal(c.Start) || f.DurationMS != c.DurationMS ||
			f.Events != c.Events || f.Errors != c.Errors {
			t.Errorf("glance of run %d:\nfiles   %+v\ncluster %+v", i, f, c)
		}
	}
}

// countLines returns the number of events in a run's event-log file.
func countLines(t *testing.T, runDir string) int {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"summarize", "--json", runDir}, &out, &errb); code != 0 {
		t.Fatalf("summarize %s: %d %s", runDir, code, errb.String())
	}
	i := strings.Index(out.String(), `"events":`)
	if i < 0 {
		t.Fatalf("no event count in:\n%s", out.String())
	}
	n, err := strconv.Atoi(strings.TrimRight(strings.Fields(out.String()[i+len(`"events":`):])[0], ","))
	if err != nil {
		t.Fatalf("event count: %v", err)
	}
	return n
}
