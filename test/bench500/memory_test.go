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
	"bufio"
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errReadStatus  = "cannot read the status of process %d"
	errParseStatus = "cannot parse %s of process %d"
	errNoField     = "process %d's status has no %s"
)

// Fields of /proc/<pid>/status, both in kB (KiB): the resident set now and
// its high-water mark since the process started.
const (
	fieldRSS = "VmRSS"
	fieldHWM = "VmHWM"
)

// bytesPerMB: the figures are reported in decimal megabytes.
const bytesPerMB = 1e6

// memory is a process's resident memory, in bytes.
type memory struct {
	RSS  int64
	Peak int64
}

// readMemory reads pid's current and peak resident set size from
// /proc/<pid>/status. RSS, not the Go heap, is what a container's memory
// limit and the OOM killer see.
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}, errors.Wrapf(err, errReadStatus, pid)
	}
	var m memory
	found := map[string]bool{}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), ":")
		if !ok || (name != fieldRSS && name != fieldHWM) {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return memory{}, errors.Wrapf(err, errParseStatus, name, pid)
		}
		found[name] = true
		if name == fieldRSS {
			m.RSS = kb * 1024
		} else {
			m.Peak = kb * 1024
		}
	}
	for _, f := range []string{fieldRSS, fieldHWM} {
		if !found[f] {
			return memory{}, errors.Errorf(errNoField, pid, f)
		}
	}
	return m, nil
}

// A sampler reads a process's RSS at a fixed interval until stopped.
type sampler struct {
	stopOnce sync.Once
	stopCh   chan struct{}
	done     chan struct{}

	mu      sync.Mutex
	samples []int64
	err     error
}

// sampleRSS starts sampling pid's RSS every interval, beginning now.
func sampleRSS(pid int, interval time.Duration) *sampler {
	s := &sampler{stopCh: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m, err := readMemory(pid)
			s.mu.Lock()
			if err != nil {
				// The process is gone; keep the first error for the caller.
				s.err = err
				s.mu.Unlock()
				return
			}
			s.samples = append(s.samples, m.RSS)
			s.mu.Unlock()
			select {
			case <-s.stopCh:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the samples, in bytes.
func (s *sampler) stop() ([]int64, error) {
	s.stopOnce.Do(func() { close(s.stopCh) })
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.samples), s.err
}

// median of v, which must not be empty; the mean of the middle two when v
// has an even length.
func median(v []int64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

// mb converts bytes to decimal megabytes.
func mb(bytes float64) float64 { return bytes / bytesPerMB }
