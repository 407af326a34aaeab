package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/selfmetrics"
	"github.com/milestone-go/milestone/metrics/slogcol"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "querylog:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	data, events string
	rows         int
	threshold    float64
	fail         bool
	cancelAfter  time.Duration
	printMetrics bool
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

// backends are the collectors one query feeds.
type backends struct {
	reg      *prometheus.Registry
	eventLog *eventlog.Collector
	all      metrics.Collector
}

// newBackends builds prom (on its own registry, with milestone's own
// health), the event log (runs named by query_id) and the log lines
// (slogcol on the querylog.* loggers), joined with metrics.Multi.
func newBackends(events string, extra ...metrics.Collector) (*backends, error) {
	reg := prometheus.NewRegistry()
	pc, err := prom.New(prom.WithRegisterer(reg), prom.WithCatalog(Catalog))
	if err != nil {
		return nil, err
	}
	ev, err := eventlog.New(eventlog.WithDir(events), eventlog.WithRunKey("query_id"), eventlog.WithLogger(logctx.CatalogLogger("querylog", "eventlog")))
	if err != nil {
		return nil, err
	}
	lc, err := slogcol.New()
	if err != nil {
		return nil, err
	}
	all := metrics.Multi(append([]metrics.Collector{pc, ev, lc}, extra...)...)
	if err := selfmetrics.Register(reg, pc, ev, lc, all.(*metrics.Fanout)); err != nil {
		return nil, err
	}
	return &backends{reg: reg, eventLog: ev, all: all}, nil
}

// run is the command: one session, one query.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	h := jsonlog.NewHandler(stderr, nil)
	logctx.SetHandler(h)
	b, err := newBackends(o.events)
	if err != nil {
		return err
	}
	id, qerr := runQuery(ctx, b.all, o)
	cerr := metrics.Close(b.all)
	fmt.Fprintf(stdout, "query %s: event log %s\n", id, b.eventLog.Path(id))
	if o.printMetrics {
		if err := writeMetrics(stdout, b.reg); err != nil {
			return err
		}
	}
	if qerr != nil {
		return qerr
	}
	return cerr
}

// runQuery runs one query of o in a session and returns its id.
func runQuery(ctx context.Context, c metrics.Collector, o *options) (string, error) {
	table, err := EnsureTable(o.data, o.rows)
	if err != nil {
		return "", err
	}
	id := eventlog.NewRunID()
	qctx := logctx.With(ctx, "query_id", id)
	metrics.Emit(qctx, c, SessionStarted{SessionID: "session-" + eventlog.NewRunID()})
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

func writeMetrics(w io.Writer, reg *prometheus.Registry) error {
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
