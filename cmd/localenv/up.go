package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// up runs the environment until it is told to stop, with its kubeconfig at
// .cache/kubeconfig and its PID in .cache/localenv.pid for `down`.
func up(ctx context.Context, p paths) error {
	if pid, ok := runningPID(p); ok {
		return errors.Errorf("an environment is already running (PID %d): run `make down` first", pid)
	}
	env, err := localenv.Up(ctx, p.config(filepath.Join(p.cache, "localenv")))
	if err != nil {
		return err
	}
	defer env.Down()

	if err := copyFile(env.Kubeconfig, p.kubeconfig); err != nil {
		return err
	}
	if err := os.WriteFile(p.pidFile, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return errors.Wrap(err, "cannot write the PID file")
	}
	defer os.Remove(p.pidFile)

	fmt.Printf("==> ready: export KUBECONFIG=%s\n", p.kubeconfig)
	if env.MetricsAddress != "" {
		fmt.Printf("==> provider metrics: http://%s/metrics\n", env.MetricsAddress)
	}
	<-ctx.Done()
	fmt.Println("==> stopping")
	return nil
}

// down stops a running `up` by the PID it recorded and waits for it to end.
func down(p paths) error {
	pid, ok := runningPID(p)
	if !ok {
		fmt.Println("==> no environment is running")
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return errors.Wrapf(err, "cannot signal PID %d", pid)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			_ = os.Remove(p.pidFile)
			fmt.Println("==> stopped")
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.Errorf("PID %d did not stop within two minutes", pid)
}

// runningPID returns the PID of a running `up`, checking that the recorded
// PID is still a localenv process and not a recycled PID.
func runningPID(p paths) (int, bool) {
	b, err := os.ReadFile(p.pidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !alive(pid) {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "localenv") {
		return 0, false
	}
	return pid, true
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return errors.Wrap(err, "cannot read the kubeconfig")
	}
	return errors.Wrap(os.WriteFile(to, b, 0o600), "cannot write the kubeconfig")
}
