package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/milestone-go/milestone/runs"
)

// profileCmd is `milestone profile`: where a run's time went, step by step.
var profileCmd = &command{
	name: "profile",
	usage: `profile [--json] PATH
profile [--json] --clickhouse URL RUN_ID`,
	about: `profile shows where a run's time went step by step: its steps as
the spans of its trace (metrics/tracing, rebuilt from the event log), each
with its start, duration, self time (not in its sub-steps) and share of the
run's wall time, the critical path (from the run, each time the step that
ended last), and warnings: skewed steps (the longest of three or more
siblings of one name over 3 times their median), a retry storm, a stall, a
run that never ended. PATH is a run directory or its events.jsonl; with
--clickhouse the run is read from the ClickHouse table.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		asJSON := fs.Bool("json", false, "write the profile as JSON")
		ch := clickhouseFlag(fs)
		return func(e *env, args []string) int {
			if len(args) != 1 {
				return e.usage("want one PATH or RUN_ID, got %d", len(args))
			}
			r, err := openRun(ch, args[0])
			if err != nil {
				fmt.Fprintf(e.stderr, "milestone profile: %v\n", err)
				return 1
			}
			defer r.Close()
			p, err := runs.ProfileOf(r)
			if err != nil {
				fmt.Fprintf(e.stderr, "milestone profile: %v\n", err)
				return 1
			}
			if *asJSON {
				err = p.WriteJSON(e.stdout)
			} else {
				err = p.WriteText(e.stdout)
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "milestone profile: %v\n", err)
				return 1
			}
			return 0
		}
	},
}

// openRun opens a run's lines: a file or run directory, or a run of the
// ClickHouse table when --clickhouse was given.
func openRun(ch *chFlag, arg string) (io.ReadCloser, error) {
	if ch.set {
		ctx, cancel := context.WithTimeout(context.Background(), clickhouseTimeout)
		defer cancel()
		return runs.ClickHouse(clickhouseOpts(ch.url)...).Open(ctx, arg)
	}
	path := arg
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, runs.FileName)
	}
	return os.Open(path)
}
