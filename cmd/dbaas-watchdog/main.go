// Command dbaas-watchdog is the self-fencing watchdog of one PostgreSQL
// member: it stops a primary that has had no replica streaming from it and
// no heartbeat from the provider for --fence-after (see
// internal/engine/watchdog). The provider installs it on every member of a
// replicated instance and runs it with systemd, or detached beside the
// server on the local backend.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dbaas-io/dbaas/internal/engine/watchdog"
)

func main() {
	config := flag.String("config", "", "The member's watchdog configuration (JSON, mode 0600), written by the provider.")
	interval := flag.Duration("interval", watchdog.DefaultInterval, "How often to look at the member.")
	fenceAfter := flag.Duration("fence-after", 0, "How long a primary with no replica streaming and no heartbeat from the provider keeps running before it fences itself.")
	flag.Parse()
	if err := run(*config, *interval, *fenceAfter); err != nil {
		fmt.Fprintln(os.Stderr, "dbaas-watchdog:", err)
		os.Exit(1)
	}
}

func run(config string, interval, fenceAfter time.Duration) error {
	if config == "" {
		return errors.New("--config is required")
	}
	c, err := watchdog.LoadConfig(config)
	if err != nil {
		return err
	}
	c.Interval, c.FenceAfter = interval, fenceAfter
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return watchdog.Run(ctx, c)
}
