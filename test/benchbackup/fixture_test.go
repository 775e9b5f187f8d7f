package benchbackup

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

var (
	scale          = flag.Int("benchbackup.scale", 130, "pgbench -i scale of the backed-up database (130 is about 2 GB)")
	variantsFlag   = flag.String("benchbackup.variants", defaultsVariant, `pgBackRest options tried beside the defaults: variants separated by ";", options by spaces ("defaults" for none)`)
	archiveTimeout = flag.Duration("benchbackup.archive-timeout", 10*time.Second, "archive_timeout of the RPO benchmark's instance")
	writeEvery     = flag.Duration("benchbackup.write-every", 200*time.Millisecond, "how often the RPO benchmark's writer commits a row")
)

const (
	adminUser     = "admin"
	adminPassword = "bench-backup-pw"
	pgBin         = "/usr/lib/postgresql/15/bin"
	// waitTimeout bounds the waits for a server, so that a broken one
	// fails the benchmark instead of hanging it; it is not a measure.
	waitTimeout = 10 * time.Minute
)

// rig is a work directory and an S3 store for one benchmark.
type rig struct {
	work  string
	store *s3test.Server
}

// newRig makes the work directory, removed at the end, and starts the
// store. Whatever happens, no postmaster outlives the benchmark: every one
// a pid file below the work directory names is stopped, by PID.
func newRig(b *testing.B) *rig {
	b.Helper()
	work := testenv.SharedDir(b)
	b.Cleanup(func() {
		if err := local.StopAll(context.Background(), work); err != nil {
			b.Errorf("cannot stop leftover servers: %v", err)
		}
	})
	return &rig{work: work, store: s3test.Start(b)}
}

// instance returns a new instance called name below the work directory on
// a free port.
func (r *rig) instance(b *testing.B, name string) *postgresql.Instance {
	b.Helper()
	p, err := ports.Free()
	if err != nil {
		b.Fatal(err)
	}
	return postgresql.NewInstance(executor.Local{}, r.work, name, "15", int32(p), adminUser)
}

// s3Repo is a repository below prefix in the store's bucket, keeping one
// full backup when expired.
func (r *rig) s3Repo(prefix string) pgbackrest.Repo {
	s := r.store
	return pgbackrest.Repo{
		Type: pgbackrest.RepoS3, Path: "/" + prefix, Retention: pgbackrest.Retention{Full: 1},
		S3: &pgbackrest.S3{
			Endpoint: s.Endpoint, Port: int32(s.Port), Bucket: s.Bucket, Region: s.Region,
			URIStyle: pgbackrest.URIStylePath, CAFile: s.CAFile, AccessKey: s.AccessKey, SecretKey: s.SecretKey,
		},
	}
}

// posixRepo is a repository in a directory of the work directory on this
// host's disk, keeping one full backup when expired.
func (r *rig) posixRepo(name string) pgbackrest.Repo {
	return pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: filepath.Join(r.work, name), Retention: pgbackrest.Retention{Full: 1}}
}

// start initializes i, writes its settings with archiving (nil: none)
// and starts it.
func start(ctx context.Context, b *testing.B, i *postgresql.Instance, archiving *postgresql.Archiving) {
	b.Helper()
	if err := i.Init(ctx, adminPassword); err != nil {
		b.Fatalf("Init %s: %v", i.Dir, err)
	}
	configure(ctx, b, i, archiving)
	if err := i.Start(ctx); err != nil {
		b.Fatalf("Start %s: %v", i.Dir, err)
	}
}

// configure writes i's settings, archiving with archiving (nil: not at
// all). A restored data directory holds its source's settings: this gives
// it its own port and keeps it from archiving into its source's stanza.
func configure(ctx context.Context, b *testing.B, i *postgresql.Instance, archiving *postgresql.Archiving) {
	b.Helper()
	s := i.Settings(nil, nil, nil)
	s.Archiving = archiving
	if _, err := i.Configure(ctx, s); err != nil {
		b.Fatalf("Configure %s: %v", i.Dir, err)
	}
}

// engine runs args on i's machine as the engine user.
func engine(ctx context.Context, i *postgresql.Instance, args ...string) (string, error) {
	res, err := i.RunAsEngine(ctx, nil, nil, args...)
	return res.Stdout, err
}

// backrest runs pgBackRest's command cmd for the stanza with options (a
// variant's, which win over pgbackrest.conf's) and args. The benchmark
// runs the program itself rather than through the Stanza's methods so
// that it can try options the configuration does not hold, and so that
// the time measured is the command's alone.
func backrest(ctx context.Context, st *pgbackrest.Stanza, options []string, cmd string, args ...string) (string, error) {
	argv := append([]string{pgbackrest.Bin, "--config-path=" + st.ConfigPath(), "--stanza=" + st.Name}, options...)
	return engine(ctx, st.Instance, append(append(argv, args...), cmd)...)
}

// socketArgs are the connection options of PostgreSQL's programs that reach
// i over its unix socket as the engine user (peer authentication).
func socketArgs(i *postgresql.Instance) []string {
	return []string{"-h", i.SocketDir(), "-p", strconv.Itoa(int(i.Port)), "-U", postgresql.EngineUser}
}

// connect opens a connection to i's postgres database as the admin user,
// closed at the end of the benchmark.
func connect(ctx context.Context, b *testing.B, i *postgresql.Instance) *pgx.Conn {
	b.Helper()
	c, err := i.Connect(ctx, adminUser, adminPassword, "postgres")
	if err != nil {
		b.Fatalf("Connect %s: %v", i.Dir, err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// waitPromoted waits until the server c reaches has left recovery: a
// restored one replays its WAL first.
func waitPromoted(ctx context.Context, b *testing.B, c *pgx.Conn) {
	b.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		var recovering bool
		if err := c.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovering); err != nil {
			b.Fatal(err)
		}
		if !recovering {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the restored server is still recovering after %s", waitTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dataBytes is the size of the files of a data directory, pg_wal left
// out: what every method copies.
func dataBytes(b *testing.B, dir string) int64 {
	b.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "pg_wal" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		b.Fatalf("cannot size %s: %v", dir, err)
	}
	return n
}

// removeAll removes a directory the benchmark made, as root.
func removeAll(b *testing.B, dir string) {
	b.Helper()
	if err := os.RemoveAll(dir); err != nil {
		b.Errorf("cannot remove %s: %v", dir, err)
	}
}
