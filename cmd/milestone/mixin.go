package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/mixin"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// mixinCmd is `milestone mixin`: the mixin of a catalog this binary knows.
func mixinCmd(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("mixin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ns := fs.String("catalog", shardyfusion.Catalog.Namespace(), "the catalog's namespace")
	out := fs.String("out", "", "the directory to write the files into (required)")
	window := fs.Duration("window", 0, "the range of rates and increases (default 5m)")
	warnRate := fs.Float64("warn-rate", 0, "the per-second rate above which a WARN event's counter alerts (default 0.1)")
	warnFor := fs.Duration("warn-for", 0, "how long that rate must hold (default 10m)")
	stallAfter := fs.Duration("stall-after", 0, "how long writes may start without one completing (default 1h)")
	runbook := fs.String("runbook-url", "", "where runbook.md is published (default: milestone's for the built-in catalog, else runbook.md)")
	var latency latencyFlag
	fs.Var(&latency, "latency", "NAME=DURATION: alert when the p99 of histogram NAME is above DURATION (repeatable; default reader_get_duration_seconds=100ms for the built-in catalog)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "milestone mixin: want --out DIR and no other argument\n%s", usage)
		return 2
	}
	var cat *metrics.Catalog
	for _, c := range metrics.Catalogs() {
		if c.Namespace() == *ns {
			cat = c
		}
	}
	if cat == nil {
		fmt.Fprintf(stderr, "milestone mixin: this binary has no catalog %q\n", *ns)
		return 2
	}
	cfg := mixin.Config{Window: *window, WarnRate: *warnRate, WarnFor: *warnFor, StallAfter: *stallAfter, RunbookURL: *runbook}
	if len(latency) > 0 {
		cfg.LatencyP99 = latency
	}
	if cat == shardyfusion.Catalog {
		cfg = cfg.Or(shardyfusion.MixinConfig())
	}
	files, err := mixin.Generate(cat, cfg)
	if err == nil {
		err = files.Write(*out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "milestone mixin: %v\n", err)
		return 1
	}
	return 0
}

// latencyFlag collects --latency NAME=DURATION.
type latencyFlag map[string]time.Duration

func (l *latencyFlag) String() string { return fmt.Sprint(map[string]time.Duration(*l)) }

func (l *latencyFlag) Set(v string) error {
	name, dur, ok := strings.Cut(v, "=")
	d, err := time.ParseDuration(dur)
	if !ok || err != nil || d <= 0 {
		return fmt.Errorf("want NAME=DURATION, such as reader_get_duration_seconds=100ms")
	}
	if *l == nil {
		*l = latencyFlag{}
	}
	(*l)[name] = d
	return nil
}
