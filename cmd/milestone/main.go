package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/milestone-go/milestone/internal/report/runsummary"
	"github.com/milestone-go/milestone/metrics/catalogdoc"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: milestone summarize [--json] PATH
       milestone summarize [--json] --clickhouse URL RUN_ID
       milestone runs [--json] [DIR]
       milestone runs [--json] --clickhouse URL
       milestone clickhouse ddl [--database DB] [--table TABLE]
       milestone docs [-o FILE]
       milestone mixin [--catalog NS] --out DIR [--window 5m] [--warn-rate 0.1] [--warn-for 10m]
                       [--latency NAME=DUR] [--stall-after 1h] [--runbook-url URL]

summarize reports on one run: PATH is a run directory (<dir>/<run_id>) or its
events.jsonl. runs lists the runs of an event-log directory, oldest first;
DIR defaults to $MILESTONE_EVENT_LOG_DIR, else ~/.milestone/events. With
--clickhouse they read the runs from the ClickHouse table metrics/clickhouse
writes (the URL may be "" to use $MILESTONE_CLICKHOUSE_URL; user, password,
database and table come from the MILESTONE_CLICKHOUSE_* variables), with the
same report as from files. clickhouse ddl prints the table's CREATE
statement. docs writes
the Markdown page of the built-in catalog (docs/events.md) to FILE, or to
standard output; an application renders its own catalog's page with
metrics/catalogdoc. mixin writes alerts.yaml, rules.yaml, dashboards/NS.json and
runbook.md for a catalog (default shardyfusion) into DIR (metrics/mixin).
`

// run is the command with its arguments (without the program name) and
// output streams; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "summarize":
		return summarize(args[1:], stdout, stderr)
	case "runs":
		return runs(args[1:], stdout, stderr)
	case "docs":
		return docs(args[1:], stdout, stderr)
	case "clickhouse":
		return clickhouseCmd(args[1:], stdout, stderr)
	case "mixin":
		return mixinCmd(args[1:], stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "milestone: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

// cmdArgs are a command's parsed arguments.
type cmdArgs struct {
	asJSON     bool
	clickhouse *string // set by --clickhouse URL
	paths      []string
}

// parseArgs splits a command's arguments into --json, --clickhouse URL and
// the rest. It returns a non-negative exit status when the command should
// stop there (help asked for, or an unknown flag).
func parseArgs(cmd string, args []string, stdout, stderr io.Writer) (a cmdArgs, exit int) {
	asJSON, paths, exit := false, []string(nil), -1
	for i := 0; i < len(args); i++ {
		switch arg := args[i]; {
		case arg == "--clickhouse" || arg == "-clickhouse":
			if i+1 == len(args) {
				fmt.Fprintf(stderr, "milestone %s: --clickhouse needs a URL\n%s", cmd, usage)
				return a, 2
			}
			i++
			url := args[i]
			a.clickhouse = &url
		case arg == "--json" || arg == "-json":
			asJSON = true
		case arg == "-h" || arg == "--help" || arg == "-help":
			fmt.Fprint(stdout, usage)
			return a, 0
		case strings.HasPrefix(arg, "-") && arg != "-":
			fmt.Fprintf(stderr, "milestone %s: unknown flag %s\n%s", cmd, arg, usage)
			return a, 2
		default:
			paths = append(paths, arg)
		}
	}
	a.asJSON, a.paths = asJSON, paths
	return a, exit
}

// clickhouseOpts turns a --clickhouse URL into the reader's options.
func clickhouseOpts(url string) []clickhouse.Option {
	if url == "" {
		return nil
	}
	return []clickhouse.Option{clickhouse.WithURL(url)}
}

func summarize(args []string, stdout, stderr io.Writer) int {
	a, exit := parseArgs("summarize", args, stdout, stderr)
	if exit >= 0 {
		return exit
	}
	asJSON, paths := a.asJSON, a.paths
	if len(paths) != 1 {
		fmt.Fprintf(stderr, "milestone summarize: want one PATH or RUN_ID, got %d\n%s", len(paths), usage)
		return 2
	}
	var s *runsummary.Summary
	var err error
	if a.clickhouse != nil {
		s, err = summaryFromClickHouse(*a.clickhouse, paths[0])
	} else {
		s, err = runsummary.ReadFile(paths[0])
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

// runs lists the runs of an event-log directory. Its exit status is 1 when
// the directory cannot be read or a run's file cannot be, so that scripts
// notice; the readable runs are listed all the same.
func runs(args []string, stdout, stderr io.Writer) int {
	a, exit := parseArgs("runs", args, stdout, stderr)
	if exit >= 0 {
		return exit
	}
	asJSON, paths := a.asJSON, a.paths
	if a.clickhouse != nil {
		if len(paths) > 0 {
			fmt.Fprintf(stderr, "milestone runs: --clickhouse takes no DIR\n%s", usage)
			return 2
		}
		list, err := runsFromClickHouse(*a.clickhouse)
		if err != nil {
			fmt.Fprintf(stderr, "milestone runs: %v\n", err)
			return 1
		}
		return writeRuns(list, asJSON, stdout, stderr)
	}
	if len(paths) > 1 {
		fmt.Fprintf(stderr, "milestone runs: want at most one DIR, got %d\n%s", len(paths), usage)
		return 2
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
	list, err := runsummary.ListRuns(dir)
	if err != nil {
		fmt.Fprintf(stderr, "milestone runs: %v\n", err)
		return 1
	}
	return writeRuns(list, asJSON, stdout, stderr)
}

// writeRuns prints the list; its exit status is 1 when a run could not be
// read.
func writeRuns(list []runsummary.RunInfo, asJSON bool, stdout, stderr io.Writer) int {
	var err error
	if asJSON {
		err = runsummary.WriteRunsJSON(stdout, list)
	} else {
		err = runsummary.WriteRunsText(stdout, list)
	}
	if err != nil {
		fmt.Fprintf(stderr, "milestone runs: %v\n", err)
		return 1
	}
	status := 0
	for _, r := range list {
		if r.Status == runsummary.StatusUnreadable {
			fmt.Fprintf(stderr, "milestone runs: %s: %s\n", r.Dir, r.Err)
			status = 1
		}
	}
	return status
}

// docs writes the built-in catalog's page, to -o FILE or standard output.
func docs(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		if _, err := stdout.Write(catalogdoc.Render(shardyfusion.Catalog)); err != nil {
			fmt.Fprintf(stderr, "milestone docs: %v\n", err)
			return 1
		}
		return 0
	case len(args) == 2 && (args[0] == "-o" || args[0] == "--o"):
		if err := catalogdoc.Write(shardyfusion.Catalog, args[1]); err != nil {
			fmt.Fprintf(stderr, "milestone docs: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "milestone docs: want no argument or -o FILE\n%s", usage)
	return 2
}
