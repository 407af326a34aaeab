package main

import (
	"log/slog"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/mixin"
)

// Catalog is the task runner's own catalog of events: its metrics are
// tasksteps_*, its loggers tasksteps.*.
var Catalog = metrics.MustNewCatalog("tasksteps")

// Steps is the closed set of a task's steps, in the order they run.
var Steps = []string{"load_task", "download_inputs", "deserialize_inputs", "execute_user_code", "upload_outputs", "write_decks"}

// stepBuckets are the step-duration histogram's bounds, in seconds: steps
// take from a fraction of a millisecond to minutes.
var stepBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

type (
	// StepEnded is one step of a task: its name, its outcome and the
	// time it took. WallTime and ProcessTime are filled by the timing
	// helper (Run.StepCPU and metrics.End).
	StepEnded struct {
		Step        string        `milestone:"step,label,values=load_task|download_inputs|deserialize_inputs|execute_user_code|upload_outputs|write_decks"`
		Status      string        `milestone:"status,label,values=success|error"`
		ErrorType   string        `milestone:"error_type,label,cap=16"`
		WallTime    time.Duration `milestone:"wall_time_s,duration"`
		ProcessTime time.Duration `milestone:"process_time_s,cpu"`
	}
	// TaskStarted: a task execution began, with Inputs inputs of
	// InputBytes bytes in all.
	TaskStarted struct {
		Inputs     int   `milestone:"inputs"`
		InputBytes int64 `milestone:"input_bytes"`
	}
	// InputDownloaded: one input was copied to the work directory.
	InputDownloaded struct {
		Bytes int64 `milestone:"bytes"`
	}
	// InputDecoded: input number Input was read and decoded: Bytes bytes,
	// Values values.
	InputDecoded struct {
		Input  int   `milestone:"input"`
		Bytes  int64 `milestone:"bytes"`
		Values int   `milestone:"values"`
	}
	// InputComputed: the user code went through the Values values of input
	// number Input (checked, summed and sorted them), Bytes bytes of it.
	InputComputed struct {
		Input  int   `milestone:"input"`
		Values int   `milestone:"values"`
		Bytes  int64 `milestone:"bytes"`
	}
	// TaskEnded: the task execution ended, with the step that failed.
	TaskEnded struct {
		Status     string        `milestone:"status,label,values=success|error"`
		FailedStep string        `milestone:"failed_step"`
		WallTime   time.Duration `milestone:"wall_time_s,duration"`
	}
)

var (
	_ = metrics.MustDeclare[TaskStarted](Catalog, metrics.Spec{
		Code: 1, Wire: "task_started", Group: "task", Help: "A task execution began.", Message: "task started with {inputs} inputs",
		Instruments: []metrics.Instrument{metrics.Count("tasks_started_total", "Task executions started.")},
		// A task's work is its inputs' bytes: downloaded, then decoded.
		Work: []metrics.Work{
			{Stage: "download", Unit: "bytes", Total: "input_bytes"},
			{Stage: "decode", Unit: "bytes", Total: "input_bytes"},
			{Stage: "compute", Unit: "bytes", Total: "input_bytes"},
		},
	})
	_ = metrics.MustDeclare[StepEnded](Catalog, metrics.Spec{
		Code: 2, Wire: "step", Group: "step", Help: "One step of a task ended.",
		// A failed step is an ERROR line, and a critical alert in the mixin.
		LevelBy: "status", Levels: map[string]slog.Level{"error": slog.LevelError},
		Message: "step {step} {status} after {wall_time_s} s",
		Instruments: []metrics.Instrument{
			metrics.Count("steps_total", "Steps ended, by step, status and error type.", "step", "status", "error_type"),
			metrics.Hist("step_duration_seconds", "Wall time of a step, in seconds, by step and status.", "wall_time_s", stepBuckets, "step", "status"),
			metrics.Hist("step_cpu_seconds", "Process CPU time spent in a step, in seconds, by step.", "process_time_s", stepBuckets, "step"),
		},
	})
	_ = metrics.MustDeclare[InputDownloaded](Catalog, metrics.Spec{
		Code: 4, Wire: "input_downloaded", Group: "step", Level: slog.LevelDebug, Help: "One input was copied to the work directory.",
		Message:     "input of {bytes} bytes downloaded",
		Instruments: []metrics.Instrument{metrics.Sum("input_bytes_downloaded_total", "Input bytes copied to work directories.", "bytes")},
		Work:        []metrics.Work{{Stage: "download", Unit: "bytes", Done: "bytes"}},
	})
	_ = metrics.MustDeclare[InputDecoded](Catalog, metrics.Spec{
		Code: 5, Wire: "input_decoded", Group: "step", Level: slog.LevelDebug, Help: "One input was read and decoded.",
		Message:     "input {input} decoded: {bytes} bytes, {values} values",
		Instruments: []metrics.Instrument{metrics.Sum("input_bytes_decoded_total", "Input bytes read and decoded.", "bytes")},
		Work:        []metrics.Work{{Stage: "decode", Unit: "bytes", Done: "bytes"}},
	})
	_ = metrics.MustDeclare[InputComputed](Catalog, metrics.Spec{
		Code: 6, Wire: "input_computed", Group: "step", Level: slog.LevelDebug, Help: "The user code went through one input's values.",
		Message:     "input {input}: {values} values ({bytes} bytes) computed",
		Instruments: []metrics.Instrument{metrics.Sum("values_computed_total", "Input values the user code went through.", "values")},
		Work:        []metrics.Work{{Stage: "compute", Unit: "bytes", Done: "bytes"}},
	})
	_ = metrics.MustDeclare[TaskEnded](Catalog, metrics.Spec{
		Code: 3, Wire: "task_ended", Group: "task", EndsRun: true, Help: "A task execution ended.",
		LevelBy: "status", Levels: map[string]slog.Level{"error": slog.LevelError},
		Message: "task {status} after {wall_time_s} s",
		Instruments: []metrics.Instrument{
			metrics.Count("tasks_total", "Task executions ended, by status.", "status"),
			metrics.Hist("task_duration_seconds", "Wall time of a task execution, in seconds.", "wall_time_s", metrics.BucketsRun, "status"),
		},
	})
)

// MixinConfig is the thresholds of the task runner's alerts (metrics/mixin):
// a step's p99 above a minute, or a task's above ten, for 10 minutes.
func MixinConfig() mixin.Config {
	cfg := mixin.DefaultConfig(Catalog)
	cfg.LatencyP99 = map[string]time.Duration{
		"step_duration_seconds": time.Minute,
		"task_duration_seconds": 10 * time.Minute,
	}
	return cfg
}
