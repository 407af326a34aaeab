package runsummary

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"
)

// Run statuses, as ListRuns reports them.
const (
	// StatusCompleted: every write the run started completed.
	StatusCompleted = "completed"
	// StatusIncomplete: a write started and did not complete (the process
	// stopped, or the write failed).
	StatusIncomplete = "incomplete"
	// StatusNoWrite: the run wrote nothing (a reader's run, say).
	StatusNoWrite = "no write"
	// StatusUnreadable: the run's events.jsonl could not be read.
	StatusUnreadable = "unreadable"
)

// RunInfo is one run of an event-log directory: the headline figures of its
// Summary.
type RunInfo struct {
	// Dir is the run's directory.
	Dir string `json:"dir"`
	// RunID is the first run id of the run's file.
	RunID string `json:"run_id"`
	// First and Last are the earliest and latest timestamps of the file.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// TotalMS is Summary.TotalMS.
	TotalMS float64 `json:"total_ms"`
	// WritesStarted and WritesCompleted count write.started and
	// write.completed.
	WritesStarted   int `json:"writes_started"`
	WritesCompleted int `json:"writes_completed"`
	// RowsWritten is Summary.Rows.Written.
	RowsWritten int64 `json:"rows_written"`
	// Retries is the number of shard write and storage retries.
	Retries int `json:"retries"`
	// Dropped is the number of events the collector dropped for the run.
	Dropped int64 `json:"events_dropped"`
	// Torn reports a torn last line, as a crash leaves it.
	Torn bool `json:"torn_last_line,omitempty"`
	// Status is one of the Status constants.
	Status string `json:"status"`
	// Err is why the file could not be read, for StatusUnreadable.
	Err string `json:"error,omitempty"`
}

// ListRuns reads every run directory of dir (each subdirectory holding an
// events.jsonl; others are skipped) and returns its figures, oldest run
// first. A run whose file cannot be read is listed with StatusUnreadable;
// ListRuns fails only when dir itself cannot be read.
func ListRuns(dir string) ([]RunInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var runs []RunInfo
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		runDir := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(runDir, FileName)); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		runs = append(runs, runInfo(runDir))
	}
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].First, runs[j].First
		if a.IsZero() != b.IsZero() {
			return b.IsZero() // runs with no timestamp last
		}
		return a.Before(b)
	})
	return runs, nil
}

func runInfo(dir string) RunInfo {
	s, err := ReadFile(dir)
	if err != nil {
		return RunInfo{Dir: dir, Status: StatusUnreadable, Err: err.Error()}
	}
	r := RunInfo{
		Dir:             dir,
		First:           s.First,
		Last:            s.Last,
		TotalMS:         s.TotalMS,
		WritesStarted:   s.WritesStarted,
		WritesCompleted: s.WritesCompleted,
		RowsWritten:     s.Rows.Written,
		Retries:         s.Retries.ShardRetries + s.Retries.S3Retries,
		Dropped:         s.Dropped,
		Torn:            s.Torn != nil,
	}
	if len(s.RunIDs) > 0 {
		r.RunID = s.RunIDs[0]
	}
	switch {
	case s.WritesStarted > s.WritesCompleted:
		r.Status = StatusIncomplete
	case s.WritesCompleted > 0:
		r.Status = StatusCompleted
	default:
		r.Status = StatusNoWrite
	}
	return r
}

// WriteRunsJSON writes runs as an indented JSON array.
func WriteRunsJSON(w io.Writer, runs []RunInfo) error {
	if runs == nil {
		runs = []RunInfo{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(runs)
}

// WriteRunsText writes runs as a table for people, one run a line.
func WriteRunsText(w io.Writer, runs []RunInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tTOTAL\tWRITES\tROWS\tRETRIES\tDROPPED\tSTATUS")
	for _, r := range runs {
		id := r.RunID
		if id == "" {
			id = filepath.Base(r.Dir)
		}
		status := r.Status
		if r.Torn {
			status += ", torn last line"
		}
		if r.Err != "" {
			status += ": " + r.Err
			fmt.Fprintf(tw, "%s\t?\t?\t?\t?\t?\t?\t%s\n", id, status)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\n", id, stamp(r.First), Millis(r.TotalMS),
			r.WritesCompleted, r.WritesStarted, r.RowsWritten, r.Retries, r.Dropped, status)
	}
	return tw.Flush()
}
