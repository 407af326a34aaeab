package runs

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes p as indented JSON.
func (p *Profile) WriteJSON(w io.Writer) error {
	return writeIndented(w, p)
}

// Title returns a span's name with its labels: write.shard.completed{db_id=3}.
func (s *Span) Title() string { return s.Name + labelText(s.Labels) }

// WriteText writes p as a table for people: a row per span, indented by
// depth, the critical path starred, then the warnings.
func (p *Profile) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "run\t%s\n", p.RunID)
	fmt.Fprintf(tw, "trace\t%s\n", p.TraceID)
	fmt.Fprintf(tw, "wall\t%s, %s, %s\n\n", Millis(p.WallMS), plural(len(p.Spans), "span"), plural(p.Events, "event"))
	fmt.Fprintln(tw, "  step\tstart\tduration\tself\tshare\tmarks")
	for _, s := range p.Spans {
		lead := "  "
		if s.Critical {
			lead = "* "
		}
		title := strings.Repeat("  ", s.Depth) + s.Title()
		if s.Error {
			title += " [error " + s.ErrorType + "]"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", lead, title, Millis(s.StartMS), Millis(s.DurationMS), Millis(s.SelfMS),
			strconv.FormatFloat(100*s.Share, 'f', 1, 64)+"%", marks(s))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n(* the critical path: from the run, each time the step that ended last)")
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w, "\nwarnings")
		for _, wr := range p.Warnings {
			fmt.Fprintf(w, "  %-12s %s\n", wr.Kind, wr.Message)
		}
	}
	return nil
}

// marks sums a span's marks by name: "s3.retry ×2, write.batch_written ×4".
func marks(s *Span) string {
	if len(s.Marks) == 0 && s.MarksDropped == 0 {
		return "-"
	}
	n := map[string]int{}
	for _, m := range s.Marks {
		n[m.Name]++
	}
	names := make([]string, 0, len(n))
	for k := range n {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + " ×" + strconv.Itoa(n[k])
	}
	if s.MarksDropped > 0 {
		parts = append(parts, strconv.Itoa(s.MarksDropped)+" more")
	}
	return strings.Join(parts, ", ")
}
