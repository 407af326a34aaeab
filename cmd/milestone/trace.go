package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/milestone-go/milestone/metrics/tracing"
)

// traceCmd is `milestone trace`: a finished run's trace, rebuilt from its
// event log and sent over OTLP.
var traceCmd = &command{
	name:  "trace",
	usage: "trace PATH",
	about: `trace rebuilds the trace of the run whose event log PATH is (a run
directory, <dir>/<run_id>, or its events.jsonl) and sends it over OTLP, as
the standard variables configure it (OTEL_EXPORTER_OTLP_ENDPOINT,
OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf or grpc, OTEL_SERVICE_NAME…): the
trace the live metrics/tracing collector sent, on the same trace and span
ids, with times within the log's millisecond. It prints the trace id, which
the trace store finds it by.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the spans to be sent")
		return func(e *env, args []string) int {
			if len(args) != 1 {
				return e.usage("want one PATH, got %d", len(args))
			}
			path := args[0]
			if st, err := os.Stat(path); err == nil && st.IsDir() {
				path = filepath.Join(path, "events.jsonl")
			}
			f, err := os.Open(path)
			if err != nil {
				fmt.Fprintf(e.stderr, "milestone trace: %v\n", err)
				return 1
			}
			defer f.Close()
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			defer cancel()
			c, err := tracing.NewFromEnv(ctx)
			if err != nil {
				fmt.Fprintf(e.stderr, "milestone trace: %v\n", err)
				return 1
			}
			res, err := c.Rebuild(f)
			if serr := c.Shutdown(ctx); err == nil && serr != nil {
				err = serr
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "milestone trace: %v\n", err)
				return 1
			}
			for _, t := range res.Traces {
				fmt.Fprintf(e.stdout, "trace %s\n", t)
			}
			fmt.Fprintf(e.stdout, "%d spans from %d events sent\n", res.Spans, res.Events)
			return 0
		}
	},
}
