package runs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/progress"
)

// Replay is a finished run replayed through a progress Tracker and through
// a task-count estimate, each sampled at every event of the run, to score
// them (progress.ScoreOf). The task-count estimate is what progress bars
// that count tasks show: the steps that ended over the steps started so
// far (Spark's and Daft's), a step being a span of the run's trace.
type Replay struct {
	// Total is the run's time, from its first event to its last.
	Total time.Duration
	// Work and Tasks are the two estimates' samples.
	Work, Tasks []progress.Sample
	// Model is what the run teaches of its application
	// (progress.Tracker.Model), to learn from.
	Model progress.Model
}

// ReplayProgress reads one finished run's lines and replays them with
// the model m. Only events this program declares carry work; the task count
// reads every event's span.
func ReplayProgress(r io.Reader, m progress.Model) (*Replay, error) {
	tr := progress.NewTracker(m)
	var (
		out          Replay
		start        time.Time
		seen, ended  = map[string]bool{}, map[string]bool{}
		tasksStarted int
		tasksEnded   int
	)
	for e, err := range Events(r) {
		if err != nil {
			return nil, err
		}
		if start.IsZero() {
			start = e.Time
		}
		at := e.Time.Sub(start)
		if e.Desc != nil {
			p, err := payloadOf(e.Desc, e.Fields)
			if err != nil {
				return nil, fmt.Errorf("runs: %s at %s: %w", e.Name, e.Time.Format(time.RFC3339Nano), err)
			}
			tr.Observe(e.Time, e.Desc, &p)
		}
		if e.ParentSpanID != "" && e.SpanID != "" {
			if !seen[e.SpanID] {
				seen[e.SpanID] = true
				tasksStarted++
			}
			if !ended[e.SpanID] && endsStep(e) {
				ended[e.SpanID] = true
				tasksEnded++
			}
		}
		est := tr.Estimate(e.Time)
		out.Work = append(out.Work, progress.Sample{At: at, Fraction: est.Fraction, ETA: est.ETA})
		tf := 0.0
		if tasksStarted > 0 {
			tf = float64(tasksEnded) / float64(tasksStarted)
		}
		eta := time.Duration(-1)
		if tf > 0 {
			eta = time.Duration(float64(at) * (1 - tf) / tf)
		}
		out.Tasks = append(out.Tasks, progress.Sample{At: at, Fraction: tf, ETA: eta})
		out.Total = at
	}
	out.Model = tr.Model()
	return &out, nil
}

// endsStep reports whether e ends its step: an event with a duration (a
// declared duration field, or one named like one).
func endsStep(e Event) bool {
	if e.Desc != nil {
		for _, f := range e.Desc.Fields {
			if f.Role == metrics.RoleDuration {
				return true
			}
		}
		return false
	}
	for k := range e.Fields {
		if strings.HasSuffix(k, "duration_ms") || k == "wall_time_s" {
			return true
		}
	}
	return false
}

// AccuracyRow is one line of an accuracy table: a run, and how well the
// two estimates followed it.
type AccuracyRow struct {
	App, Run    string
	Total       time.Duration
	Work, Tasks progress.Score
}

// Accuracy replays finished runs of one application (their event-log
// lines, by run id) and scores both estimates on each, the work estimate
// with the model the application's other runs teach (leave one out: a
// run's own times never inform its estimate).
func Accuracy(app string, logs map[string][]byte) ([]AccuracyRow, error) {
	ids := make([]string, 0, len(logs))
	for id := range logs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	models := map[string]progress.Model{}
	for _, id := range ids {
		r, err := ReplayProgress(strings.NewReader(string(logs[id])), progress.Model{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		models[id] = r.Model
	}
	var rows []AccuracyRow
	for _, id := range ids {
		var others []progress.Model
		for _, o := range ids {
			if o != id {
				others = append(others, models[o])
			}
		}
		r, err := ReplayProgress(strings.NewReader(string(logs[id])), progress.Learn(others...))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		rows = append(rows, AccuracyRow{App: app, Run: id, Total: r.Total,
			Work: progress.ScoreOf(r.Work, r.Total), Tasks: progress.ScoreOf(r.Tasks, r.Total)})
	}
	return rows, nil
}

// Medians are the medians of an accuracy table's columns (-1 for an ETA
// column with no figure).
type Medians struct {
	WorkRMS, WorkETA, TasksRMS, TasksETA float64
}

// MediansOf returns the medians of rows' columns.
func MediansOf(rows []AccuracyRow) Medians {
	var wr, we, tr, te []float64
	for _, r := range rows {
		wr, tr = append(wr, r.Work.RMS), append(tr, r.Tasks.RMS)
		if r.Work.MedianETAError >= 0 {
			we = append(we, r.Work.MedianETAError)
		}
		if r.Tasks.MedianETAError >= 0 {
			te = append(te, r.Tasks.MedianETAError)
		}
	}
	return Medians{median(wr), median(we), median(tr), median(te)}
}

// WriteAccuracy writes rows as a table: per run, the time-weighted RMS
// error and the median ETA error after 20% of each estimate, then the
// medians of each column.
func WriteAccuracy(w io.Writer, rows []AccuracyRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "app\trun\ttime\twork RMS\twork ETA err\ttasks RMS\ttasks ETA err\tmonotone\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%s\t%.3f\t%s\t%v\t\n", r.App, r.Run, r.Total.Round(time.Millisecond),
			r.Work.RMS, pct(r.Work.MedianETAError), r.Tasks.RMS, pct(r.Tasks.MedianETAError), r.Work.Monotone)
	}
	m := MediansOf(rows)
	fmt.Fprintf(tw, "median\t\t\t%.3f\t%s\t%.3f\t%s\t\t\n", m.WorkRMS, pct(m.WorkETA), m.TasksRMS, pct(m.TasksETA))
	return tw.Flush()
}

func pct(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// median returns the median of vs (the lower middle), -1 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return -1
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// The bar an estimate is held to (DuckDB's measure): over a set of runs,
// a median time-weighted RMS error of MaxRMS and a median ETA error after
// 20% of MaxETAError at most.
const (
	MaxRMS      = 0.05
	MaxETAError = 0.15
)

// CheckAccuracy returns what is wrong with an accuracy table's work
// estimate: a run where it went back or was no closer to t/T than the task
// count, or medians over the bar (MaxRMS, MaxETAError). A run with a
// failed attempt may be further off: the redone work is not progress, so
// the estimate holds while it is redone.
func CheckAccuracy(rows []AccuracyRow) []string {
	var problems []string
	for _, r := range rows {
		if !r.Work.Monotone {
			problems = append(problems, r.Run+": the work estimate went back")
		}
		if r.Work.RMS >= r.Tasks.RMS {
			problems = append(problems, fmt.Sprintf("%s: the work estimate's RMS error %.3f is no better than the task count's %.3f", r.Run, r.Work.RMS, r.Tasks.RMS))
		}
	}
	m := MediansOf(rows)
	if m.WorkRMS > MaxRMS {
		problems = append(problems, fmt.Sprintf("median time-weighted RMS error %.3f, over %.2f", m.WorkRMS, MaxRMS))
	}
	if m.WorkETA < 0 || m.WorkETA > MaxETAError {
		problems = append(problems, fmt.Sprintf("median ETA error after 20%% %s, over %.0f%%", pct(m.WorkETA), 100*MaxETAError))
	}
	return problems
}

// ProgressOf replays a run's lines through a Tracker with the model m and
// returns its estimate at now: how far a run still being written has got.
func ProgressOf(r io.Reader, m progress.Model, now time.Time) (progress.Estimate, error) {
	tr := progress.NewTracker(m)
	for e, err := range Events(r) {
		if err != nil {
			return progress.Estimate{}, err
		}
		if e.Desc == nil {
			continue
		}
		p, err := payloadOf(e.Desc, e.Fields)
		if err != nil {
			return progress.Estimate{}, err
		}
		tr.Observe(e.Time, e.Desc, &p)
	}
	return tr.Estimate(now), nil
}

// LearnModel learns what finished runs of src teach (progress.Learn), from
// the most recent completed ones, at most max of them. It finds them with
// a glance (ListGlances) and reads only those.
func LearnModel(ctx context.Context, src Source, max int) (progress.Model, error) {
	list, err := ListGlances(ctx, src)
	if err != nil {
		return progress.Model{}, err
	}
	var models []progress.Model
	for i := len(list) - 1; i >= 0 && len(models) < max; i-- {
		if list[i].Status != StatusCompleted {
			continue
		}
		rc, err := src.Open(ctx, list[i].Name())
		if err != nil {
			continue
		}
		r, err := ReplayProgress(rc, progress.Model{})
		rc.Close()
		if err == nil {
			models = append(models, r.Model)
		}
	}
	return progress.Learn(models...), nil
}
