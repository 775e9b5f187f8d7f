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
	"testing"
	"time"
)

// A diagnoser reports, for each iteration of a run, what the provider did:
// the Warning events it recorded, its reconcile and API request counters,
// and the errors in its log.
type diagnoser struct {
	fx  *fixture
	run int
	// counters as they were when the iteration began.
	counters counters
	// logOffset is where the iteration's part of the provider log begins.
	logOffset int64
}

// afterHolding reports on the bring-up and the holding.
func (d *diagnoser) afterHolding(b *testing.B, i int, summary, cpu string) {
	b.Helper()
	report("run %d %s", d.run, summary)
	report("run %d iteration %d: CPU used from the first create to all Ready:\n%s", d.run, i, cpu)
	report("run %d iteration %d: Warning events:\n%s", d.run, i, d.fx.warnings(b))
	now := d.fx.counters(b)
	report("run %d iteration %d: provider counters from the first create to the end of the holding:\n%s", d.run, i, now.since(d.counters))
	d.counters = now
	lines, errorLevel, errs, end := logSummary(d.fx.provider.log, d.logOffset)
	d.logOffset = end
	report("run %d iteration %d: provider log: %d lines, %d at error level; lines that carry an error, by kind:\n%s", d.run, i, lines, errorLevel, byCount(errs, 10))
}

// afterDeleting reports on the deletes.
func (d *diagnoser) afterDeleting(b *testing.B, i int, took time.Duration) {
	b.Helper()
	now := d.fx.counters(b)
	report("run %d iteration %d: deleted the Databases and dropped their databases in %v; provider counters:\n%s",
		d.run, i, took.Round(10*time.Millisecond), now.since(d.counters))
	d.counters = now
}
