package explore

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/milestone-go/milestone/runs"
)

// listPage is what templates/list.html shows.
type listPage struct {
	Source   string
	Q        string
	Status   string
	Statuses []string
	Runs     []listRow
	Total    int
	// Matching is how many runs the filter keeps; Runs is the page of
	// them from First (1-based) on, and Newer and Older link the pages
	// beside it ("" when there is none).
	Matching     int
	First, Last  int
	Newer, Older string
}

// listRow is one run of the list.
type listRow struct {
	ID, Link, TraceID, Status, Start, Duration string
	Events, Errors                             int
	Err                                        string
}

// statuses are the statuses the filter offers.
var statuses = []string{runs.StatusCompleted, runs.StatusFailed, runs.StatusCancelled, runs.StatusIncomplete, runs.StatusNoWrite, runs.StatusUnreadable}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.readTime)
	defer cancel()
	list, err := runs.ListGlances(ctx, s.src)
	if err != nil {
		s.fail(w, "the runs could not be listed", err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	status := r.URL.Query().Get("status")
	pageNo, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || pageNo < 1 {
		pageNo = 1
	}
	pageNo = min(pageNo, len(list)/RunsPerPage+2) // past the last page: empty, and no overflow
	page := listPage{Source: s.src.String(), Q: q, Status: status, Statuses: statuses, Total: len(list)}
	skip := (pageNo - 1) * RunsPerPage
	// Newest first.
	for i := len(list) - 1; i >= 0; i-- {
		ri := list[i]
		if status != "" && ri.Status != status {
			continue
		}
		if q != "" && !strings.Contains(ri.ID, q) && !strings.Contains(ri.TraceID, q) {
			continue
		}
		page.Matching++
		if page.Matching <= skip || len(page.Runs) == RunsPerPage {
			continue
		}
		page.Runs = append(page.Runs, listRowOf(ri))
	}
	if len(page.Runs) > 0 {
		page.First, page.Last = skip+1, skip+len(page.Runs)
	}
	link := func(n int) string {
		v := url.Values{}
		if q != "" {
			v.Set("q", q)
		}
		if status != "" {
			v.Set("status", status)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return "?" + v.Encode()
	}
	if pageNo > 1 {
		page.Newer = link(pageNo - 1)
	}
	if skip+RunsPerPage < page.Matching {
		page.Older = link(pageNo + 1)
	}
	s.render(w, "list.html", page)
}

// listRowOf is the list's row of a run.
func listRowOf(ri runs.RunInfo) listRow {
	row := listRow{ID: ri.ID, Link: "runs/" + url.PathEscape(ri.Name()), TraceID: ri.TraceID, Status: ri.Status,
		Duration: runs.Millis(ri.DurationMS), Events: ri.Events, Errors: ri.Errors, Err: ri.Err}
	if !ri.Start.IsZero() {
		row.Start = ri.Start.UTC().Format("2006-01-02 15:04:05.000")
	}
	return row
}
