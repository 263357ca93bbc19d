// Command kordon is the Kordon appliance: one binary that serves the
// appliance (`kordon serve`) and administers its data directory from the
// command line (tokens, keys, the audit log, API keys).
//
// It is the only package that imports every subsystem; it parses flags,
// loads the boot file, wires the subsystems in dependency order, and runs
// them under one context that SIGINT and SIGTERM cancel. Every subcommand
// reports a bad input in one line naming what is wrong and exits non-zero.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kordon:", err)
		os.Exit(exitCode(err))
	}
}
