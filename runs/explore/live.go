package explore

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/milestone-go/milestone/runs"
)

// keepAlive is how often a quiet live stream sends a comment, so that
// proxies keep it open.
const keepAlive = 15 * time.Second

// maxSizeFailures is how many times in a row a run's size may fail to be
// read before its live stream ends.
const maxSizeFailures = 20

// serveLive streams a "grow" event whenever the run's log grows, until the
// client goes away. A source that cannot tell a run's size (not a
// runs.Sizer) has no live stream: its run pages are not live. Dir's and
// ClickHouse's sources are Sizers.
func (s *Server) serveLive(w http.ResponseWriter, r *http.Request, id string) {
	sizer, ok := s.src.(runs.Sizer)
	flusher, canFlush := w.(http.Flusher)
	if !ok || !canFlush {
		http.Error(w, "this source has no live updates", http.StatusNotFound)
		return
	}
	ctx := r.Context()
	last, err := sizer.Size(ctx, id)
	if err != nil {
		s.fail(w, "the run could not be watched", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": live\n\n")
	flusher.Flush()
	poll := time.NewTicker(s.poll)
	defer poll.Stop()
	quiet := time.Now()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		size, err := sizer.Size(ctx, id)
		if err != nil {
			// A source that fails for a moment (a server restarting) is
			// asked again; a run that is gone, or a source that keeps
			// failing, ends the stream.
			if failures++; errors.Is(err, runs.ErrNotFound) || failures >= maxSizeFailures {
				fmt.Fprint(w, "event: end\ndata: gone\n\n")
				flusher.Flush()
				return
			}
			continue
		}
		failures = 0
		switch {
		case size != last:
			last, quiet = size, time.Now()
			fmt.Fprintf(w, "event: grow\ndata: %d\n\n", size)
		case time.Since(quiet) >= keepAlive:
			quiet = time.Now()
			fmt.Fprint(w, ": still here\n\n")
		default:
			continue
		}
		flusher.Flush()
	}
}
