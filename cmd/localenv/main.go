// Command localenv runs the product on this machine: `up` starts the local
// control plane, Crossplane, the provider and the function and keeps them
// running; `down` stops a running `up`; `demo` goes from a Database to a
// working database and back.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localenv:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("localenv", flag.ExitOnError)
	root := fs.String("root", ".", "The repository root.")
	fs.Usage = func() {
		_, _ = fmt.Fprintln(fs.Output(), "usage: localenv [--root DIR] up|down|demo")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	p := newPaths(abs)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch fs.Arg(0) {
	case "up":
		return up(ctx, p)
	case "down":
		return down(p)
	case "demo":
		return demo(ctx, p)
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", fs.Arg(0))
	}
}
