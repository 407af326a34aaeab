package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummarizeAnotherProgramsRun runs summarize and runs on event logs of
// a catalog this binary does not declare (a task runner's, as
// examples/tasksteps writes them): the table groups the step events by
// their labels, --json gives the same rows, and runs tells the ended run
// from the one whose ending never came.
func TestSummarizeAnotherProgramsRun(t *testing.T) {
	dir := t.TempDir()
	header := func(id string) string {
		return `{"event":"event_log_started","ts":"2026-03-17T23:33:53.000Z","execution_id":"` + id + `","run_key":"execution_id","ends_run":["task_ended"],"version":"v","host":"h","pid":1}` + "\n"
	}
	step := func(id, name, status string, wall float64) string {
		b, _ := json.Marshal(map[string]any{"event": "step", "ts": "2026-03-17T23:33:53.100Z", "execution_id": id, "step": name, "status": status, "wall_time_s": wall})
		return string(b) + "\n"
	}
	write := func(id, body string) {
		if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id, "events.jsonl"), []byte(header(id)+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a-failed", step("a-failed", "load_task", "success", 0.25)+step("a-failed", "execute_user_code", "error", 1.5)+
		`{"event":"task_ended","ts":"2026-03-17T23:33:54.000Z","execution_id":"a-failed","status":"error"}`+"\n")
	write("b-stopped", step("b-stopped", "load_task", "success", 0.5))

	var out, errb bytes.Buffer
	if code := run([]string{"summarize", "--json", filepath.Join(dir, "a-failed")}, &out, &errb); code != 0 {
		t.Fatalf("summarize: %d %s", code, errb.String())
	}
	var s struct {
		EndedBy    string `json:"ended_by"`
		EndStatus  string `json:"end_status"`
		EventTable []struct {
			Event     string            `json:"event"`
			Labels    map[string]string `json:"labels"`
			Durations []struct {
				Field   string  `json:"field"`
				TotalMS float64 `json:"total_ms"`
			} `json:"durations"`
		} `json:"event_table"`
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.EndedBy != "task_ended" || s.EndStatus != "error" || len(s.EventTable) != 3 {
		t.Fatalf("summary %+v", s)
	}
	failed := s.EventTable[0]
	if failed.Labels["step"] != "execute_user_code" || failed.Labels["status"] != "error" || len(failed.Durations) != 1 || failed.Durations[0].TotalMS != 1500 {
		t.Errorf("first step row %+v, want execute_user_code, error, wall_time_s 1500 ms", failed)
	}

	out.Reset()
	if code := run([]string{"summarize", filepath.Join(dir, "a-failed")}, &out, &errb); code != 0 {
		t.Fatalf("summarize: %d %s", code, errb.String())
	}
	if text := out.String(); !strings.Contains(text, "step{status=error,step=execute_user_code}") || !strings.Contains(text, "ended by  task_ended, status error") {
		t.Errorf("text report:\n%s", text)
	}

	out.Reset()
	if code := run([]string{"runs", dir}, &out, &errb); code != 0 {
		t.Fatalf("runs: %d %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[1], "-      failed") || !strings.HasSuffix(lines[2], "-      incomplete") {
		t.Errorf("runs:\n%s\nwant a-failed failed and b-stopped incomplete", out.String())
	}
}
