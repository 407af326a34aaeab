package slogcol_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/slogcol"
)

var levelCatalog = metrics.MustNewCatalog("slogcol_level_test")

type taskStep struct {
	Step   string `milestone:"step,label,cap=8"`
	Status string `milestone:"status,label,values=success|error"`
}

var taskStepEvent = metrics.MustDeclare[taskStep](levelCatalog, metrics.Spec{
	Code: 1, Wire: "step", Group: "step", Help: "A step ended.", Message: "step {step} {status}",
	LevelBy: "status", Levels: map[string]slog.Level{"error": slog.LevelError},
	Instruments: []metrics.Instrument{metrics.Count("steps_total", "Steps.", "step", "status")},
})

// TestLevelFollowsTheStatus: a step that failed is an ERROR line, one that
// succeeded an INFO line, and with the handler at WARN only the failure is
// written.
func TestLevelFollowsTheStatus(t *testing.T) {
	for _, tc := range []struct {
		min  slog.Level
		want []string
	}{
		{slog.LevelInfo, []string{"INFO step load success", "ERROR step run error"}},
		{slog.LevelWarn, []string{"ERROR step run error"}},
	} {
		var buf bytes.Buffer
		c, err := slogcol.New(slogcol.WithLogger(slog.New(jsonlog.NewHandler(&buf, &jsonlog.Options{Level: tc.min}))))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		taskStepEvent.Emit(ctx, c, taskStep{Step: "load", Status: "success"})
		taskStepEvent.Emit(ctx, c, taskStep{Step: "run", Status: "error"})
		var got []string
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var line struct{ Level, Event string }
			if err := dec.Decode(&line); err != nil {
				t.Fatal(err)
			}
			got = append(got, line.Level+" "+line.Event)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("handler at %v: lines %q, want %q", tc.min, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("handler at %v: line %d %q, want %q", tc.min, i, got[i], tc.want[i])
			}
		}
	}
}
