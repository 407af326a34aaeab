package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/mixin"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// mixinCommand is `milestone mixin`: the mixin of a catalog this binary
// knows.
var mixinCommand = &command{
	name: "mixin",
	usage: `mixin [--catalog NS] --out DIR [--window 5m] [--warn-rate 0.1] [--warn-for 10m]
      [--latency NAME=DUR] [--stall-after 1h] [--runbook-url URL]`,
	about: `mixin writes alerts.yaml, rules.yaml, dashboards/NS.json and runbook.md
for a catalog this binary declares (default shardyfusion, with its own
thresholds) into DIR (metrics/mixin). Flags left out take the catalog's
defaults.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		ns := fs.String("catalog", shardyfusion.Catalog.Namespace(), "the catalog's namespace")
		out := fs.String("out", "", "the directory to write the files into (required)")
		window := fs.Duration("window", 0, "the range of rates and increases (default 5m)")
		warnRate := fs.Float64("warn-rate", 0, "the per-second rate above which a WARN event's counter alerts (default 0.1)")
		warnFor := fs.Duration("warn-for", 0, "how long that rate must hold (default 10m)")
		stallAfter := fs.Duration("stall-after", 0, "how long a stall pair may start without completing (default 1h)")
		runbook := fs.String("runbook-url", "", "where runbook.md is published (default: milestone's for the built-in catalog, else runbook.md)")
		latency := latencyFlag{}
		fs.Var(&latency, "latency", "`NAME=DURATION`: alert when the p99 of histogram NAME is above DURATION (repeatable; the built-in catalog's default is reader_get_duration_seconds=100ms)")
		return func(e *env, args []string) int {
			if *out == "" || len(args) > 0 {
				return e.usage("want --out DIR and no other argument")
			}
			var cat *metrics.Catalog
			for _, c := range metrics.Catalogs() {
				if c.Namespace() == *ns {
					cat = c
				}
			}
			if cat == nil {
				return e.usage("this binary has no catalog %q", *ns)
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
				fmt.Fprintf(e.stderr, "milestone mixin: %v\n", err)
				return 1
			}
			return 0
		}
	},
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
