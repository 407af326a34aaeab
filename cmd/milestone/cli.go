package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand: its name, its usage line(s), what it does in a
// paragraph, the flags it takes and what it runs once they are parsed.
type command struct {
	name  string
	usage string // the usage line(s) without "usage: "
	about string // what it does, for `milestone NAME -h`
	flags func(fs *flag.FlagSet) func(*env, []string) int
}

// env is what a command's body runs with: its output streams, and its
// command for usage errors.
type env struct {
	cmd            *command
	stdout, stderr io.Writer
}

// usage prints a usage error of the command and returns exit status 2.
func (e *env) usage(format string, args ...any) int {
	fmt.Fprintf(e.stderr, "milestone %s: %s\n", e.cmd.name, fmt.Sprintf(format, args...))
	for i, line := range strings.Split(e.cmd.usage, "\n") {
		lead := "       milestone "
		if i == 0 {
			lead = "usage: milestone "
		}
		fmt.Fprintln(e.stderr, usageLine(lead, line))
	}
	return 2
}

// usageLine puts lead before a usage line, or as many spaces when the line
// continues the one before (it starts with a space).
func usageLine(lead, line string) string {
	if strings.HasPrefix(line, " ") {
		return strings.Repeat(" ", len(lead)) + line
	}
	return lead + line
}

// commands lists every subcommand, in the order the usage shows them.
var commands = []*command{summarizeCmd, runsCmd, profileCmd, serveCmd, traceCmd, clickhouseDDLCmd, docsCmd, mixinCommand}

// mainUsage is the usage of the whole program: every command's usage lines,
// then one line on each.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, c := range commands {
		for _, line := range strings.Split(c.usage, "\n") {
			b.WriteString(usageLine("  milestone ", line) + "\n")
		}
	}
	b.WriteString("\nRun milestone COMMAND -h for what a command does and its flags.\n")
	return b.String()
}

// run is the command with its arguments (without the program name) and
// output streams; it returns the exit status: 0 on success, 1 when the
// command failed, 2 on a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage())
		return 0
	case "clickhouse":
		// clickhouse has one subcommand, ddl.
		if len(args) < 2 || args[1] != "ddl" {
			if len(args) >= 2 && isHelp(args[1]) {
				fmt.Fprint(stdout, commandHelp(clickhouseDDLCmd, nil))
				return 0
			}
			fmt.Fprintf(stderr, "milestone clickhouse: want the subcommand ddl\n%s", mainUsage())
			return 2
		}
		return clickhouseDDLCmd.run(args[2:], stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "milestone: unknown command %q\n%s", args[0], mainUsage())
	return 2
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// run parses the command's flags, which may come before, between or after
// its other arguments, and runs it. -h prints the command's help on stdout
// and exits 0; a bad flag prints the error and the command's usage on
// stderr and exits 2.
func (c *command) run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("milestone "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	body := c.flags(fs)
	var rest []string
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fmt.Fprint(stdout, commandHelp(c, fs))
			return 0
		case err != nil:
			return (&env{cmd: c, stdout: stdout, stderr: stderr}).usage("%s", flagError(err, args))
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			rest = append(rest, args[1:]...)
			break
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
	return body(&env{cmd: c, stdout: stdout, stderr: stderr}, rest)
}

// commandHelp is what `milestone NAME -h` prints: the usage lines, the
// paragraph and the flags with their defaults.
func commandHelp(c *command, fs *flag.FlagSet) string {
	var b strings.Builder
	for i, line := range strings.Split(c.usage, "\n") {
		lead := "       milestone "
		if i == 0 {
			lead = "usage: milestone "
		}
		b.WriteString(usageLine(lead, line) + "\n")
	}
	b.WriteString("\n" + c.about + "\n")
	if fs == nil {
		fs = flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		b.WriteString("\nFlags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
	}
	return b.String()
}

// flagError says what was wrong with a flag as the user typed it
// ("unknown flag --yaml", not the flag package's "-yaml").
func flagError(err error, args []string) string {
	msg := err.Error()
	typed := func(name string) string {
		for _, a := range args {
			if n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); n == name && strings.HasPrefix(a, "-") {
				before, _, _ := strings.Cut(a, "=")
				return before
			}
		}
		return "-" + name
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag " + typed(name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return typed(name) + " needs a value"
	}
	return msg
}
