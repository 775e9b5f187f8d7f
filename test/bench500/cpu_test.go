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
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/testing/proccpu"
)

const errNoProcess = "no process %s found"

// processes lists the PIDs of the running processes whose command line
// satisfies match.
func processes(match func(cmdline []string) bool) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		if match(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// A cpuMeter reads the CPU time that the parts of the benchmark have used
// so far: the provider, PostgreSQL, the API server and etcd, and the
// benchmark process itself. Set side by side with the wall time and the
// machine's cores, it says which of them the bring-up waited for.
type cpuMeter struct {
	parts map[string]func() (time.Duration, error)
}

// newCPUMeter finds the processes: the provider by its PID, etcd and
// kube-apiserver as the children of this process that envtest started,
// and PostgreSQL as the postmasters listening on pgPorts with their
// backends.
func newCPUMeter(providerPID int, pgPorts ...int) (*cpuMeter, error) {
	self := os.Getpid()
	child := func(bin string) (int, error) {
		for _, pid := range processes(func(c []string) bool { return filepath.Base(c[0]) == bin }) {
			if s, err := proccpu.Read(pid); err == nil && s.PPID == self {
				return pid, nil
			}
		}
		return 0, errors.Errorf(errNoProcess, bin)
	}
	etcd, err := child("etcd")
	if err != nil {
		return nil, err
	}
	apiserver, err := child("kube-apiserver")
	if err != nil {
		return nil, err
	}
	postmasters := make([]int, len(pgPorts))
	for i, port := range pgPorts {
		if postmasters[i], err = postmasterPID(port); err != nil {
			return nil, err
		}
	}
	own := func(pid int) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			s, err := proccpu.Read(pid)
			return s.Self, err
		}
	}
	return &cpuMeter{parts: map[string]func() (time.Duration, error){
		"provider":       own(providerPID),
		"etcd":           own(etcd),
		"kube-apiserver": own(apiserver),
		"benchmark":      own(self),
		"postgresql": func() (time.Duration, error) {
			var all time.Duration
			for _, pm := range postmasters {
				d, err := proccpu.FamilyCPU(pm)
				if err != nil {
					return 0, err
				}
				all += d
			}
			return all, nil
		},
	}}, nil
}

// postmasterPID finds the PostgreSQL server that listens on port by its
// command line, which pgtest gives "-c port=<port>".
func postmasterPID(port int) (int, error) {
	arg := "port=" + strconv.Itoa(port)
	pids := processes(func(c []string) bool {
		return filepath.Base(c[0]) == "postgres" && slices.Contains(c, arg)
	})
	if len(pids) != 1 {
		return 0, errors.Errorf(errNoProcess, "postgres with "+arg)
	}
	return pids[0], nil
}

// cpuTimes is the CPU time each part has used so far.
type cpuTimes map[string]time.Duration

// read reads every part's CPU time.
func (m *cpuMeter) read() (cpuTimes, error) {
	t := cpuTimes{}
	for name, read := range m.parts {
		d, err := read()
		if err != nil {
			return nil, err
		}
		t[name] = d
	}
	return t, nil
}

// since renders the CPU each part used after before, in core-seconds and
// as a share of what the machine's cores could give over wall.
func (t cpuTimes) since(before cpuTimes, wall time.Duration, cores int) string {
	names := make([]string, 0, len(t))
	var total time.Duration
	for n := range t {
		names = append(names, n)
		total += t[n] - before[n]
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(t[b]-before[b], t[a]-before[a]) })
	capacity := wall.Seconds() * float64(cores)
	var sb strings.Builder
	for _, n := range names {
		d := (t[n] - before[n]).Seconds()
		fmt.Fprintf(&sb, "  %-15s %6.1f core-s  %3.0f%%\n", n, d, 100*d/capacity)
	}
	fmt.Fprintf(&sb, "  %-15s %6.1f core-s  %3.0f%% of %d cores over %v\n", "all", total.Seconds(), 100*total.Seconds()/capacity, cores, wall.Round(10*time.Millisecond))
	return sb.String()
}
