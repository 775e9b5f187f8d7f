package nodeexporter_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/nodeexporter"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// deadline bounds every wait by condition: generous, since the machine is
// shared and loaded; it is not an expectation.
const deadline = 60 * time.Second

// TestRunsDetached runs Debian's node_exporter as the steps start it on
// the local backend, as the postgres user: its check passes, it serves
// the file system series the disk alert reads (and no series of a
// collector left off), a second run changes nothing, and Stop ends it.
func TestRunsDetached(t *testing.T) {
	if _, err := os.Stat(nodeexporter.Binary); err != nil {
		t.Fatalf("%s: %v (make deps installs %s)", nodeexporter.Binary, err, nodeexporter.Package)
	}
	dir := testenv.SharedDir(t)
	port, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := executor.Local{}
	x := nodeexporter.Exporter{
		Namespace: "ns", Instance: "db", Member: "vm", Dir: dir,
		Host: "127.0.0.1", ListenPort: int32(port), OSUser: "postgres",
	}
	if _, err := steps.Run(ctx, e, x.Steps(), nil); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "node-exporter", "node-exporter.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Stop(ctx, e) })

	var names map[string]bool
	wait.For(t, deadline, "node_exporter serves node_filesystem_size_bytes", func() (bool, string) {
		var err error
		if names, err = metricNames(x.Endpoint()); err != nil {
			return false, err.Error()
		}
		return names["node_filesystem_size_bytes"], "no node_filesystem_size_bytes"
	})
	for _, want := range []string{"node_filesystem_avail_bytes", "node_load1", "node_memory_MemAvailable_bytes", "node_cpu_seconds_total"} {
		if !names[want] {
			t.Errorf("no %s: a collector the command line names did not run", want)
		}
	}
	for _, off := range []string{"node_network_receive_bytes_total", "node_disk_io_now", "node_uname_info"} {
		if names[off] {
			t.Errorf("%s served: a default collector runs that the command line leaves off", off)
		}
	}

	r, err := steps.Run(ctx, e, x.Steps(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.NothingChanged() {
		t.Errorf("a second run changed %+v: the check did not recognise the running node_exporter", r)
	}
	if got := readPID(pidFile); got != pid {
		t.Errorf("a second run restarted it: PID %d, want %d", got, pid)
	}

	if err := x.Stop(ctx, e); err != nil {
		t.Fatal(err)
	}
	wait.For(t, deadline, "node_exporter gone", func() (bool, string) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(x.Host, strconv.Itoa(port)), time.Second)
		if err == nil {
			_ = c.Close()
			return false, "still listening"
		}
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		return len(b) == 0, "process " + strconv.Itoa(pid) + " still runs"
	})
}

func readPID(p string) int {
	b, _ := os.ReadFile(p)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// metricNames are the names of the series endpoint serves.
func metricNames(endpoint string) (map[string]bool, error) {
	c := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	resp, err := c.Get(endpoint) //nolint:noctx // A test's loopback call, bounded by the client's timeout.
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	names := map[string]bool{}
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for s.Scan() {
		l := s.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		if n := strings.IndexAny(l, "{ "); n > 0 {
			names[l[:n]] = true
		}
	}
	return names, s.Err()
}
