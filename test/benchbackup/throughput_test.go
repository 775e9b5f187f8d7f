package benchbackup

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// BenchmarkBackupRestore backs one pgbench database up with pg_basebackup
// to local disk and with pgBackRest to an S3 and a posix repository, one
// after the other in each iteration, and restores the three copies; see
// the package's documentation. Each variant of -benchbackup.variants is a
// sub-benchmark on the same database.
func BenchmarkBackupRestore(b *testing.B) {
	variants, err := parseVariants(*variantsFlag)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	r := newRig(b)
	src := r.instance(b, "src")
	s3 := pgbackrest.New(src, "bench-s3", r.s3Repo("bench"))
	posix := pgbackrest.New(src, "bench-posix", r.posixRepo("repo"))

	// The data is loaded before archiving is on: the WAL of the load is
	// not what is measured, and would only fill the repositories.
	last := time.Now()
	start(ctx, b, src, nil)
	if err := s3.EnsureRole(ctx, adminPassword); err != nil {
		b.Fatal(err)
	}
	if out, err := engine(ctx, src, append(append([]string{filepath.Join(pgBin, "pgbench"), "-i", "-q", "-s", strconv.Itoa(*scale)}, socketArgs(src)...), "postgres")...); err != nil {
		b.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	c := connect(ctx, b, src)
	if _, err := c.Exec(ctx, "CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	b.Logf("pgbench -i -s %d: %s", *scale, time.Since(last).Round(time.Second))

	// One archive_command pushes every segment into both stanzas, as
	// TestPointInTimeRecovery does: the product archives into one, but one
	// server with both repositories measures both on the same data.
	archiving, err := s3.Archiving(0)
	if err != nil {
		b.Fatal(err)
	}
	toPosix, err := posix.Archiving(0)
	if err != nil {
		b.Fatal(err)
	}
	archiving.Command += " && " + toPosix.Command
	configure(ctx, b, src, archiving)
	if err := src.Restart(ctx); err != nil {
		b.Fatalf("Restart with archiving: %v", err)
	}
	c = connect(ctx, b, src)
	for _, st := range []*pgbackrest.Stanza{s3, posix} {
		if err := st.StanzaCreate(ctx); err != nil {
			b.Fatalf("StanzaCreate %s: %v", st.Name, err)
		}
		if err := st.Check(ctx); err != nil {
			b.Fatalf("Check %s: %v", st.Name, err)
		}
	}
	size := dataBytes(b, src.DataDir())
	var accounts int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pgbench_accounts").Scan(&accounts); err != nil {
		b.Fatal(err)
	}
	b.Logf("data directory without pg_wal: %.0f MB, %d rows in pgbench_accounts", float64(size)/1e6, accounts)
	copies := filepath.Join(r.work, "copies")
	if err := src.MakeEngineDir(ctx, "cannot make the directory of pg_basebackup's copies", copies, 0o700); err != nil {
		b.Fatal(err)
	}

	for n, v := range variants {
		b.Run(v.Name, func(b *testing.B) {
			m := map[string][]float64{}
			add := func(unit string, x float64) { m[unit] = append(m[unit], x) }
			for i := 0; b.Loop(); i++ {
				// Directories are named by the variant's number: its
				// options hold commas, which unix_socket_directories
				// would split.
				it := fmt.Sprintf("v%d-%d", n, i)
				bb := filepath.Join(copies, it)
				took := map[string]time.Duration{}
				timed := func(what string, f func() error) {
					b.Helper()
					t0 := time.Now()
					if err := f(); err != nil {
						b.Fatalf("%s: %v", what, err)
					}
					took[what] = time.Since(t0)
				}

				// Backups: pg_basebackup first, then each repository.
				timed("backup-basebackup", func() error {
					_, err := engine(ctx, src, append([]string{filepath.Join(pgBin, "pg_basebackup"), "-D", bb, "-c", "fast", "-X", "stream"}, socketArgs(src)...)...)
					return err
				})
				labels := map[*pgbackrest.Stanza]string{}
				for _, st := range []*pgbackrest.Stanza{s3, posix} {
					// The expire that follows a backup is not the copy
					// measured: it runs, untimed, after the restores.
					timed("backup-"+st.Repo.Type, func() error {
						_, err := backrest(ctx, st, append(append([]string{}, v.Options...), "--expire-auto=n"), "backup", "--type=full")
						return err
					})
					info, err := st.Info(ctx)
					if err != nil || len(info.Backups) == 0 {
						b.Fatalf("Info %s: %v, %+v", st.Name, err, info)
					}
					newest := info.Backups[len(info.Backups)-1]
					labels[st] = newest.Label
					add("MB-in-repo-"+st.Repo.Type, float64(newest.RepoSize)/1e6)
				}

				// Restores: the copy copied back, then each repository's
				// backup into a new data directory.
				restored := map[string]*postgresql.Instance{}
				dst := r.instance(b, "copy-"+it)
				timed("restore-basebackup", func() error {
					return dst.InitFrom(ctx, func(ctx context.Context) error {
						_, err := engine(ctx, dst, "cp", "-a", bb+"/.", dst.DataDir())
						return err
					})
				})
				restored["basebackup"] = dst
				for _, st := range []*pgbackrest.Stanza{s3, posix} {
					dst := r.instance(b, st.Repo.Type+"-"+it)
					rs := &pgbackrest.Stanza{Instance: dst, Name: st.Name, Repo: st.Repo, CA: st.CA}
					timed("restore-"+st.Repo.Type, func() error {
						return dst.InitFrom(ctx, func(ctx context.Context) error {
							if err := rs.WriteConfig(ctx); err != nil {
								return err
							}
							_, err := backrest(ctx, rs, forRestore(v.Options), "restore", "--set="+labels[st], "--type=immediate", "--target-action=promote")
							return err
						})
					})
					restored[st.Repo.Type] = dst
				}

				for _, kind := range []string{"basebackup", pgbackrest.RepoS3, pgbackrest.RepoPosix} {
					add("MB/s-backup-"+kind, megabytesPerSecond(size, took["backup-"+kind]))
					add("MB/s-restore-"+kind, megabytesPerSecond(size, took["restore-"+kind]))
					if kind != "basebackup" {
						add("x-backup-"+kind, ratio(took["backup-basebackup"], took["backup-"+kind]))
						add("x-restore-"+kind, ratio(took["restore-basebackup"], took["restore-"+kind]))
					}
				}
				add("MB-data", float64(size)/1e6)
				b.Logf("%s %s (%.0f MB): backup basebackup %s, s3 %s, posix %s; restore copy %s, s3 %s, posix %s",
					v.Name, it, float64(size)/1e6, took["backup-basebackup"].Round(10*time.Millisecond), took["backup-s3"].Round(10*time.Millisecond), took["backup-posix"].Round(10*time.Millisecond),
					took["restore-basebackup"].Round(10*time.Millisecond), took["restore-s3"].Round(10*time.Millisecond), took["restore-posix"].Round(10*time.Millisecond))

				// The first iteration of each variant starts the three
				// restored servers: each must hold every row.
				for kind, dst := range restored {
					if i == 0 {
						checkRestored(ctx, b, dst, accounts, kind)
					}
					if err := dst.Remove(ctx); err != nil {
						b.Errorf("Remove %s: %v", dst.Dir, err)
					}
				}
				removeAll(b, bb)
				// Each repository keeps its newest full backup only.
				for _, st := range []*pgbackrest.Stanza{s3, posix} {
					if _, err := backrest(ctx, st, nil, "expire"); err != nil {
						b.Errorf("expire %s: %v", st.Name, err)
					}
				}
			}
			b.ReportMetric(0, "ns/op")
			for unit, x := range m {
				b.ReportMetric(median(x), unit)
			}
		})
	}
}

// checkRestored starts a restored server, waits until it has replayed to
// the end of its backup and promoted, and makes sure it holds every row of
// pgbench_accounts; then stops it.
func checkRestored(ctx context.Context, b *testing.B, dst *postgresql.Instance, accounts int64, kind string) {
	b.Helper()
	configure(ctx, b, dst, nil)
	if err := dst.Start(ctx); err != nil {
		b.Fatalf("Start the server restored from %s: %v", kind, err)
	}
	c, err := dst.Connect(ctx, adminUser, adminPassword, "postgres")
	if err != nil {
		b.Fatalf("Connect to the server restored from %s: %v", kind, err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	waitPromoted(ctx, b, c)
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pgbench_accounts").Scan(&n); err != nil {
		b.Fatalf("the server restored from %s: %v", kind, err)
	}
	if n != accounts {
		b.Fatalf("the server restored from %s holds %d rows of pgbench_accounts, want %d", kind, n, accounts)
	}
}
