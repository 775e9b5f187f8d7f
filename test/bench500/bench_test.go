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
	"flag"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// databases is how many Databases the benchmark brings to Ready on one
// server. It is the point of the benchmark; do not lower it to make a run
// faster.
const databases = 500

// providerPoll is the provider's --poll, its default: how long after its
// last reconcile each Database is checked for drift.
const providerPoll = time.Minute

// sampleEvery is how often the provider's RSS is read.
const sampleEvery = 100 * time.Millisecond

var (
	// The benchmark runs the provider at its defaults, as users do: no
	// --max-reconcile-rate or --workers unless these say otherwise (zero
	// passes none). -args -bench500.max-reconcile-rate=50 measures a
	// provider run as the operator of a shared server might.
	maxRate = flag.Int("bench500.max-reconcile-rate", 0, "the provider's --max-reconcile-rate; 0 leaves the provider's default")
	workers = flag.Int("bench500.workers", 0, "the provider's --workers; 0 leaves the provider's default")

	// maxConns is the ClusterProviderConfigs' maxConnections, the size of
	// the provider's pool on each server; zero leaves the CRD's default.
	// It measures pool sizes against each other with one binary.
	maxConns = flag.Int("bench500.max-connections", 0, "the ClusterProviderConfigs' maxConnections; 0 leaves the CRD's default")

	// holdFor is how long the provider holds the Ready Databases while its
	// memory is sampled. With --poll=1m the default 10 s sees the provider
	// at rest; longer than a minute also sees a wave of drift checks.
	holdFor = flag.Duration("bench500.hold", 10*time.Second, "how long to sample the provider's memory after all Databases are Ready")

	// debug runs the provider with --debug, whose log shows every failed
	// reconcile; it costs the provider time and memory, so it is off for
	// the numbers.
	debug = flag.Bool("bench500.debug", false, "run the provider with --debug, logging every failed reconcile")

	// keepLogs names a directory to copy each run's provider log into;
	// the log is otherwise deleted with the run's temporary directory.
	keepLogs = flag.String("bench500.keep-logs", "", "a directory to copy each run's provider log into")
)

// BenchmarkFiveHundredDatabases measures how long the provider binary takes
// to bring 500 Databases on one PostgreSQL server to Ready and Synced, and
// its resident memory while it does so and while it holds them.
//
// ns/op and s-to-ready are from the first create to the List that shows all
// 500 Ready and Synced (creates included). MB-rss-median is the median of
// the RSS sampled every 100 ms while the provider holds the 500 Ready;
// MB-rss-peak is the kernel's high-water mark (VmHWM) at the end of the
// holding, which includes the bring-up; MB-rss-idle is the RSS before the
// first create. MB are 10^6 bytes.
//
// api-req-per-db is how many requests the provider sent the API server per
// Database, from the first create to the end of the holding;
// KB-rss-per-db is the holding median less the idle RSS, per Database
// (KB are 10^3 bytes).
func BenchmarkFiveHundredDatabases(b *testing.B) {
	benchDatabases(b, databases, 1)
}

// BenchmarkTwoThousandDatabases is BenchmarkFiveHundredDatabases with 2,000
// Databases spread evenly over 4 PostgreSQL servers, each with its own
// ClusterProviderConfig: how the provider scales with resources and
// servers. It is run by make bench-2000, never by make test.
func BenchmarkTwoThousandDatabases(b *testing.B) {
	benchDatabases(b, 4*databases, 4)
}

// benchDatabases brings n Databases spread over servers PostgreSQL servers
// to Ready, b.N times, and reports the time and the provider's memory and
// API requests.
func benchDatabases(b *testing.B, n, servers int) {
	fx := setUpServers(b, providerFlags{maxRate: *maxRate, workers: *workers, poll: providerPoll, debug: *debug}, servers)
	run := nextRun()
	names := databaseNames(n)

	idle, err := readMemory(fx.provider.PID())
	if err != nil {
		b.Fatal(err)
	}
	var (
		toReady  time.Duration
		held     []int64
		peak     int64
		requests int
	)
	d := &diagnoser{fx: fx, run: run, counters: fx.counters(b)}
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		before := fx.counters(b)
		o := fx.bringUpAndHold(b, names)
		requests += fx.counters(b).since(before).apiRequests()
		toReady += o.toReady
		held = append(held, o.held...)
		peak = max(peak, o.peak)

		fx.verifyOnServer(b, names)
		summary := fmt.Sprintf("iteration %d: %d Databases Ready and Synced in %v (creates took %v; %v); RSS idle %.1f MB, bring-up max sample %.1f MB, holding median %.1f MB, VmHWM %.1f MB; load average %s",
			i, len(names), o.toReady.Round(10*time.Millisecond), o.created.Round(10*time.Millisecond), o.progress,
			mb(float64(idle.RSS)), mb(float64(slices.Max(o.rampUp))), mb(median(o.held)), mb(float64(o.peak)), loadAverage())
		b.Log(summary)
		d.afterHolding(b, i, summary, o.cpu)

		deleted := fx.deleteAll(b)
		d.afterDeleting(b, i, deleted)
	}

	perOp := toReady.Seconds() / float64(b.N)
	b.ReportMetric(perOp, "s-to-ready")
	b.ReportMetric(float64(n)/perOp, "dbs/s")
	b.ReportMetric(mb(median(held)), "MB-rss-median")
	b.ReportMetric(mb(float64(peak)), "MB-rss-peak")
	b.ReportMetric(mb(float64(idle.RSS)), "MB-rss-idle")
	b.ReportMetric(1000*mb(median(held)-float64(idle.RSS))/float64(n), "KB-rss-per-db")
	b.ReportMetric(float64(requests)/float64(b.N*n), "api-req-per-db")
}

// An outcome is what one iteration measured.
type outcome struct {
	// created and toReady are from the first create to the last create
	// returning, and to all Ready and Synced.
	created, toReady time.Duration
	progress         progress
	// rampUp and held are the RSS samples, in bytes, while the Databases
	// were brought up and while they were held.
	rampUp, held []int64
	// peak is VmHWM, in bytes, at the end of the holding.
	peak int64
	// cpu is the CPU each part used during the bring-up.
	cpu string
}

// bringUpAndHold creates the Databases and waits until all are Ready and
// Synced with the benchmark timer running, then holds them for -bench500.hold
// with it stopped, sampling the provider's RSS throughout.
func (f *fixture) bringUpAndHold(b *testing.B, names []string) outcome {
	b.Helper()
	pid := f.provider.PID()
	var (
		o   outcome
		err error
	)
	cpuBefore, err := f.cpu.read()
	if err != nil {
		b.Fatal(err)
	}
	rampUp := sampleRSS(pid, sampleEvery)
	b.StartTimer()
	start := time.Now()
	f.createDatabases(b, names)
	o.created = time.Since(start)
	o.progress = f.waitAllReady(b, len(names), start)
	b.StopTimer()
	o.toReady = time.Since(start)
	cpuAfter, err := f.cpu.read()
	if err != nil {
		b.Fatal(err)
	}
	o.cpu = cpuAfter.since(cpuBefore, o.toReady, runtime.NumCPU())
	if o.rampUp, err = rampUp.stop(); err != nil {
		b.Fatal(err)
	}

	holding := sampleRSS(pid, sampleEvery)
	time.Sleep(*holdFor)
	if o.held, err = holding.stop(); err != nil {
		b.Fatal(err)
	}
	m, err := readMemory(pid)
	if err != nil {
		b.Fatal(err)
	}
	o.peak = m.Peak
	return o
}
