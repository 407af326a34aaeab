package runs

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// writeIndented writes v as JSON indented by two spaces, the way every
// --json of the CLI prints.
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteJSON writes s as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error {
	return writeIndented(w, s)
}

// MarshalJSON writes the summary with only the sections its events
// support: a run with no event of the built-in catalog has no write,
// shard, row, retry, rate-limiter or reader section.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	if s.ShardedKV {
		return json.Marshal(plain(s))
	}
	// Fields of the outer struct hide the embedded ones of the same name;
	// nil and omitempty, they leave the sections out.
	type none *struct{}
	return json.Marshal(struct {
		plain
		WritesStarted   none `json:"writes_started,omitempty"`
		WritesCompleted none `json:"writes_completed,omitempty"`
		Phases          none `json:"phases,omitempty"`
		Shards          none `json:"shards,omitempty"`
		Rows            none `json:"rows,omitempty"`
		Retries         none `json:"retries,omitempty"`
		Limiter         none `json:"rate_limiter,omitempty"`
		Reader          none `json:"reader,omitempty"`
		WritesFailed    none `json:"writes_failed,omitempty"`
	}{plain: plain(s)})
}

// WriteText writes s as a report for people.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }

	runs := strings.Join(s.RunIDs, ", ")
	if runs == "" {
		runs = "(no run id)"
	}
	p("run\t%s\n", runs)
	if len(s.TraceIDs) > 0 {
		p("trace\t%s\n", strings.Join(s.TraceIDs, ", "))
	}
	if s.Path != "" {
		p("file\t%s\n", s.Path)
	}
	p("lines\t%d lines, %d events, %s to %s\n", s.Lines, s.Events, stamp(s.First), stamp(s.Last))
	if s.Version != "" || s.Host != "" {
		p("written by\tmilestone %s on %s, pid %d\n", s.Version, s.Host, s.PID)
	}
	p("\n")

	if s.ShardedKV {
		s.writeShardedKV(p)
	} else {
		p("total\t%s\t(%s)\n", Millis(s.TotalMS), s.TotalSource)
		end := "never came: the run is incomplete"
		if s.EndedBy != "" {
			end = s.EndedBy
			if s.EndStatus != "" {
				end += ", status " + s.EndStatus
			}
		}
		p("ended by\t%s\n", end)
	}
	if len(s.EventTable) > 0 {
		p("\n")
		p("events\tcount\tdurations (percentiles: nearest rank)\tsums\n")
		for _, e := range s.EventTable {
			p("  %s%s\t%d\t%s\t%s\n", e.Event, labelSet(e.Labels), e.Count, durationCells(e.Durations), sumCells(e.Sums))
		}
	}

	if s.Dropped > 0 || s.Torn != nil || len(s.Malformed) > 0 || len(s.Unknown) > 0 {
		p("\n")
		p("warnings\n")
	}
	if s.Dropped > 0 {
		p("  dropped\t%d events were dropped by the collector and are missing from this log\n", s.Dropped)
	}
	if s.Torn != nil {
		p("  torn last line\tline %d (%d bytes) has no newline and is not complete JSON, as a crash mid-write leaves it; ignored: %s\n", s.Torn.Line, s.Torn.Bytes, s.Torn.Error)
	}
	if len(s.Malformed) > 0 {
		nums := make([]string, 0, min(len(s.Malformed), 10))
		for _, n := range s.Malformed[:min(len(s.Malformed), 10)] {
			nums = append(nums, strconv.Itoa(n))
		}
		more := ""
		if len(s.Malformed) > 10 {
			more = ", …"
		}
		p("  malformed\t%d complete lines ignored (%s%s): not valid event-log JSON or a value of the wrong type; first: %s\n",
			len(s.Malformed), strings.Join(nums, ", "), more, s.MalformedError)
	}
	if len(s.Unknown) > 0 {
		p("  undeclared events\t%s (not declared in this binary: the table groups and sums them by their field names)\n", countsByKey(s.Unknown))
	}
	return tw.Flush()
}

func percentiles(l Latency) string {
	if l.Count == 0 {
		return ""
	}
	return fmt.Sprintf("\tp50 %s\tp90 %s\tp99 %s\tmax %s", Millis(l.P50MS), Millis(l.P90MS), Millis(l.P99MS), Millis(l.MaxMS))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Millis formats a number of milliseconds as a Go duration rounded for
// reading: to the microsecond below one second, to the millisecond above.
func Millis(ms float64) string {
	if math.IsNaN(ms) || math.IsInf(ms, 0) || math.Abs(ms) > 9e12 {
		return strconv.FormatFloat(ms, 'g', -1, 64) + "ms"
	}
	d := time.Duration(math.Round(ms * 1e6))
	if d >= time.Second || d <= -time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// countsByKey writes a map of counts as "a ×1, b ×2", sorted by key.
func countsByKey(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = fmt.Sprintf("%s ×%d", n, m[n])
	}
	return strings.Join(names, ", ")
}

// labelSet writes label values as {a=x,b=y}, sorted by name.
func labelSet(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = n + "=" + labels[n]
	}
	return "{" + strings.Join(names, ",") + "}"
}

func durationCells(ds []FieldLatency) string {
	if len(ds) == 0 {
		return "-"
	}
	cells := make([]string, len(ds))
	for i, d := range ds {
		cells[i] = fmt.Sprintf("%s total %s p50 %s p99 %s max %s", d.Field, Millis(d.TotalMS), Millis(d.P50MS), Millis(d.P99MS), Millis(d.MaxMS))
	}
	return strings.Join(cells, "; ")
}

func sumCells(ss []FieldSum) string {
	if len(ss) == 0 {
		return "-"
	}
	cells := make([]string, len(ss))
	for i, s := range ss {
		cells[i] = s.Field + " " + strconv.FormatInt(s.Sum, 10)
	}
	return strings.Join(cells, "; ")
}

// writeShardedKV writes the sections about the built-in catalog's writes,
// shards and reader.
func (s *Summary) writeShardedKV(p func(format string, args ...any)) {
	p("total\t%s\t(%s", Millis(s.TotalMS), s.TotalSource)
	if s.WritesStarted+s.WritesCompleted > 0 {
		p("; %s started, %d completed", plural(s.WritesStarted, "write"), s.WritesCompleted)
	}
	p(")\n")
	p("\n")

	p("phase\ttime\tshare of total\n")
	for _, ph := range s.Phases {
		if ph.MS == nil {
			p("  %s\t-\t(no %s)\n", ph.Name, ph.From)
			continue
		}
		share := "-"
		if s.TotalMS > 0 {
			share = strconv.FormatFloat(100**ph.MS/s.TotalMS, 'f', 1, 64) + "%"
		}
		p("  %s\t%s\t%s\n", ph.Name, Millis(*ph.MS), share)
	}
	p("\n")

	sh := s.Shards
	p("shards\t%d completed of %d started\n", sh.Completed, sh.Started)
	if sh.Completed > 0 {
		p("  duration\tmin %s, median %s, max %s\n", Millis(sh.MinMS), Millis(sh.MedianMS), Millis(sh.MaxMS))
		p("  slowest\tdb_id\tduration\trows\tretries\n")
		for _, x := range sh.Slowest {
			p("\t%d\t%s\t%d\t%d\n", x.DBID, Millis(x.DurationMS), x.Rows, x.Retries)
		}
	}
	if len(sh.Exhausted) > 0 {
		ids := make([]string, len(sh.Exhausted))
		for i, id := range sh.Exhausted {
			ids[i] = strconv.FormatInt(id, 10)
		}
		p("  retries exhausted\tdb_id %s\n", strings.Join(ids, ", "))
	}
	p("\n")

	p("rows written\t%d\t(%s; %d in completed shards, %d in %d batches)\n",
		s.Rows.Written, s.Rows.Source, s.Rows.InShards, s.Rows.InBatches, s.Rows.Batches)
	r := s.Retries
	p("retries\tshard writes %d (backoff %s), %d exhausted; storage %d (delay %s), %d exhausted\n",
		r.ShardRetries, Millis(r.ShardBackoffMS), r.ShardExhausted, r.S3Retries, Millis(r.S3DelayMS), r.S3Exhausted)
	p("throttled\t%s, %s waiting; %d denied (%d tokens)\n",
		plural(s.Limiter.Throttled, "time"), Millis(s.Limiter.WaitMS), s.Limiter.Denied, s.Limiter.TokensAsked)
	p("\n")

	rd := s.Reader
	p("reader\t%d initialized, %d refreshes (%d changed the snapshot), %d closed\n",
		rd.Initialized, rd.Refreshes, rd.Changes, rd.Closed)
	p("  gets\t%d (%d misses)%s\n", rd.Gets.Count, rd.Misses, percentiles(rd.Gets))
	p("  multi-gets\t%d (%d keys)%s\n", rd.MultiGets.Count, rd.MultiKeys, percentiles(rd.MultiGets))

	if len(s.WritesFailed) > 0 {
		p("writes failed\t%s\n", countsByKey(s.WritesFailed))
	}
}
