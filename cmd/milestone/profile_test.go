package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics/eventlog"
)

func TestProfileOfAWrite(t *testing.T) {
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shardkv.Write(context.Background(), t.TempDir(), shardkv.SampleRows(3000), shardkv.WriteOptions{
		NumShards: 4, Collector: ev, Logger: slog.New(slog.DiscardHandler), RunID: "profiled",
	}); err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"profile", filepath.Join(dir, "profiled")}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "* write ") || strings.Count(out.String(), "  write.shard.completed{db_id=") != 4 {
		t.Errorf("profile: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"profile", "--json", filepath.Join(dir, "profiled", "events.jsonl")}, &out, &errb); code != 0 {
		t.Fatalf("profile --json: exit %d %s", code, errb.String())
	}
	var p struct {
		RunID string `json:"run_id"`
		Spans []struct {
			ID         string  `json:"span_id"`
			Parent     string  `json:"parent_span_id"`
			StartMS    float64 `json:"start_ms"`
			DurationMS float64 `json:"duration_ms"`
		} `json:"spans"`
		CriticalPath []string `json:"critical_path"`
	}
	if err := json.Unmarshal(out.Bytes(), &p); err != nil || p.RunID != "profiled" || len(p.Spans) < 6 || len(p.CriticalPath) < 2 {
		t.Fatalf("profile --json: %v %+v", err, p)
	}
	// Every step lies within its parent, to the log's millisecond.
	for _, s := range p.Spans {
		for _, q := range p.Spans {
			if q.ID == s.Parent && (s.StartMS < q.StartMS-1 || s.StartMS+s.DurationMS > q.StartMS+q.DurationMS+1) {
				t.Errorf("span %+v is not within its parent %+v\n%s", s, q, out.String())
			}
		}
	}
	errb.Reset()
	if code := run([]string{"profile", filepath.Join(dir, "nope")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "milestone profile:") {
		t.Errorf("profile of nothing: exit %d %s", code, errb.String())
	}
}
