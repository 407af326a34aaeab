package appkit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/progress"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/selfmetrics"
	"github.com/milestone-go/milestone/metrics/slogcol"
	"github.com/milestone-go/milestone/metrics/tracing"
)

// Backends are the collectors one run of a program feeds.
type Backends struct {
	// Registry holds the catalog's metrics and the milestone_* families.
	Registry *prometheus.Registry
	// EventLog writes <events>/<run id>/events.jsonl.
	EventLog *eventlog.Collector
	// All is every backend joined with metrics.Multi: emit to it, and
	// close it with metrics.Close.
	All metrics.Collector
}

// NewBackends builds prom for cat (on its own registry, with milestone's
// own health), the event log under events with runs named by the context
// field runKey, and the log lines (slogcol), joined with metrics.Multi
// together with extra collectors.
func NewBackends(cat *metrics.Catalog, runKey, events string, extra ...metrics.Collector) (*Backends, error) {
	reg := prometheus.NewRegistry()
	pc, err := prom.New(prom.WithRegisterer(reg), prom.WithCatalog(cat))
	if err != nil {
		return nil, err
	}
	ev, err := eventlog.New(eventlog.WithDir(events), eventlog.WithRunKey(runKey),
		eventlog.WithLogger(logctx.CatalogLogger(cat.Namespace(), "eventlog")))
	if err != nil {
		return nil, err
	}
	lc, err := slogcol.New()
	if err != nil {
		return nil, err
	}
	all := metrics.Multi(append([]metrics.Collector{pc, ev, lc}, extra...)...)
	if err := selfmetrics.Register(reg, all); err != nil {
		return nil, err
	}
	return &Backends{Registry: reg, EventLog: ev, All: all}, nil
}

// WriteMetrics writes what reg gathers in the Prometheus text format.
func WriteMetrics(w io.Writer, reg prometheus.Gatherer) error {
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

// Program is one run of an example program: what it names its runs and
// where its output goes.
type Program struct {
	// Catalog, RunKey and Events are passed to NewBackends.
	Catalog *metrics.Catalog
	RunKey  string
	Events  string
	// Noun starts the line naming the run's event log: "query", "execution".
	Noun string
	// PrintMetrics prints the registry to Stdout after the run.
	PrintMetrics bool
	// OTLP also sends the run's trace over OTLP (metrics/tracing,
	// configured by the OTEL_* variables).
	OTLP bool
	// Progress draws the run's progress on Stderr (metrics/progress.Line):
	// a live line on a terminal, a line every few seconds elsewhere.
	Progress       bool
	Stdout, Stderr io.Writer
}

// Run installs the JSON log on p.Stderr, builds the backends, runs fn on
// them, closes them, prints "<noun> <id>: event log <path>" (and the
// metrics) on p.Stdout, and returns fn's error, else the close error.
func (p Program) Run(ctx context.Context, fn func(context.Context, metrics.Collector) (string, error)) error {
	logctx.SetHandler(jsonlog.NewHandler(p.Stderr, nil))
	var extra []metrics.Collector
	if p.OTLP {
		tc, err := tracing.NewFromEnv(ctx)
		if err != nil {
			return fmt.Errorf("-otlp: %w", err)
		}
		extra = append(extra, tc)
	}
	if p.Progress {
		extra = append(extra, progress.NewLine(p.Stderr))
	}
	b, err := NewBackends(p.Catalog, p.RunKey, p.Events, extra...)
	if err != nil {
		return err
	}
	id, runErr := fn(ctx, b.All)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	closeErr := metrics.Shutdown(sctx, b.All)
	cancel()
	fmt.Fprintf(p.Stdout, "%s %s: event log %s\n", p.Noun, id, b.EventLog.Path(id))
	if p.PrintMetrics {
		if err := WriteMetrics(p.Stdout, b.Registry); err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	return closeErr
}

// Main is a program's main: it runs run with the command line, standard
// output and error, and a context cancelled by an interrupt, and exits 1
// with "name: error" when run fails (flag.ErrHelp excepted).
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
