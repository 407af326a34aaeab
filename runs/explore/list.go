package explore

import (
	"context"
	"net/http"
	"net/url"
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
	page := listPage{Source: s.src.String(), Q: q, Status: status, Statuses: statuses, Total: len(list)}
	// Newest first.
	for i := len(list) - 1; i >= 0; i-- {
		ri := list[i]
		if status != "" && ri.Status != status {
			continue
		}
		if q != "" && !strings.Contains(ri.ID, q) && !strings.Contains(ri.TraceID, q) {
			continue
		}
		row := listRow{ID: ri.ID, Link: "runs/" + url.PathEscape(ri.Name()), TraceID: ri.TraceID, Status: ri.Status,
			Duration: runs.Millis(ri.DurationMS), Events: ri.Events, Errors: ri.Errors, Err: ri.Err}
		if !ri.Start.IsZero() {
			row.Start = ri.Start.UTC().Format("2006-01-02 15:04:05.000")
		}
		page.Runs = append(page.Runs, row)
	}
	s.render(w, "list.html", page)
}
