package runs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Run statuses, as ListRuns reports them.
const (
	// StatusCompleted: every write the run started completed.
	StatusCompleted = "completed"
	// StatusFailed: a write the run started ended with write.failed; for a
	// run of another catalog, its ending event has the status "error" or
	// "failed", or a wire name with "fail" in it.
	StatusFailed = "failed"
	// StatusIncomplete: a write started and neither completed nor failed,
	// or a run of another catalog never emitted its ending event:
	// the process stopped.
	StatusIncomplete = "incomplete"
	// StatusNoWrite: the run wrote nothing (a reader's run, say).
	StatusNoWrite = "no write"
	// StatusCancelled: a run of another catalog whose ending event has the
	// status "cancelled".
	StatusCancelled = "cancelled"
	// StatusUnreadable: the run's events.jsonl could not be read.
	StatusUnreadable = "unreadable"
)

// RunInfo is one run of a Source.
type RunInfo struct {
	// ID is the run's id (for a directory's run, the first run id of its
	// file, else the directory's name).
	ID string `json:"id"`
	// Dir is the run's directory (its id, for a run of ClickHouse).
	Dir string `json:"dir"`
	// Status is one of the Status constants.
	Status string `json:"status"`
	// TraceID is the run's trace id ("" for a log written before events
	// carried them), Start its first timestamp, DurationMS its total time
	// (Summary.TotalMS), Events and Errors how many events it holds and
	// how many of them are errors (Summary.Errors). All are zero for
	// StatusUnreadable.
	TraceID    string    `json:"trace_id,omitempty"`
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
	Events     int       `json:"events"`
	Errors     int       `json:"errors"`
	// Err is why the run's file could not be read, for StatusUnreadable.
	Err string `json:"error,omitempty"`
	// Summary is the run's report, nil for StatusUnreadable.
	Summary *Summary `json:"summary,omitempty"`
}

// Name is the name Source.Open opens the run by: its directory's name for
// a run of a directory (the run id, as metrics/eventlog names them), else
// its id.
func (r *RunInfo) Name() string {
	if r.Dir == "" {
		return r.ID
	}
	return filepath.Base(r.Dir)
}

// RunID is the first run id of the run's file, or "" when it has none.
func (r *RunInfo) RunID() string {
	if r.Summary == nil || len(r.Summary.RunIDs) == 0 {
		return ""
	}
	return r.Summary.RunIDs[0]
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
		s, err := ReadFile(runDir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile: retention pruned it
		}
		runs = append(runs, InfoFrom(runDir, s, err))
	}
	SortRuns(runs)
	return runs, nil
}

// SortRuns orders runs oldest first, runs with no timestamp last, runs
// that started at the same time by id (so that every source lists them in
// one order).
func SortRuns(runs []RunInfo) {
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].first(), runs[j].first()
		if a.IsZero() != b.IsZero() {
			return b.IsZero()
		}
		if !a.Equal(b) {
			return a.Before(b)
		}
		return runs[i].ID < runs[j].ID
	})
}

// InfoFrom returns the RunInfo of a run read from another source than a
// directory (ClickHouse): name stands for its directory.
func InfoFrom(name string, s *Summary, err error) RunInfo {
	if err != nil {
		return RunInfo{ID: filepath.Base(name), Dir: name, Status: StatusUnreadable, Err: err.Error()}
	}
	return info(name, s)
}

func (r *RunInfo) first() time.Time {
	if r.Summary == nil {
		return time.Time{}
	}
	return r.Summary.First
}

func info(dir string, s *Summary) RunInfo {
	r := RunInfo{ID: filepath.Base(dir), Dir: dir, Summary: s, Start: s.First, DurationMS: s.TotalMS, Events: s.Events, Errors: s.Errors}
	if len(s.RunIDs) > 0 {
		r.ID = s.RunIDs[0]
	}
	if len(s.TraceIDs) > 0 {
		r.TraceID = s.TraceIDs[0]
	}
	if !s.ShardedKV {
		r.Status = endStatus(s)
		return r
	}
	failed := 0
	for _, n := range s.WritesFailed {
		failed += n
	}
	switch {
	case failed > 0 && s.WritesStarted <= s.WritesCompleted+failed:
		r.Status = StatusFailed
	case s.WritesStarted > s.WritesCompleted:
		r.Status = StatusIncomplete
	case s.WritesCompleted > 0:
		r.Status = StatusCompleted
	default:
		r.Status = StatusNoWrite
	}
	return r
}

// endStatus is the status of a run of a catalog other than the built-in
// one, from the event that ended it.
func endStatus(s *Summary) string {
	switch {
	case s.EndedBy == "":
		return StatusIncomplete
	case s.EndStatus == "error" || s.EndStatus == "failed" || strings.Contains(s.EndedBy, "fail"):
		return StatusFailed
	case s.EndStatus == "cancelled" || s.EndStatus == "canceled":
		return StatusCancelled
	}
	return StatusCompleted
}

// WriteRunsJSON writes runs as an indented JSON array, each run with its
// whole Summary.
func WriteRunsJSON(w io.Writer, runs []RunInfo) error {
	if runs == nil {
		runs = []RunInfo{}
	}
	return writeIndented(w, runs)
}

// WriteRunsText writes runs as a table for people, one run a line.
func WriteRunsText(w io.Writer, runs []RunInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tTOTAL\tWRITES\tROWS\tRETRIES\tDROPPED\tTRACE\tSTATUS")
	for _, r := range runs {
		id := r.RunID()
		if id == "" {
			id = filepath.Base(r.Dir)
		}
		s := r.Summary
		if s == nil {
			fmt.Fprintf(tw, "%s\t?\t?\t?\t?\t?\t?\t?\t%s: %s\n", id, r.Status, r.Err)
			continue
		}
		status := r.Status
		if s.Torn != nil {
			status += ", torn last line"
		}
		if !s.ShardedKV {
			// Writes, rows and retries are the built-in catalog's.
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t%d\t%s\t%s\n", id, stamp(s.First), Millis(s.TotalMS), s.Dropped, traceCell(s), status)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\t%s\n", id, stamp(s.First), Millis(s.TotalMS),
			s.WritesCompleted, s.WritesStarted, s.Rows.Written, s.Retries.ShardRetries+s.Retries.S3Retries, s.Dropped, traceCell(s), status)
	}
	return tw.Flush()
}

// traceCell is the run's trace id, the first when there are several, or
// "-" for a log written before events carried them.
func traceCell(s *Summary) string {
	switch len(s.TraceIDs) {
	case 0:
		return "-"
	case 1:
		return s.TraceIDs[0]
	}
	return s.TraceIDs[0] + " +" + strconv.Itoa(len(s.TraceIDs)-1)
}
