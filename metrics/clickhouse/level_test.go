package clickhouse_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

var levelCatalog = metrics.MustNewCatalog("clickhouse_level_test")

type jobEnded struct {
	Status string `milestone:"status,label,values=ok|error"`
}

var jobEndedEvent = metrics.MustDeclare[jobEnded](levelCatalog, metrics.Spec{
	Code: 1, Wire: "job.ended", Group: "job", Help: "A job ended.",
	LevelBy: "status", Levels: map[string]slog.Level{"error": slog.LevelError},
	Instruments: []metrics.Instrument{metrics.Count("jobs_total", "Jobs.", "status")},
})

// TestLevelColumnFollowsTheStatus: the level column of an event declared
// with LevelBy is the level of each row's value (metrics.Descriptor.LevelOf).
func TestLevelColumnFollowsTheStatus(t *testing.T) {
	s := chserver.Start(t)
	c := newCollector(t, s)
	ctx := runctx.With(context.Background(), "levels")
	for _, st := range []string{"ok", "error", "unexpected"} {
		jobEndedEvent.Emit(ctx, c, jobEnded{Status: st})
	}
	if err := flush(t, c); err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(s.MustQuery(t, "SELECT level FROM default.milestone_events WHERE event = 'job.ended' ORDER BY seq FORMAT TSV"))
	if strings.Join(got, " ") != "INFO ERROR INFO" {
		t.Errorf("levels %q, want INFO ERROR INFO (ok, error, a value outside the set)", got)
	}
	_ = c.Close()
}
