package explore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/milestone-go/milestone/metrics/progress"
	"github.com/milestone-go/milestone/runs"
)

// runPage is what templates/run.html shows.
type runPage struct {
	ID, Link, TraceID, Status, Start, Wall string
	Events, Errors                         int
	Live                                   bool
	Gantt                                  gantt
	Profile                                *runs.Profile
	ProfileErr                             string
	Head, Tail                             []eventRow
	Omitted                                int
	// Progress is shown while the run is being written.
	Progress *progressView
}

// progressView is a live run's progress, formatted.
type progressView struct {
	Percent                 string
	Value                   float64 // 0 to 1000, for the progress element
	Stage, Done, Total, ETA string
	Unit                    string
	Stalled, Known          bool
}

// eventRow is one event of the list.
type eventRow struct {
	Time, Name, SpanID, Fields string
	Error                      bool
}

func (s *Server) serveRun(w http.ResponseWriter, r *http.Request, id string) {
	ctx, cancel := context.WithTimeout(r.Context(), s.readTime)
	defer cancel()
	page, err := s.readRun(ctx, id)
	if err != nil {
		s.fail(w, "the run could not be read", err)
		return
	}
	if r.URL.Query().Get("fragment") == "main" {
		s.render(w, "run-main", page)
		return
	}
	s.render(w, "run.html", page)
}

// readRun reads the run once, handing its lines to a glance (its status
// and counts), the profile and the event list at the same time.
func (s *Server) readRun(ctx context.Context, id string) (*runPage, error) {
	rc, err := s.src.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var (
		sum    *runs.Summary
		prof   *runs.Profile
		perr   error
		events eventRing
	)
	err = fanOut(rc,
		func(r io.Reader) (err error) { sum, err = runs.Glance(r); return err },
		func(r io.Reader) error { prof, perr = runs.ProfileOf(r); drain(r); return nil },
		events.fill,
	)
	if err != nil {
		return nil, err
	}
	info := runs.InfoFrom(id, sum, nil)
	page := &runPage{ID: info.ID, Link: url.PathEscape(id), TraceID: info.TraceID, Status: info.Status,
		Wall: runs.Millis(info.DurationMS), Events: info.Events, Errors: info.Errors, Profile: prof}
	if !info.Start.IsZero() {
		page.Start = info.Start.UTC().Format("2006-01-02 15:04:05.000")
	}
	if perr != nil {
		page.ProfileErr = perr.Error()
	} else {
		page.Gantt = layout(prof)
		_, canWatch := s.src.(runs.Sizer)
		page.Live = canWatch && info.Status == runs.StatusIncomplete
	}
	page.Head, page.Tail, page.Omitted = events.rows()
	if page.Live {
		page.Progress = s.progressOf(ctx, id)
	}
	return page, nil
}

// progressOf estimates a live run's progress, with what the source's
// finished runs teach (learned once, in the background; stages weigh
// equally until then).
func (s *Server) progressOf(ctx context.Context, id string) *progressView {
	s.learnOnce.Do(func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), s.readTime)
			defer cancel()
			if m, err := runs.LearnModel(ctx, s.src, 20); err == nil {
				s.model.Store(&m)
			}
		}()
	})
	var m progress.Model
	if p := s.model.Load(); p != nil {
		m = *p
	}
	rc, err := s.src.Open(ctx, id)
	if err != nil {
		return nil
	}
	defer rc.Close()
	e, err := runs.ProgressOf(rc, m, time.Now())
	if err != nil {
		return nil
	}
	v := &progressView{Percent: strconv.FormatFloat(100*e.Fraction, 'f', 1, 64) + "%", Value: math.Round(1000 * e.Fraction),
		Stage: e.Stage, Unit: e.Unit, Done: strconv.FormatFloat(e.Done, 'f', 0, 64), Total: strconv.FormatFloat(e.Total, 'f', 0, 64),
		Stalled: e.Stalled, Known: e.Known}
	if e.ETA >= 0 {
		v.ETA = e.ETA.Round(100 * time.Millisecond).String()
	}
	return v
}

// fanOut copies r to each consumer, which read their copy concurrently to
// its end; it returns the first error of a consumer or of r.
func fanOut(r io.Reader, consumers ...func(io.Reader) error) error {
	pws := make([]*io.PipeWriter, len(consumers))
	errs := make([]error, len(consumers))
	var wg sync.WaitGroup
	for i, c := range consumers {
		pr, pw := io.Pipe()
		pws[i] = pw
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c(pr)
			pr.CloseWithError(errors.New("consumer done")) // later writes fail fast
		}()
	}
	buf := make([]byte, 64<<10)
	var rerr error
	for {
		n, err := r.Read(buf)
		for _, pw := range pws {
			_, _ = pw.Write(buf[:n]) // a consumer that stopped early is skipped
		}
		if err != nil {
			if err != io.EOF {
				rerr = err
			}
			break
		}
	}
	for _, pw := range pws {
		pw.CloseWithError(rerr)
	}
	wg.Wait()
	if rerr != nil {
		return rerr
	}
	return errors.Join(errs...)
}

// drain reads r to its end.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, r) }

// eventRing keeps the first and the last MaxEvents/2 lines of a log.
type eventRing struct {
	head, tail [][]byte
	next       int // where the tail's next line goes, once it is full
	total      int
}

func (e *eventRing) fill(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	half := MaxEvents / 2
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || bytes.HasPrefix(line, []byte(`{"event":"event_log_started"`)) || bytes.HasPrefix(line, []byte(`{"event":"events_dropped"`)) {
			continue
		}
		e.total++
		switch {
		case len(e.head) < half:
			e.head = append(e.head, bytes.Clone(line))
		case len(e.tail) < half:
			e.tail = append(e.tail, bytes.Clone(line))
		default:
			e.tail[e.next] = append(e.tail[e.next][:0], line...)
			e.next = (e.next + 1) % half
		}
	}
	return sc.Err()
}

// rows returns the kept events, and how many were left out between them.
func (e *eventRing) rows() (head, tail []eventRow, omitted int) {
	ordered := append(append([][]byte(nil), e.tail[e.next:]...), e.tail[:e.next]...)
	return parseRows(e.head), parseRows(ordered), e.total - len(e.head) - len(e.tail)
}

func parseRows(lines [][]byte) []eventRow {
	var out []eventRow
	for ev, err := range runs.Events(bytes.NewReader(bytes.Join(lines, []byte{'\n'}))) {
		if err != nil {
			break
		}
		row := eventRow{Time: ev.Time.UTC().Format("15:04:05.000"), Name: ev.Name, SpanID: ev.SpanID}
		keys := make([]string, 0, len(ev.Fields))
		for k := range ev.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(k + "=" + strings.Trim(string(ev.Fields[k]), `"`))
		}
		row.Fields = b.String()
		if ev.Desc != nil {
			row.Error = ev.Desc.Level >= slog.LevelError
		}
		out = append(out, row)
	}
	return out
}
