package metrics_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// stepOutcome is an event whose level follows its status label.
type stepOutcome struct {
	Status string `milestone:"status,label,values=success|retried|error"`
	Kind   string `milestone:"step_kind,label,cap=4"`
}

var stepOutcomeEvent = metrics.MustDeclare[stepOutcome](testCatalog, metrics.Spec{
	Code: 950, Wire: "step.outcome", Group: "step", Help: "A step ended.",
	LevelBy: "status", Levels: map[string]slog.Level{"error": slog.LevelError, "retried": slog.LevelWarn},
	Instruments: []metrics.Instrument{metrics.Count("step_outcomes_total", "Steps ended.", "status")},
})

// TestLevelByValue checks that an event's level follows its LevelBy
// value, from the payload Emit packs: the declared values' levels, the
// declared Level for the others and for a value outside the set.
func TestLevelByValue(t *testing.T) {
	d := stepOutcomeEvent.Descriptor()
	for _, tc := range []struct {
		status string
		want   slog.Level
	}{{"success", slog.LevelInfo}, {"retried", slog.LevelWarn}, {"error", slog.LevelError}, {"exploded", slog.LevelInfo}} {
		p := stepOutcomeEvent.Pack(stepOutcome{Status: tc.status, Kind: "k"})
		if got := d.LevelOf(&p); got != tc.want {
			t.Errorf("status %q: LevelOf %v, want %v", tc.status, got, tc.want)
		}
		if got := d.LevelOfValue(tc.status); got != tc.want {
			t.Errorf("status %q: LevelOfValue %v, want %v", tc.status, got, tc.want)
		}
	}
	if d.LevelBy == nil || d.LevelBy.Name != "status" {
		t.Errorf("LevelBy %v", d.LevelBy)
	}
	// Without LevelBy, the declared level.
	plain, _ := metrics.Describe(metrics.EventOf[shardyfusion.WriteFailed]())
	var p metrics.Payload
	if plain.LevelOf(&p) != slog.LevelError || plain.LevelBy != nil {
		t.Errorf("write.failed: LevelOf %v, LevelBy %v", plain.LevelOf(&p), plain.LevelBy)
	}
}

func TestLevelByRejectsBrokenRules(t *testing.T) {
	spec := func(by string, levels map[string]slog.Level) metrics.Spec {
		return metrics.Spec{Code: 951, Wire: "step.broken", Group: "g", Help: "h", LevelBy: by, Levels: levels,
			Instruments: []metrics.Instrument{metrics.Count("broken_total", "B.")}}
	}
	errLevels := map[string]slog.Level{"error": slog.LevelError}
	for _, tc := range []struct {
		name string
		spec metrics.Spec
		want string
	}{
		{"levels without LevelBy", spec("", errLevels), "Levels is set without LevelBy"},
		{"unknown field", spec("nope", errLevels), `LevelBy "nope" is not a field`},
		{"capped label", spec("step_kind", errLevels), `LevelBy "step_kind" must be a label with a closed set`},
		{"no levels", spec("status", nil), `LevelBy "status" is set without Levels`},
		{"value outside the set", spec("status", map[string]slog.Level{"failed": slog.LevelError}), `"failed" is not a value of status`},
	} {
		err := declareErr[stepOutcome](tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "step.broken") {
			t.Errorf("%s: error %v, want one naming step.broken and containing %q", tc.name, err, tc.want)
		}
	}
}
