package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
	"github.com/milestone-go/milestone/internal/testkit/testutil"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics/clickhouse"
)

// The fleet: producers processes write runs for fleetFor each, through the
// two nodes of a cluster (half of them to each first).
const (
	producers = 32
	fleetFor  = 10 * time.Second
)

// TestFleetOf32ProducersLandsEveryRunOnceWithBoundedParts starts 32
// producer processes (internal/testkit/fleetproducer) that write runs
// concurrently into a real two-node cluster, each run also into its own
// event log: every run's rows equal its event log's lines, no (run_id,
// seq) is there twice, the parts created per minute stay within what the
// producers' batching allows, and summarize --clickhouse of a run equals
// summarize of its file.
func TestFleetOf32ProducersLandsEveryRunOnceWithBoundedParts(t *testing.T) {
	if testing.Short() {
		t.Skip("the fleet takes half a minute")
	}
	testutil.Exclusive(t) // 32 processes: the timed tests of other packages wait
	nodes := chserver.StartCluster(t, "fleet", 2)
	var out, errb bytes.Buffer
	if code := run([]string{"clickhouse", "ddl", "--cluster", "fleet", "--create", nodes[0].URL + "," + nodes[1].URL}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "created default.milestone_events_local and the Distributed table default.milestone_events") {
		t.Fatalf("clickhouse ddl --create: exit %d\n%s%s", code, out.String(), errb.String())
	}
	bin := exampletest.BuildPackage(t, "github.com/milestone-go/milestone/internal/testkit/fleetproducer")

	start := time.Now()
	root := t.TempDir()
	reports := make([]string, producers)
	var wg sync.WaitGroup
	for i := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			urls := nodes[i%2].URL + "," + nodes[(i+1)%2].URL
			cmd := exec.Command(bin, "-clickhouse", urls, "-events", filepath.Join(root, strconv.Itoa(i)),
				"-name", fmt.Sprintf("p%02d", i), "-for", fleetFor.String())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			reports[i] = string(out)
			if err != nil {
				t.Errorf("producer %d: %v\n%s%s", i, err, out, stderr.String())
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	sent := uint64(0)
	for _, r := range reports {
		var rep struct{ Runs, Sent, Lost, Dropped uint64 }
		if err := json.Unmarshal([]byte(r), &rep); err != nil || rep.Runs == 0 || rep.Lost+rep.Dropped != 0 {
			t.Fatalf("a producer reported %q (%v)", r, err)
		}
		sent += rep.Sent
	}

	// What each run's event log holds.
	want := map[string]int{}
	total := 0
	for i := range producers {
		dirs, err := os.ReadDir(filepath.Join(root, strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			n := eventLines(t, filepath.Join(root, strconv.Itoa(i), d.Name(), "events.jsonl"))
			want[d.Name()] = n
			total += n
		}
	}
	if uint64(total) != sent {
		t.Errorf("the event logs hold %d events, the sinks sent %d", total, sent)
	}
	waitForRows(t, nodes[0], total)
	elapsed := time.Since(start)

	got := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(nodes[1].MustQuery(t, "SELECT run_id, count() FROM default.milestone_events GROUP BY run_id FORMAT TSV")))
	for sc.Scan() {
		id, n, _ := strings.Cut(sc.Text(), "\t")
		got[id], _ = strconv.Atoi(n)
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("run %s: %d rows, its event log holds %d", id, got[id], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d runs in the table, %d in the event logs", len(got), len(want))
	}
	if dup := strings.TrimSpace(nodes[1].MustQuery(t, "SELECT count() - uniqExact(run_id, seq) FROM default.milestone_events")); dup != "0" {
		t.Errorf("%s rows are a (run_id, seq) seen before", dup)
	}

	// Parts: an insert into a node's local table makes a part of level 0.
	// Each producer sends at most one insert per flush interval, which on
	// its first node writes that node's share at once and queues the other
	// shard's; each node forwards what it queued for a shard in one insert
	// per monitor pass (distributed_directory_monitor_batch_inserts), at
	// most one per 100 ms. So a node gets at most producers/2 inserts per
	// interval plus 10 a second from the other node, however many events.
	minutes := elapsed.Minutes()
	bound := (float64(producers)/2*(time.Minute.Seconds()/clickhouse.DefaultFlushInterval.Seconds()) + 600) * minutes
	for i, n := range nodes {
		parts, _ := strconv.Atoi(strings.TrimSpace(n.MustQuery(t,
			"SELECT count() FROM system.parts WHERE database = 'default' AND table = 'milestone_events_local' AND level = 0")))
		active, _ := strconv.Atoi(strings.TrimSpace(n.MustQuery(t,
			"SELECT count() FROM system.parts WHERE database = 'default' AND table = 'milestone_events_local' AND active")))
		t.Logf("node %d: %d parts created in %.1f s (%.0f a minute; bound %.0f), %d active", i, parts, elapsed.Seconds(),
			float64(parts)/minutes, bound/minutes, active)
		if float64(parts) > bound {
			t.Errorf("node %d created %d parts in %.1f s, more than the batching allows (%.0f)", i, parts, elapsed.Seconds(), bound)
		}
		if active >= 150 { // parts_to_delay_insert: the server starts slowing inserts down
			t.Errorf("node %d has %d active parts", i, active)
		}
	}
	t.Logf("%d producers, %d runs, %d events in %.1f s", producers, len(want), total, elapsed.Seconds())

	// summarize --clickhouse of a run of every fourth producer equals
	// summarize of its file.
	for i := 0; i < producers; i += 4 {
		id := fmt.Sprintf("p%02d-1", i)
		var file, table, errb bytes.Buffer
		if code := run([]string{"summarize", filepath.Join(root, strconv.Itoa(i), id)}, &file, &errb); code != 0 {
			t.Fatalf("summarize the file: %d %s", code, errb.String())
		}
		if code := run([]string{"summarize", "--clickhouse", nodes[i%2].URL, id}, &table, &errb); code != 0 {
			t.Fatalf("summarize --clickhouse: %d %s", code, errb.String())
		}
		if body(file.String()) == "" || body(file.String()) != body(table.String()) {
			t.Errorf("%s: the reports differ\nfile:\n%s\nclickhouse:\n%s", id, file.String(), table.String())
		}
	}
}

// eventLines returns the number of events in an event-log file: its lines
// but the log's own (event_log_started).
func eventLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(line, `{"event":"event_log_`) {
			n++
		}
	}
	return n
}
