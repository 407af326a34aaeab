package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/milestone-go/milestone/internal/runsummary"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: milestone summarize [--json] PATH

PATH is a run directory (<dir>/<run_id>) or its events.jsonl.
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
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "milestone: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

func summarize(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	var paths []string
	for _, a := range args {
		switch {
		case a == "--json" || a == "-json":
			asJSON = true
		case a == "-h" || a == "--help" || a == "-help":
			fmt.Fprint(stdout, usage)
			return 0
		case strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprintf(stderr, "milestone summarize: unknown flag %s\n%s", a, usage)
			return 2
		default:
			paths = append(paths, a)
		}
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
