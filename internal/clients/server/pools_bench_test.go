package server

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/proccpu"
)

// BenchmarkReconcileSession is what one reconcile of a SQL object spends
// on its session: borrow (or open) one, observe a database, give it back
// (or close it), on a local PostgreSQL 15 that logs host users in with
// SCRAM-SHA-256, over plain TCP and over TLS as an instance is reached.
// "fresh" is how the controllers connected before Pools; "pooled" is
// Pools.Open. pg-cpu-us/op is the CPU the server's processes used per
// reconcile: the login is most of it.
func BenchmarkReconcileSession(b *testing.B) {
	pg := pgtest.Start(b)
	postmaster, err := postmasterPID(pg.DataDir())
	if err != nil {
		b.Fatal(err)
	}
	cfg := dbms.Config{Engine: dbms.PostgreSQL, Host: pg.Host, Port: pg.Port, User: pg.User, Password: pg.Password}
	for _, tls := range []dbms.TLS{{Mode: dbms.TLSDisable}, {Mode: dbms.TLSVerifyFull, CA: pg.CA}} {
		cfg.TLS = tls
		for _, way := range []struct {
			name string
			open func(context.Context, dbms.Config) (dbms.Server, error)
		}{{"fresh", Open}, {"pooled", NewPools().Open}} {
			b.Run("tls="+tls.Mode+"/"+way.name, func(b *testing.B) {
				ctx := context.Background()
				one := func() {
					s, err := way.open(ctx, cfg)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.ObserveDatabase(ctx, "postgres"); err != nil {
						b.Fatal(err)
					}
					if err := s.Close(ctx); err != nil {
						b.Fatal(err)
					}
				}
				// The pool's first login is not what a reconcile pays.
				one()
				before, err := proccpu.FamilyCPU(postmaster)
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for b.Loop() {
					one()
				}
				b.StopTimer()
				// Let the postmaster wait for the backends that just
				// ended, so that their CPU time is in its children's.
				time.Sleep(500 * time.Millisecond)
				after, err := proccpu.FamilyCPU(postmaster)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64((after-before).Microseconds())/float64(b.N), "pg-cpu-us/op")
			})
		}
	}
}

// postmasterPID reads the postmaster's pid from its data directory.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}
