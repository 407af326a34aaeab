package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/milestone-go/milestone/metrics/catalogdoc"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// summarizeCmd is `milestone summarize`.
var summarizeCmd = &command{
	name: "summarize",
	usage: `summarize [--json] [--by FIELD,...] PATH
summarize [--json] [--by FIELD,...] --clickhouse URL RUN_ID`,
	about: `summarize reports on one run: PATH is a run directory (<dir>/<run_id>) or
its events.jsonl. It prints the run's total time and, for any catalog, a
table per event and label set (count, total, p50, p99 and max of each
duration, sums of counts; percentiles by nearest rank); --by groups the
table by these fields too (db_id: a row per shard). For the built-in
catalog's writes, also the time of each phase, the slowest shards, retries,
throttling and reader latency; a run of another catalog has none of these
sections. With --clickhouse it reads RUN_ID's rows from the ClickHouse table
metrics/clickhouse writes and prints the same report.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		asJSON := fs.Bool("json", false, "print the report as JSON")
		by := fs.String("by", "", "group the event table by these fields too, comma-separated (db_id, node_id)")
		ch := clickhouseFlag(fs)
		return func(e *env, args []string) int {
			var opts []runs.Option
			if *by != "" {
				opts = append(opts, runs.GroupBy(strings.Split(*by, ",")...))
			}
			return summarize(e, *asJSON, ch, args, opts...)
		}
	},
}

// runsCmd is `milestone runs`.
var runsCmd = &command{
	name: "runs",
	usage: `runs [--json] [DIR]
runs [--json] --clickhouse URL`,
	about: `runs lists the runs of an event-log directory (DIR, else
$MILESTONE_EVENT_LOG_DIR, else ~/.milestone/events), oldest first, one a
line: its id, start, total time, writes, rows, retries, events dropped and
status (completed, failed, incomplete, no write, unreadable). With
--clickhouse it lists the runs of the ClickHouse table instead. The exit
status is 1 when a run could not be read; the others are listed.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		asJSON := fs.Bool("json", false, "print the list as JSON")
		ch := clickhouseFlag(fs)
		return func(e *env, args []string) int {
			return listRuns(e, *asJSON, ch, args)
		}
	},
}

// docsCmd is `milestone docs`.
var docsCmd = &command{
	name:  "docs",
	usage: "docs [-o FILE]",
	about: `docs writes the Markdown page of the built-in catalog (docs/events.md) to
FILE, or to standard output. An application renders its own catalog's page
with metrics/catalogdoc.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		out := fs.String("o", "", "the file to write (default: standard output)")
		return func(e *env, args []string) int {
			return docs(e, *out, args)
		}
	},
}

// chFlag is a --clickhouse URL flag: set tells whether it was given (an
// empty URL means $MILESTONE_CLICKHOUSE_URL).
type chFlag struct {
	url string
	set bool
}

func (f *chFlag) String() string { return f.url }

func (f *chFlag) Set(v string) error {
	f.url, f.set = v, true
	return nil
}

func clickhouseFlag(fs *flag.FlagSet) *chFlag {
	f := &chFlag{}
	fs.Var(f, "clickhouse", "read from the ClickHouse server at `URL` (\"\" for $MILESTONE_CLICKHOUSE_URL; user, password, database and table from the MILESTONE_CLICKHOUSE_* variables)")
	return f
}

// clickhouseOpts turns a --clickhouse URL into the reader's options.
func clickhouseOpts(url string) []clickhouse.Option {
	if url == "" {
		return nil
	}
	return []clickhouse.Option{clickhouse.WithURL(url)}
}

func summarize(e *env, asJSON bool, ch *chFlag, paths []string, opts ...runs.Option) int {
	stdout, stderr := e.stdout, e.stderr
	if len(paths) != 1 {
		return e.usage("want one PATH or RUN_ID, got %d", len(paths))
	}
	var s *runs.Summary
	var err error
	if ch.set {
		s, err = summaryFromClickHouse(ch.url, paths[0], opts...)
	} else {
		s, err = runs.ReadFile(paths[0], opts...)
	}
	if err != nil {
		fmt.Fprintf(stderr, "milestone summarize: %v\n", err)
		return 1
	}
	if asJSON {
		err = s.WriteJSON(stdout)
	} else {
		err = s.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "milestone summarize: %v\n", err)
		return 1
	}
	return 0
}

// listRuns lists the runs of an event-log directory. Its exit status is 1 when
// the directory cannot be read or a run's file cannot be, so that scripts
// notice; the readable runs are listed all the same.
func listRuns(e *env, asJSON bool, ch *chFlag, paths []string) int {
	stdout, stderr := e.stdout, e.stderr
	if ch.set {
		if len(paths) > 0 {
			return e.usage("--clickhouse takes no DIR")
		}
		list, err := runsFromClickHouse(ch.url)
		if err != nil {
			fmt.Fprintf(stderr, "milestone runs: %v\n", err)
			return 1
		}
		return writeRuns(list, asJSON, stdout, stderr)
	}
	if len(paths) > 1 {
		return e.usage("want at most one DIR, got %d", len(paths))
	}
	var dir string
	if len(paths) == 1 {
		dir = paths[0]
	}
	dir, err := eventlog.ResolveDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "milestone runs: %v\n", err)
		return 1
	}
	list, err := runs.ListRuns(dir)
	if err != nil {
		fmt.Fprintf(stderr, "milestone runs: %v\n", err)
		return 1
	}
	return writeRuns(list, asJSON, stdout, stderr)
}

// writeRuns prints the list; its exit status is 1 when a run could not be
// read.
func writeRuns(list []runs.RunInfo, asJSON bool, stdout, stderr io.Writer) int {
	var err error
	if asJSON {
		err = runs.WriteRunsJSON(stdout, list)
	} else {
		err = runs.WriteRunsText(stdout, list)
	}
	if err != nil {
		fmt.Fprintf(stderr, "milestone runs: %v\n", err)
		return 1
	}
	status := 0
	for _, r := range list {
		if r.Status == runs.StatusUnreadable {
			fmt.Fprintf(stderr, "milestone runs: %s: %s\n", r.Dir, r.Err)
			status = 1
		}
	}
	return status
}

// docs writes the built-in catalog's page, to FILE or standard output.
func docs(e *env, file string, args []string) int {
	stdout, stderr := e.stdout, e.stderr
	if len(args) > 0 {
		return e.usage("want no argument but -o FILE, got %q", args)
	}
	var err error
	if file == "" {
		_, err = stdout.Write(catalogdoc.Render(shardyfusion.Catalog))
	} else {
		err = catalogdoc.Write(shardyfusion.Catalog, file)
	}
	if err != nil {
		fmt.Fprintf(stderr, "milestone docs: %v\n", err)
		return 1
	}
	return 0
}
