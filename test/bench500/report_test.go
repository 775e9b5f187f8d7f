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
	"fmt"
	"os"
	"strings"
	"sync"
)

// diagnostics collects each run's warnings, counters and provider log
// errors, which say where the time went. The testing package keeps only the
// first ten lines a benchmark logs, and writing them to stderr as they come
// would split the result lines that benchstat reads, so TestMain prints
// them after the results.
var diagnostics struct {
	sync.Mutex
	strings.Builder
	runs int
}

// nextRun numbers a benchmark run, for the diagnostics.
func nextRun() int {
	diagnostics.Lock()
	defer diagnostics.Unlock()
	diagnostics.runs++
	return diagnostics.runs
}

// report adds a line (or several) to the diagnostics.
func report(format string, a ...any) {
	diagnostics.Lock()
	defer diagnostics.Unlock()
	_, _ = fmt.Fprintf(&diagnostics, "bench500: "+format+"\n", a...)
}

// printDiagnostics writes the diagnostics, if any, to stderr.
func printDiagnostics() {
	diagnostics.Lock()
	defer diagnostics.Unlock()
	if diagnostics.Len() > 0 {
		_, _ = fmt.Fprint(os.Stderr, "\n", diagnostics.String())
	}
}

// loadAverage is the machine's 1, 5 and 15 minute load averages: the
// benchmark measures wall time on a machine that other work may share.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
