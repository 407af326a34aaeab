package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/milestone-go/milestone/runs"
	"github.com/milestone-go/milestone/runs/explore"
)

// DefaultServeAddr is where `milestone serve` listens unless told: this
// machine only.
const DefaultServeAddr = "127.0.0.1:8420"

// serveCmd is `milestone serve`: the run explorer.
var serveCmd = &command{
	name: "serve",
	usage: `serve [-addr HOST:PORT] DIR
serve [-addr HOST:PORT] --clickhouse URL`,
	about: `serve runs the run explorer, a web page of the runs of the event-log
directory DIR (or of the ClickHouse table): the runs list, and each run's
timeline (its steps, nested, retries marked, failures in red), profile and
events, updated live while a run of DIR is still being written. It listens on
127.0.0.1 unless -addr says otherwise, is read-only, and serves nothing
outside DIR. It stops on SIGINT or SIGTERM.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		addr := fs.String("addr", DefaultServeAddr, "the address to listen on (port 0 picks a free port)")
		ch := clickhouseFlag(fs)
		return func(e *env, args []string) int {
			var src runs.Source
			switch {
			case ch.set && len(args) == 0:
				src = runs.ClickHouse(clickhouseOpts(ch.url)...)
			case !ch.set && len(args) == 1:
				if st, err := os.Stat(args[0]); err != nil || !st.IsDir() {
					return e.usage("%s is not a directory", args[0])
				}
				src = runs.Dir(args[0])
			default:
				return e.usage("want one DIR, or --clickhouse URL")
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := serve(ctx, e, *addr, src); err != nil {
				fmt.Fprintf(e.stderr, "milestone serve: %v\n", err)
				return 1
			}
			return 0
		}
	},
}

// serve runs the explorer of src on addr until ctx is done.
func serve(ctx context.Context, e *env, addr string, src runs.Source) error {
	h, err := explore.New(src)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	fmt.Fprintf(e.stdout, "serving the runs of %s on http://%s/\n", src, ln.Addr())
	if reachableFromOthers(ln.Addr()) {
		fmt.Fprintf(e.stderr, "milestone serve: %s is reachable from other machines, and the explorer asks no one for a password: every run's events are readable there\n", ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// reachableFromOthers reports whether a listener on addr can be reached
// from other machines: any address but a loopback one.
func reachableFromOthers(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && !tcp.IP.IsLoopback()
}
