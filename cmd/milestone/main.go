package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/milestone-go/milestone/internal/runsummary"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/catalogdoc"
	"github.com/milestone-go/milestone/metrics/eventlog"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: milestone summarize [--json] PATH
       milestone runs [--json] [DIR]
       milestone docs [-o FILE]

summarize reports on one run: PATH is a run directory (<dir>/<run_id>) or its
events.jsonl. runs lists the runs of an event-log directory, oldest first;
DIR defaults to $MILESTONE_EVENT_LOG_DIR, else ~/.milestone/events. docs writes
the Markdown page of the built-in catalog (docs/events.md) to FILE, or to
standard output; an application renders its own catalog's page with
metrics/catalogdoc.
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
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "milestone: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

// parseArgs splits a command's arguments into --json and the rest. It
// returns a non-negative exit status when the command should stop there
// (help asked for, or an unknown flag).
func parseArgs(cmd string, args []string, stdout, stderr io.Writer) (asJSON bool, paths []string, exit int) {
	for _, a := range args {
		switch {
		case a == "--json" || a == "-json":
			asJSON = true
		case a == "-h" || a == "--help" || a == "-help":
			fmt.Fprint(stdout, usage)
			return false, nil, 0
		case strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprintf(stderr, "milestone %s: unknown flag %s\n%s", cmd, a, usage)
			return false, nil, 2
		default:
			paths = append(paths, a)
		}
	}
	return asJSON, paths, -1
}

func summarize(args []string, stdout, stderr io.Writer) int {
	asJSON, paths, exit := parseArgs("summarize", args, stdout, stderr)
	if exit >= 0 {
		return exit
	}
	if len(paths) != 1 {
		fmt.Fprintf(stderr, "milestone summarize: want one PATH, got %d\n%s", len(paths), usage)
		return 2
	}
	s, err := runsummary.ReadFile(paths[0])
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
	asJSON, paths, exit := parseArgs("runs", args, stdout, stderr)
	if exit >= 0 {
		return exit
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
		if _, err := stdout.Write(catalogdoc.Render(metrics.Shardyfusion)); err != nil {
			fmt.Fprintf(stderr, "milestone docs: %v\n", err)
			return 1
		}
		return 0
	case len(args) == 2 && (args[0] == "-o" || args[0] == "--o"):
		if err := catalogdoc.Write(metrics.Shardyfusion, args[1]); err != nil {
			fmt.Fprintf(stderr, "milestone docs: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "milestone docs: want no argument or -o FILE\n%s", usage)
	return 2
}
