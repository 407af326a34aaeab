package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/milestone-go/milestone/internal/examplekit/appkit"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

func main() { appkit.Main("querylog", run) }

// options are the command line.
type options struct {
	data, events string
	rows         int
	threshold    float64
	fail         bool
	cancelAfter  time.Duration
	printMetrics bool
	otlp         bool
	progress     bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("querylog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.data, "data", "./data/querylog", "directory of the table and the results")
	fs.StringVar(&o.events, "events", "", "directory of the queries' event logs (default <data>/events)")
	fs.IntVar(&o.rows, "rows", 100000, "rows of the generated table")
	fs.Float64Var(&o.threshold, "threshold", 50, "the query's filter: value >= threshold")
	fs.BoolVar(&o.fail, "fail", false, "run a query that names an unknown column, so that it fails")
	fs.DurationVar(&o.cancelAfter, "cancel-after", 0, "cancel the query after this long (0: never)")
	fs.BoolVar(&o.otlp, "otlp", false, "also send the query's trace over OTLP (configured by the OTEL_* variables)")
	fs.BoolVar(&o.progress, "progress", false, "draw the query's progress on stderr: a live line with its percentage and ETA on a terminal, a line every few seconds elsewhere")
	fs.BoolVar(&o.printMetrics, "metrics", false, "print the Prometheus metrics after the query")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.rows < 1:
		return nil, fmt.Errorf("-rows must be at least 1, got %d", o.rows)
	case o.cancelAfter < 0:
		return nil, fmt.Errorf("-cancel-after must not be negative")
	}
	if o.events == "" {
		o.events = filepath.Join(o.data, "events")
	}
	return o, nil
}

// run is the command: one session, one query.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	p := appkit.Program{Catalog: Catalog, RunKey: "query_id", Events: o.events, Noun: "query", PrintMetrics: o.printMetrics, OTLP: o.otlp, Progress: o.progress, Stdout: stdout, Stderr: stderr}
	return p.Run(ctx, func(ctx context.Context, c metrics.Collector) (string, error) { return runQuery(ctx, c, o) })
}

// runQuery runs one query of o in a session and returns its id.
func runQuery(ctx context.Context, c metrics.Collector, o *options) (string, error) {
	table, err := EnsureTable(o.data, o.rows)
	if err != nil {
		return "", err
	}
	id := runctx.NewID()
	qctx := runctx.With(logctx.With(ctx, "query_id", id), id)
	metrics.Emit(qctx, c, SessionStarted{SessionID: "session-" + runctx.NewID()})
	if o.cancelAfter > 0 {
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeout(qctx, o.cancelAfter)
		defer cancel()
	}
	q := Query{Table: table, Column: "value", Threshold: o.threshold, Result: filepath.Join(o.data, "results", id+".csv")}
	if o.fail {
		q.Column = "price" // not a column of the table
	}
	_, err = Execute(qctx, c, q)
	return id, err
}
