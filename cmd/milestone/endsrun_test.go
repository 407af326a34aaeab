package main

import (
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/runs"
)

// TestAnotherCatalogsRunEndsInClickHouse writes runs of a catalog the
// milestone binary does not declare (the collector suite's, declared by
// this test alone) into a real ClickHouse table: one ended by its EndsRun
// event, one not. The binary, built as it ships, lists the first as
// completed and the second as incomplete, as it would from their event
// logs' headers: the table's ends_run column tells it which events end a
// run. The glance the explorer lists from agrees.
func TestAnotherCatalogsRunEndsInClickHouse(t *testing.T) {
	s := chserver.Start(t)
	ch, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithCreateTable(), clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"other-ended", "other-open"} {
		ctx := runctx.With(context.Background(), id)
		collectortest.SampleEvent.Emit(ctx, ch, collectortest.Sample{Status: "ok", Duration: time.Millisecond})
		if id == "other-ended" {
			collectortest.EmptyEvent.Emit(ctx, ch, collectortest.Empty{})
		}
	}
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	bin := exampletest.Build(t) // cmd/milestone, which does not import collectortest
	out, err := exec.Command(bin, "runs", "--clickhouse", s.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("milestone runs --clickhouse: %v\n%s", err, out)
	}
	status := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
		f := strings.Fields(line)
		status[f[0]] = f[len(f)-1]
	}
	if status["other-ended"] != runs.StatusCompleted || status["other-open"] != runs.StatusIncomplete {
		t.Errorf("statuses %v, want other-ended completed and other-open incomplete:\n%s", status, out)
	}
	// The glance's SQL holds the same: here, in a binary that declares the
	// catalog, it would hold anyway; what it reads is the column.
	list, err := runs.ListGlances(context.Background(), runs.ClickHouse(clickhouse.WithURL(s.URL)))
	if err != nil {
		t.Fatal(err)
	}
	for _, ri := range list {
		if ri.Status != status[ri.ID] {
			t.Errorf("glance of %s: %s, want %s", ri.ID, ri.Status, status[ri.ID])
		}
	}
}
