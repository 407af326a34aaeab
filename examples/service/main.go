package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// main runs the service until SIGINT or SIGTERM, then shuts it down within
// StopBudget; a second signal ends the shutdown at once.
func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stop := context.WithCancel(context.Background())
	hard := make(chan struct{})
	go func() {
		<-sigs
		stop()
		<-sigs
		close(hard)
	}()
	if err := run(withHardStop(ctx, hard), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}
