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
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

const (
	// createWorkers create the Databases in parallel, so that the
	// benchmark's own requests are not what takes the time.
	createWorkers = 8

	// pollEvery is how often the benchmark lists the Databases; one List
	// rather than a watch or a Get per object keeps its own load small
	// and the same however many objects there are.
	pollEvery = 200 * time.Millisecond

	// giveUp bounds the waits so that a broken provider fails the run
	// instead of hanging it; it is not a performance expectation.
	giveUp = 5 * time.Minute

	// namePattern matches the benchmark's databases in pg_database.
	namePattern = "bench-%"
)

// databaseNames returns bench-000, bench-001, … for n databases.
func databaseNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench-%03d", i)
	}
	return names
}

// database is the simplest Database on the server of the ProviderConfig
// called config: no instance, no class, the external name defaulting to
// the object's name.
func database(name, config string) *v1alpha1.Database {
	d := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	d.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: config}
	return d
}

// onServer returns the names of names that live on the j-th server.
func (f *fixture) onServer(names []string, j int) []string {
	var out []string
	for i := j; i < len(names); i += len(f.servers) {
		out = append(out, names[i])
	}
	return out
}

// createDatabases creates a Database for every name, createWorkers at a
// time.
func (f *fixture) createDatabases(b *testing.B, names []string) {
	b.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range createWorkers {
		wg.Go(func() {
			for i := w; i < len(names); i += createWorkers {
				if err := f.client.Create(context.Background(), database(names[i], f.servers[i%len(f.servers)].config)); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", names[i], err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		b.Fatalf("cannot create %d Databases, the first: %v", len(errs), errs[0])
	}
}

// progress records when the count of Ready and Synced Databases first
// reached a share of the total, measured from the start of the creates.
type progress struct {
	first, half, ninety, all time.Duration
}

func (p progress) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("first Ready %v, 50%% %v, 90%% %v, 100%% %v", r(p.first), r(p.half), r(p.ninety), r(p.all))
}

// waitAllReady lists the Databases every pollEvery until n of them are
// Ready=True and Synced=True.
func (f *fixture) waitAllReady(b *testing.B, n int, start time.Time) progress {
	b.Helper()
	var p progress
	ctx := context.Background()
	for deadline := start.Add(giveUpFor(n)); ; time.Sleep(pollEvery) {
		l := &v1alpha1.DatabaseList{}
		if err := f.client.List(ctx, l, client.InNamespace(namespace)); err != nil {
			b.Fatal(err)
		}
		ready := 0
		for i := range l.Items {
			if readyAndSynced(&l.Items[i]) {
				ready++
			}
		}
		since := time.Since(start)
		for _, m := range []struct {
			at   *time.Duration
			when bool
		}{{&p.first, ready >= 1}, {&p.half, 2*ready >= n}, {&p.ninety, 10*ready >= 9*n}, {&p.all, ready >= n}} {
			if m.when && *m.at == 0 {
				*m.at = since
			}
		}
		if ready >= n {
			return p
		}
		if f.provider.exited() {
			b.Fatalf("the provider exited with %d of %d Databases ready: %s", ready, n, tail(f.provider.log))
		}
		if time.Now().After(deadline) {
			b.Fatalf("gave up after %s with %d of %d Databases Ready and Synced; the others:\n%s", giveUpFor(n), ready, n, tally(l.Items))
		}
	}
}

func readyAndSynced(d *v1alpha1.Database) bool {
	return d.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue &&
		d.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
}

// tally counts the Databases that are not Ready and Synced by their
// conditions, most common first, to say why a run gave up.
func tally(ds []v1alpha1.Database) string {
	counts := map[string]int{}
	for i := range ds {
		if readyAndSynced(&ds[i]) {
			continue
		}
		r, s := ds[i].GetCondition(xpv2.TypeReady), ds[i].GetCondition(xpv2.TypeSynced)
		counts[fmt.Sprintf("Ready=%s (%s) Synced=%s (%s): %s", r.Status, r.Reason, s.Status, s.Reason, truncate(anonymise(s.Message), 200))]++
	}
	return byCount(counts, 10)
}

// verifyOnServer checks that each server has exactly the benchmark's
// databases that live on it: Ready must mean that they really exist.
func (f *fixture) verifyOnServer(b *testing.B, names []string) {
	b.Helper()
	for j, s := range f.servers {
		got, want := serverDatabases(b, s.admin), f.onServer(names, j)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			b.Fatalf("server %d has %d databases named %s, want the %d Ready ones", j, len(got), namePattern, len(want))
		}
	}
}

// giveUpFor is giveUp for n Databases: giveUp for each 500 begun.
func giveUpFor(n int) time.Duration {
	return giveUp * time.Duration((n+databases-1)/databases)
}

// serverDatabases lists the benchmark's databases on the server, sorted.
// It reuses one connection: pgtest's Names opens one a call and keeps it
// until the benchmark ends, which polling would pile up past the server's
// max_connections.
func serverDatabases(b *testing.B, admin *pgx.Conn) []string {
	b.Helper()
	rows, err := admin.Query(context.Background(), "SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname", namePattern)
	if err != nil {
		b.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	return names
}

// deleteAll deletes every Database and waits until the objects are gone
// and the server has dropped the databases, so that the next iteration
// starts clean. It returns how long that took.
func (f *fixture) deleteAll(b *testing.B) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	if err := f.client.DeleteAllOf(ctx, &v1alpha1.Database{}, client.InNamespace(namespace)); err != nil {
		b.Fatal(err)
	}
	for deadline := start.Add(giveUpFor(databases * len(f.servers))); ; time.Sleep(pollEvery) {
		l := &v1alpha1.DatabaseList{}
		if err := f.client.List(ctx, l, client.InNamespace(namespace)); err != nil {
			b.Fatal(err)
		}
		var left []string
		for _, s := range f.servers {
			left = append(left, serverDatabases(b, s.admin)...)
		}
		if len(l.Items) == 0 && len(left) == 0 {
			break
		}
		if f.provider.exited() || time.Now().After(deadline) {
			b.Fatalf("gave up deleting: %d Databases and %d databases left: %s", len(l.Items), len(left), tail(f.provider.log))
		}
	}
	took := time.Since(start)
	// Kubernetes' garbage collector would delete the ProviderConfigUsages
	// that the Databases own; the envtest API server runs no garbage
	// collector, so the benchmark does its work. Without this the usages
	// of every iteration would pile up in the provider's cache. Events
	// go too, so that each iteration's warnings are its own.
	for _, o := range []client.Object{&apisv1alpha1.ProviderConfigUsage{}, &corev1.Event{}} {
		if err := f.client.DeleteAllOf(ctx, o, client.InNamespace(namespace)); err != nil {
			b.Fatal(err)
		}
	}
	return took
}

// warnings summarises the Warning events the provider recorded in the
// namespace, most frequent first: where a slow run spent its retries.
func (f *fixture) warnings(b *testing.B) string {
	b.Helper()
	l := &corev1.EventList{}
	if err := f.client.List(context.Background(), l, client.InNamespace(namespace)); err != nil {
		b.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range l.Items {
		if e.Type != corev1.EventTypeWarning {
			continue
		}
		counts[e.InvolvedObject.Kind+" "+e.Reason+": "+truncate(anonymise(e.Message), 200)] += max(int(e.Count), 1)
	}
	if len(counts) == 0 {
		return "none"
	}
	return byCount(counts, 10)
}

// byCount renders counts as lines, largest first, at most limit of them.
func byCount(counts map[string]int, limit int) string {
	keys := slices.Collect(maps.Keys(counts))
	slices.SortFunc(keys, func(a, b string) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	var sb strings.Builder
	for i, k := range keys {
		if i == limit {
			fmt.Fprintf(&sb, "  … and %d more kinds\n", len(keys)-limit)
			break
		}
		fmt.Fprintf(&sb, "  %5d × %s\n", counts[k], k)
	}
	return sb.String()
}

// benchName matches a benchmark Database's name inside a message.
var benchName = regexp.MustCompile(`bench-[0-9]{3,}`)

// anonymise replaces the Databases' names in a message, so that the same
// problem on many Databases counts as one kind.
func anonymise(msg string) string { return benchName.ReplaceAllString(msg, "bench-NNN") }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
