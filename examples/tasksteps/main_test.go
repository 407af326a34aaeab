package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/examplekit/appkit"
	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/mixin"
	"github.com/milestone-go/milestone/runs"
)

// execute runs one task execution of o through the program's own path
// (runTask on the program's backends), read back by exampletest.Run.
func execute(t *testing.T, o *options) *exampletest.Result {
	t.Helper()
	return exampletest.Run(t, Catalog, "execution_id", o.events, func(c metrics.Collector) (string, error) {
		return runTask(context.Background(), c, o)
	})
}

func testOptions(t *testing.T) *options {
	dir := t.TempDir()
	return &options{data: dir, events: filepath.Join(dir, "events"), task: "daily_stats", project: "pipelines", domain: "development", inputs: 3, size: 500}
}

// TestTaskThroughEveryBackend runs one task end to end and checks every
// backend: one step event per step, in order, each counted once by status
// in Prometheus and OTel, with its context fields in the JSON log, and the
// output the user code computed.
func TestTaskThroughEveryBackend(t *testing.T) {
	o := testOptions(t)
	r := execute(t, o)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, step := range Steps {
		if got, err := exampletest.Counter(r.Backends.Registry, "tasksteps_steps_total", "", "success", step); err != nil || got != 1 {
			t.Errorf("steps_total{%s,success} = %v (%v), want 1", step, got, err)
		}
		if got, ok := exampletest.OTel(&r.OTel, "tasksteps.step_duration", "step", step); !ok || got != 1 {
			t.Errorf("otel step_duration{step=%s} has %v points (found %v), want 1", step, got, ok)
		}
	}
	if got, err := exampletest.Counter(r.Backends.Registry, "tasksteps_tasks_total", "success"); err != nil || got != 1 {
		t.Errorf("tasks_total{success} = %v (%v), want 1", got, err)
	}

	// The event log: task_started, the steps in order, task_ended.
	var events, steps []string
	var wall, cpu float64
	for _, l := range r.EventLog[1:] {
		if l.Str("execution_id") != r.ID {
			t.Fatalf("line %v lacks execution_id %s", l, r.ID)
		}
		events = append(events, l.Str("event"))
		if l.Str("event") == "step" {
			steps = append(steps, l.Str("step"))
			wall += l.Num("wall_time_s")
			cpu += l.Num("process_time_s")
			if l.Num("wall_time_s") <= 0 || l.Str("status") != "success" || l.Str("error_type") != "" {
				t.Errorf("step line %v", l)
			}
		}
	}
	if events[0] != "task_started" || events[len(events)-1] != "task_ended" || !slices.Equal(steps, Steps) {
		t.Errorf("events %v, want task_started, the steps %v in order, task_ended", events, Steps)
	}
	if task := r.EventLog[len(r.EventLog)-1]; task.Num("wall_time_s") < wall {
		t.Errorf("the task took %v s, less than its steps' %v s", task.Num("wall_time_s"), wall)
	}
	if cpu <= 0 {
		t.Errorf("the steps' process time adds up to %v s", cpu)
	}

	// The JSON log: every line of the execution carries the context bound
	// once.
	n, progress := 0, 0
	for _, l := range r.JSONLog {
		if l.Str("catalog") != "tasksteps" {
			continue
		}
		if name := l.Str("event_name"); name == "input_downloaded" || name == "input_decoded" || name == "input_computed" {
			progress++ // the progress reports, at DEBUG
			continue
		}
		n++
		if l.Str("level") != "INFO" {
			t.Errorf("a successful execution's line at %s: %v", l.Str("level"), l)
		}
		if l.Str("execution_id") != r.ID || l.Str("task_name") != "daily_stats" || l.Str("project") != "pipelines" || l.Str("domain") != "development" {
			t.Errorf("log line without the execution's context: %v", l)
		}
	}
	if n != len(Steps)+2 {
		t.Errorf("%d tasksteps log lines, want %d", n, len(Steps)+2)
	}
	if len(r.JSONLog) > 0 && progress != 0 && progress != 3*o.inputs {
		t.Errorf("%d progress lines, want one per input downloaded, decoded and computed (%d)", progress, 3*o.inputs)
	}

	// The user code's output, uploaded, is the statistics of the inputs.
	checkOutput(t, o, r.ID)

	s, err := runs.ReadFile(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info := runs.InfoFrom(r.ID, s, nil); info.Status != runs.StatusCompleted {
		t.Errorf("run status %s, want completed", info.Status)
	}
	checkStepRows(t, s, r.EventLog)
}

// checkOutput recomputes the mean of the remote inputs and compares it
// with the uploaded output.
func checkOutput(t *testing.T, o *options, id string) {
	t.Helper()
	var sum float64
	var n int
	for i := range o.inputs {
		b, err := os.ReadFile(filepath.Join(o.data, "remote", "inputs", "part-00"+string(rune('0'+i))+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var vs []float64
		if err := json.Unmarshal(b, &vs); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			sum += v
		}
		n += len(vs)
	}
	b, err := os.ReadFile(filepath.Join(o.data, "remote", "outputs", id, "output.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out Output
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Count != n || out.Mean-sum/float64(n) > 1e-9 || sum/float64(n)-out.Mean > 1e-9 || len(out.Percentiles) != 3 {
		t.Errorf("output %+v, want %d values of mean %v", out, n, sum/float64(n))
	}
}

// checkStepRows checks the summary's step rows (time per step, and the
// status of each) against the event log's lines.
func checkStepRows(t *testing.T, s *runs.Summary, ev []exampletest.Line) {
	t.Helper()
	want := map[string]exampletest.Line{}
	for _, l := range ev {
		if l.Str("event") == "step" {
			want[l.Str("step")] = l
		}
	}
	rows := 0
	for _, row := range s.EventTable {
		if row.Event != "step" {
			continue
		}
		rows++
		l := want[row.Labels["step"]]
		if row.Count != 1 || row.Labels["status"] != l.Str("status") || row.Labels["error_type"] != l.Str("error_type") {
			t.Errorf("summary row %+v, want the line %v", row, l)
		}
		var wall *runs.FieldLatency
		for i := range row.Durations {
			if row.Durations[i].Field == "wall_time_s" {
				wall = &row.Durations[i]
			}
		}
		if wall == nil || !near(wall.TotalMS, l.Num("wall_time_s")*1000) {
			t.Errorf("summary row %+v, want wall_time_s %v ms", row, l.Num("wall_time_s")*1000)
		}
	}
	if rows != len(want) {
		t.Errorf("summary has %d step rows, want %d", rows, len(want))
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

// TestFailingStep makes each step fail in turn, for real (a missing file,
// a truncated input, a value the user code rejects, a destination that is
// a file), and checks that the step is recorded with status error and its
// error type in every backend, that no later step runs, that the task
// fails, and that the caller gets the step's own error.
func TestFailingStep(t *testing.T) {
	wantType := map[string]string{
		"load_task": "not_found", "download_inputs": "not_found", "deserialize_inputs": "decode",
		"execute_user_code": "user_code", "upload_outputs": "io", "write_decks": "not_found",
	}
	for i, step := range Steps {
		t.Run(step, func(t *testing.T) {
			o := testOptions(t)
			o.fail = step
			r := execute(t, o)
			if r.Err == nil || !strings.HasPrefix(r.Err.Error(), step+": ") || ErrorType(r.Err) != wantType[step] {
				t.Fatalf("error %v (type %s), want %s's %s error", r.Err, ErrorType(r.Err), step, wantType[step])
			}
			if got, err := exampletest.Counter(r.Backends.Registry, "tasksteps_steps_total", wantType[step], "error", step); err != nil || got != 1 {
				t.Errorf("steps_total{%s,%s,error} = %v (%v), want 1", wantType[step], step, got, err)
			}
			if got, err := exampletest.Counter(r.Backends.Registry, "tasksteps_tasks_total", "error"); err != nil || got != 1 {
				t.Errorf("tasks_total{error} = %v (%v), want 1", got, err)
			}
			if got, _ := exampletest.OTel(&r.OTel, "tasksteps.steps", "error_type", wantType[step]); got != 1 {
				t.Errorf("otel steps{error_type=%s} = %v, want 1", wantType[step], got)
			}
			var steps []string
			for _, l := range r.EventLog {
				if l.Str("event") == "step" {
					steps = append(steps, l.Str("step"))
				}
			}
			if !slices.Equal(steps, Steps[:i+1]) {
				t.Errorf("steps run %v, want %v", steps, Steps[:i+1])
			}
			last := r.EventLog[len(r.EventLog)-1]
			if last.Str("event") != "task_ended" || last.Str("status") != "error" || last.Str("failed_step") != step {
				t.Errorf("last line %v", last)
			}
			var logged bool
			for _, l := range r.JSONLog {
				logged = logged || l.Str("event_name") == "step" && l.Str("step") == step && l.Str("status") == "error" &&
					l.Str("error_type") == wantType[step] && l.Str("level") == "ERROR" // LevelBy status

			}
			if !logged {
				t.Errorf("no ERROR JSON log line of the failed step")
			}
			s, err := runs.ReadFile(r.Path)
			if err != nil {
				t.Fatal(err)
			}
			if info := runs.InfoFrom(r.ID, s, nil); info.Status != runs.StatusFailed {
				t.Errorf("run status %s, want failed", info.Status)
			}
			checkStepRows(t, s, r.EventLog)
		})
	}
}

// TestStepReturnsTheErrorUnchanged checks the timing helper's contract: the
// step's own error value comes back, not a copy or a wrapper, and the
// event is emitted either way.
func TestStepReturnsTheErrorUnchanged(t *testing.T) {
	o := testOptions(t)
	b, err := appkit.NewBackends(Catalog, "execution_id", o.events)
	if err != nil {
		t.Fatal(err)
	}
	_, run := metrics.StartRun(context.Background(), b.All)
	r := &runner{run: run}
	sentinel := &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}
	ctx := logctx.With(context.Background(), "execution_id", "unchanged")
	if got := r.step(ctx, "load_task", func(context.Context) error { return sentinel }); got != sentinel {
		t.Errorf("step returned %v, want the step's own error", got)
	}
	if got := r.step(ctx, "write_decks", func(context.Context) error { time.Sleep(time.Millisecond); return nil }); got != nil {
		t.Errorf("step returned %v, want nil", got)
	}
	if err := metrics.Close(b.All); err != nil {
		t.Fatal(err)
	}
	if got, err := exampletest.Counter(b.Registry, "tasksteps_steps_total", "io", "error", "load_task"); err != nil || got != 1 {
		t.Errorf("steps_total{io,load_task,error} = %v (%v), want 1", got, err)
	}
	if got, err := exampletest.Counter(b.Registry, "tasksteps_steps_total", "", "success", "write_decks"); err != nil || got != 1 {
		t.Errorf("steps_total{,write_decks,success} = %v (%v), want 1", got, err)
	}
}

// TestMixin generates the task runner's alerts, rules and dashboard from
// its catalog and has promtool check the rules.
func TestMixin(t *testing.T) {
	files, err := mixin.Generate(Catalog, MixinConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TaskstepsStepLatencyHigh", "TaskstepsStepsError", "TaskstepsTasksError"} {
		if !strings.Contains(string(files["alerts.yaml"]), want) {
			t.Errorf("alerts.yaml lacks %s:\n%s", want, files["alerts.yaml"])
		}
	}
	alerts, err := mixin.Alerts(Catalog, MixinConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Name == "TaskstepsStepsError" && (a.Severity != "critical" || !strings.Contains(a.Expr, `tasksteps_steps_total{status=~"error"}`)) {
			t.Errorf("the failed-step alert %+v, want critical on the error series", a)
		}
	}
	dir := t.TempDir()
	if err := files.Write(dir); err != nil {
		t.Fatal(err)
	}
	promserver.CheckRules(t, filepath.Join(dir, "alerts.yaml"), filepath.Join(dir, "rules.yaml"))
}

// TestCommand runs the command itself and checks what it prints and its
// flags' errors.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr testutil.SyncBuffer
	if err := run(context.Background(), []string{"-data", dir, "-inputs", "2", "-size", "100", "-metrics"}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	first, rest, _ := strings.Cut(stdout.String(), "\n")
	id, path, ok := strings.Cut(strings.TrimPrefix(first, "execution "), ": event log ")
	if !ok || path != filepath.Join(dir, "events", id, "events.jsonl") {
		t.Fatalf("first line %q", first)
	}
	if !strings.Contains(rest, `tasksteps_steps_total{error_type="",status="success",step="execute_user_code"} 1`) {
		t.Errorf("metrics lack the step:\n%s", rest)
	}
	promserver.CheckMetrics(t, []byte(rest))
	if err := run(context.Background(), []string{"-data", dir, "-fail", "execute_user_code"}, &stdout, &stderr); !errors.Is(err, ErrUserCode) {
		t.Errorf("-fail execute_user_code: %v, want ErrUserCode", err)
	}
	if err := run(context.Background(), []string{"-fail", "nap"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), `-fail "nap" is not a step`) {
		t.Errorf("-fail nap: %v", err)
	}
}

func TestKthOfSortedChunks(t *testing.T) {
	chunks := [][]float64{{-3, 0, 0, 2.5}, {-1e300, 7}, {}, {0.5, 1, 1e-300, 99}}
	var all []float64
	for _, c := range chunks {
		slices.Sort(c)
		all = append(all, c...)
	}
	slices.Sort(all)
	for k := range all {
		if got := kth(chunks, k); got != all[k] {
			t.Errorf("kth(%d) = %v, want %v", k, got, all[k])
		}
	}
}
