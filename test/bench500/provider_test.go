/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package bench500

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/ports"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

const (
	// providerStartTimeout bounds how long the provider may take to serve
	// /readyz; it is not a performance expectation.
	providerStartTimeout = time.Minute
	// providerStopGrace is how long the provider has to end after SIGTERM
	// before it is killed.
	providerStopGrace = 20 * time.Second
)

// The provider is built once per test binary: every -count run uses the
// same binary, and the build is not part of any measurement.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// prebuilt names a provider binary to run instead of building
// ./cmd/provider: two builds run in turn (ABAB) compare two versions of
// the provider at the same load.
var prebuilt = flag.String("bench500.provider", "", "a provider binary to run instead of building ./cmd/provider")

// providerBinary builds ./cmd/provider once and returns its path, or
// returns -bench500.provider when set.
func providerBinary(b testing.TB) string {
	b.Helper()
	if *prebuilt != "" {
		return *prebuilt
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "bench500-bin-"); buildErr != nil {
			return
		}
		bin := filepath.Join(buildDir, "provider")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/provider")
		cmd.Dir = testenv.RepoRoot(b)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/provider: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "provider")
}

// A provider is the provider binary running as a child process.
type provider struct {
	cmd         *exec.Cmd
	log         string
	metricsPort int
	done        chan struct{}
}

// providerFlags are how the benchmark runs the provider.
type providerFlags struct {
	kubeconfig string
	localDir   string
	// maxRate and workers are passed to the provider when not zero.
	maxRate int
	workers int
	poll    time.Duration
	debug   bool
}

// startProvider starts the provider, waits until it serves /readyz, and
// stops it, by its PID, when the benchmark ends.
func startProvider(b testing.TB, bin, logPath string, f providerFlags) *provider {
	b.Helper()
	health, metrics := freePort(b), freePort(b)
	args := []string{
		"--poll=" + f.poll.String(),
		"--local-dir=" + f.localDir,
		"--health-address=127.0.0.1:" + strconv.Itoa(health),
		// Metrics are scraped between phases, to count reconciles and API
		// requests; nothing scrapes them while the timer runs.
		"--metrics-address=127.0.0.1:" + strconv.Itoa(metrics),
	}
	if f.maxRate > 0 {
		args = append(args, "--max-reconcile-rate="+strconv.Itoa(f.maxRate))
	}
	if f.workers > 0 {
		args = append(args, "--workers="+strconv.Itoa(f.workers))
	}
	if f.debug {
		args = append(args, "--debug")
	}
	out, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "KUBECONFIG="+f.kubeconfig)
	// Should the benchmark binary die without running its cleanups, the
	// provider must not outlive it, retrying a vanished API server forever.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		b.Fatalf("cannot start the provider: %v", err)
	}
	p := &provider{cmd: cmd, log: logPath, metricsPort: metrics, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = out.Close()
		close(p.done)
	}()
	b.Cleanup(p.stop)
	if err := p.waitReady(health); err != nil {
		b.Fatal(err)
	}
	return p
}

// PID of the provider process.
func (p *provider) PID() int { return p.cmd.Process.Pid }

// exited reports whether the provider has ended.
func (p *provider) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady waits until the provider's /readyz answers 200.
func (p *provider) waitReady(port int) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	ctx, cancel := context.WithTimeout(context.Background(), providerStartTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.exited() {
			return fmt.Errorf("the provider exited before it was ready: %s", tail(p.log))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the provider did not serve %s within %s: see %s", url, providerStartTimeout, p.log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM to the provider's PID and waits for it to end,
// killing that PID when it does not end within the grace period.
func (p *provider) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(providerStopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the end of a log file, for failure messages.
func tail(path string) string {
	const n = 4000
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// freePort returns a free loopback port. Another process could take it
// before the provider binds it; the provider then fails loudly.
func freePort(b testing.TB) int {
	b.Helper()
	p, err := ports.Free()
	if err != nil {
		b.Fatal(err)
	}
	return p
}
