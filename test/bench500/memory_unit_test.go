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
	"os"
	"testing"
	"time"
)

// TestReadMemory checks the /proc parsing on the test process itself, so
// that a benchmark run does not find out that its memory figures are zero.
func TestReadMemory(t *testing.T) {
	m, err := readMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("readMemory = %+v, want 0 < RSS <= Peak", m)
	}
	s := sampleRSS(os.Getpid(), time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	v, err := s.stop()
	if err != nil || len(v) < 2 {
		t.Errorf("sampler: %d samples, error %v; want several and no error", len(v), err)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []int64
		want float64
	}{
		{[]int64{3}, 3},
		{[]int64{5, 1, 3}, 3},
		{[]int64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
