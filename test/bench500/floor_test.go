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
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/proccpu"
)

// BenchmarkSQLFloor is the floor under BenchmarkFiveHundredDatabases: the
// same 500 CREATE DATABASE statements sent straight to a fresh PostgreSQL
// server of the same kind, by one connection, and by as many at a time as
// the provider reconciles Databases (its workers per kind), on connections kept
// open or, as the provider does, a new connection for each statement.
// Whatever the provider takes beyond this is its own cost. pg-core-s is the
// CPU time the server used.
func BenchmarkSQLFloor(b *testing.B) {
	w := providerWorkers()
	for _, c := range []struct {
		workers   int
		reconnect bool
	}{{1, false}, {w, false}, {w, true}} {
		b.Run(fmt.Sprintf("workers=%d/reconnect=%v", c.workers, c.reconnect), func(b *testing.B) {
			pg := pgtest.Start(b)
			admin := pg.Admin(b)
			postmaster, err := postmasterPID(pg.Port)
			if err != nil {
				b.Fatal(err)
			}
			names := databaseNames(databases)
			var total, cpu time.Duration
			b.ResetTimer()
			b.StopTimer()
			for range b.N {
				before, err := proccpu.FamilyCPU(postmaster)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				eachOnce(b, pg, c.workers, c.reconnect, names, "CREATE DATABASE %s")
				b.StopTimer()
				total += time.Since(start)
				// Let the postmaster wait for the backends that just
				// ended, so that their CPU time is in its children's.
				time.Sleep(500 * time.Millisecond)
				after, err := proccpu.FamilyCPU(postmaster)
				if err != nil {
					b.Fatal(err)
				}
				cpu += after - before
				if got := serverDatabases(b, admin); len(got) != len(names) {
					b.Fatalf("the server has %d databases, want %d", len(got), len(names))
				}
				eachOnce(b, pg, c.workers, false, names, "DROP DATABASE %s")
			}
			perOp := total.Seconds() / float64(b.N)
			b.ReportMetric(perOp, "s-to-create")
			b.ReportMetric(float64(databases)/perOp, "dbs/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "pg-core-s")
		})
	}
}

// eachOnce runs the statement for every name, shared out over workers,
// one statement at a time on each, on a connection of the worker's own or,
// with reconnect, a new one for each statement.
func eachOnce(b *testing.B, pg *pgtest.Server, workers int, reconnect bool, names []string, stmt string) {
	b.Helper()
	ctx := context.Background()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) { once.Do(func() { first = err }) }
	for w := range workers {
		wg.Go(func() {
			var conn *pgx.Conn
			for i := w; i < len(names); i += workers {
				if conn == nil {
					c, err := pg.Conn(b, pg.User, pg.Password, "postgres")
					if err != nil {
						fail(err)
						return
					}
					conn = c
				}
				q := fmt.Sprintf(stmt, pgx.Identifier{names[i]}.Sanitize())
				if _, err := conn.Exec(ctx, q); err != nil {
					fail(fmt.Errorf("%s: %w", q, err))
				}
				if reconnect {
					_ = conn.Close(ctx)
					conn = nil
				}
			}
			if conn != nil {
				_ = conn.Close(ctx)
			}
		})
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

// providerWorkers is how many Databases the benchmark's provider reconciles
// at once, as it works that out from its flags.
func providerWorkers() int {
	return options.Workers(*workers, *maxRate, *maxRate > 0)
}
