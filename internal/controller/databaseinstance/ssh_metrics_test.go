package databaseinstance

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// waitMemberMetrics waits until the status names every member's metrics
// endpoint, on its host's address at the port after its server's, and each
// endpoint serves pg_up 1 labelled with the member and the role the status
// gives it, and its node metrics endpoint, at the port after that, serves
// the file system series the disk alert reads: the exporters the provider
// runs on the test hosts over SSH.
func (f *hostsFixture) waitMemberMetrics(t *testing.T, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	wait.For(t, sshTimeout, "every member's exporter named in the status and labelled with its role", func() (bool, string) {
		if err := f.env.Client.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		for _, m := range di.Status.AtProvider.Members {
			want := fmt.Sprintf("http://%s:%d/metrics", f.hosts[m.VirtualMachine].Address(), m.Port+1)
			if m.MetricsEndpoint != want {
				return false, fmt.Sprintf("%s: metricsEndpoint %q, want %q", m.VirtualMachine, m.MetricsEndpoint, want)
			}
			series := fmt.Sprintf(`pg_up{database_instance=%q,member=%q,namespace=%q,role=%q} 1`, di.Name, m.VirtualMachine, di.Namespace, m.Role)
			if ok, why := serves(want, series, false); !ok {
				return false, m.VirtualMachine + ": " + why
			}
			wantNode := fmt.Sprintf("http://%s:%d/metrics", f.hosts[m.VirtualMachine].Address(), m.Port+2)
			if m.NodeMetricsEndpoint != wantNode {
				return false, fmt.Sprintf("%s: nodeMetricsEndpoint %q, want %q", m.VirtualMachine, m.NodeMetricsEndpoint, wantNode)
			}
			if ok, why := serves(wantNode, "node_filesystem_size_bytes{", true); !ok {
				return false, m.VirtualMachine + ": " + why
			}
		}
		return true, ""
	})
}

// serves reports whether endpoint serves a line that is series, or that
// starts with it when prefix is true.
func serves(endpoint, series string, prefix bool) (bool, string) {
	resp, err := http.Get(endpoint) //nolint:noctx,gosec // A test's call to the endpoint the status names, bounded by the wait.
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for s.Scan() {
		if s.Text() == series || prefix && strings.HasPrefix(s.Text(), series) {
			return true, ""
		}
	}
	return false, "no line " + series
}

// exporterPIDs are the PIDs of the exporter and the node_exporter of the
// instance's member on vm, read on its host.
func (f *hostsFixture) exporterPIDs(t *testing.T, vm string) []int {
	t.Helper()
	var pids []int
	for _, file := range []string{"exporter/exporter.pid", "node-exporter/node-exporter.pid"} {
		p := filepath.Join(f.hosts[vm].Dir(), pgvm.DefaultMountPoint, sshEnginesDir, f.ns+"-pg", file)
		res, err := f.hosts[vm].Executor(t).Run(context.Background(), executor.ShellCommand("head", "-n", "1", p), nil)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("cannot read %s on %s: %v %s", p, vm, err, res.Stderr)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
		if err != nil {
			t.Fatalf("%s on %s: %v", file, vm, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// processGone reports whether pid runs no program on vm's host: gone, or
// exited and not yet reaped.
func (f *hostsFixture) processGone(t *testing.T, vm string, pid int) (bool, string) {
	t.Helper()
	res, err := f.hosts[vm].Executor(t).Run(context.Background(), "head -c 1 /proc/"+strconv.Itoa(pid)+"/cmdline 2>/dev/null | wc -c", nil)
	if err != nil {
		return false, err.Error()
	}
	return strings.TrimSpace(res.Stdout) == "0", "process " + strconv.Itoa(pid) + " still runs"
}
