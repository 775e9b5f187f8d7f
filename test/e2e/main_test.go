// Package e2e drives claims through the whole product as it runs for a user:
// a real API server, kube-controller-manager, Crossplane core, the
// composition function and the provider, all as local processes, with real
// PostgreSQL servers on the local backend. `make build` must have run.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/pgserver"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// env is shared by every test of the package: starting it takes seconds,
// and each test uses a namespace of its own. Because of that the tests run
// side by side (t.Parallel): most of each one is waiting for Crossplane
// core, the function and the provider to take the next step, and run one
// after another they took four minutes of the suite. The one test that
// kills the provider (TestProviderRestartDuringCreate) is not parallel, so
// Go runs it alone before the others start.
var env *localenv.Env

// parallel is how many tests run side by side. Two (Go's default on the CI
// machine) left TestHADatabaseFailsOver, three times longer than any
// other, to start when Go happened to reach it, last of thirteen in one
// run, and to run on alone for two minutes; the package used under half a
// core throughout (167 CPU-seconds in 359 s).
const parallel = 4

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if integration.Short() {
		fmt.Println("skipping the end-to-end tests: they need the control plane's build and the product's (make build), PostgreSQL 15 and root; run without -short")
		return 0
	}
	integration.Parallel(parallel)
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	state, err := os.MkdirTemp("", "dbaas-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// PostgreSQL runs as the postgres user, which must reach the machines.
	if err := os.Chmod(state, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The environment installs the packages `make package` builds, built
	// here from this tree so that they cannot be stale.
	packages := filepath.Join(state, "packages")
	cmd := exec.Command("make", "-s", "package", "PACKAGE_DIR="+packages)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "make package: %v\n%s", err, b)
		return 1
	}
	cache := filepath.Join(root, ".cache")
	env, err = localenv.Up(context.Background(), localenv.Config{
		Root:           root,
		PackageDir:     packages,
		BinDir:         filepath.Join(cache, "bin"),
		CrossplaneCRDs: filepath.Join(cache, "crossplane", "crds"),
		StateDir:       state,
		Progress:       os.Stdout,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the local environment:", err)
		return 1
	}
	code := m.Run()
	// Down stops the shared server too: nothing of the environment may be
	// left running.
	shared, _ := pgserver.PostmasterPID(filepath.Join(env.SharedServerDir(), "data"))
	env.Down()
	if shared > 0 && pgserver.Running(shared) {
		fmt.Fprintf(os.Stderr, "the shared server (PID %d) still runs after Down\n", shared)
		code = 1
	}
	if code == 0 {
		_ = os.RemoveAll(state)
	} else {
		fmt.Fprintln(os.Stderr, "logs kept in", filepath.Join(state, "logs"))
	}
	return code
}
