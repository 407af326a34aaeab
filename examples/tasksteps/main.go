package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/milestone-go/milestone/internal/examplekit/appkit"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

func main() { appkit.Main("tasksteps", run) }

// options are the command line.
type options struct {
	data, events          string
	task, project, domain string
	inputs, size          int
	fail                  string
	printMetrics          bool
	otlp                  bool
	progress              bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("tasksteps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.data, "data", "./data/tasksteps", "directory of the remote store and the executions' work directories")
	fs.StringVar(&o.events, "events", "", "directory of the executions' event logs (default <data>/events)")
	fs.StringVar(&o.task, "task", "daily_stats", "the task's name (task_name)")
	fs.StringVar(&o.project, "project", "pipelines", "the task's project")
	fs.StringVar(&o.domain, "domain", "development", "the task's domain")
	fs.IntVar(&o.inputs, "inputs", 8, "input files of the remote store, written on first run")
	fs.IntVar(&o.size, "size", 20000, "values per input file")
	fs.StringVar(&o.fail, "fail", "", "make this step fail: one of "+strings.Join(Steps, ", "))
	fs.BoolVar(&o.otlp, "otlp", false, "also send the execution's trace over OTLP (configured by the OTEL_* variables)")
	fs.BoolVar(&o.progress, "progress", false, "draw the execution's progress on stderr: a live line with its percentage and ETA on a terminal, a line every few seconds elsewhere")
	fs.BoolVar(&o.printMetrics, "metrics", false, "print the Prometheus metrics after the task")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.inputs < 1 || o.size < 1:
		return nil, fmt.Errorf("-inputs and -size must be at least 1, got %d and %d", o.inputs, o.size)
	case o.fail != "" && !slices.Contains(Steps, o.fail):
		return nil, fmt.Errorf("-fail %q is not a step: want one of %s", o.fail, strings.Join(Steps, ", "))
	}
	if o.events == "" {
		o.events = filepath.Join(o.data, "events")
	}
	return o, nil
}

// run is the command: one task execution.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	p := appkit.Program{Catalog: Catalog, RunKey: "execution_id", Events: o.events, Noun: "execution", PrintMetrics: o.printMetrics, OTLP: o.otlp, Progress: o.progress, Stdout: stdout, Stderr: stderr}
	return p.Run(ctx, func(ctx context.Context, c metrics.Collector) (string, error) { return runTask(ctx, c, o) })
}

// runTask runs one execution of the task and returns its id and the
// failed step's error.
func runTask(ctx context.Context, c metrics.Collector, o *options) (string, error) {
	remote := filepath.Join(o.data, "remote")
	if err := EnsureRemote(remote, o.inputs, o.size); err != nil {
		return "", err
	}
	id := runctx.NewID()
	// The run-level context, bound once: every event and log line of the
	// execution carries it.
	// The execution is the run: its trace's root span, with each step a
	// child span.
	ctx = logctx.With(ctx, "execution_id", id, "task_name", o.task, "project", o.project, "domain", o.domain)
	ctx, clock := metrics.StartRun(runctx.With(ctx, id), c)
	r := &runner{data: o.data, remote: remote, work: filepath.Join(o.data, "work", id), run: clock, fail: o.fail}
	metrics.Emit(ctx, clock, TaskStarted{Inputs: o.inputs, InputBytes: inputBytes(remote)})
	failed, err := r.Execute(ctx)
	status := "success"
	if err != nil {
		status = "error"
	}
	metrics.EndRun(ctx, clock, TaskEnded{Status: status, FailedStep: failed})
	return id, err
}

// inputBytes is the size of the inputs in the remote store: the task's
// work (metrics.Work), downloaded then decoded.
func inputBytes(remote string) int64 {
	entries, _ := os.ReadDir(filepath.Join(remote, "inputs"))
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}
