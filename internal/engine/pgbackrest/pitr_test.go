package pgbackrest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
)

const (
	adminUser = "admin"
	// waitTimeout bounds the waits for a condition, so that a broken
	// server fails the test instead of hanging it; it is not an
	// expectation.
	waitTimeout = 3 * time.Minute
)

// instance returns a new PostgreSQL 15 instance on this host below work,
// stopped by its PID when the test ends.
func instance(t *testing.T, work, name string) *postgresql.Instance {
	t.Helper()
	p, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	i := postgresql.NewInstance(executor.Local{}, work, name, "15", int32(p), adminUser)
	t.Cleanup(func() {
		pid, _ := local.ReadPID(filepath.Join(i.DataDir(), local.PIDFileName))
		if err := local.StopPID(context.Background(), pid, i.DataDir(), time.Minute); err != nil {
			t.Errorf("cannot stop postmaster %d: %v", pid, err)
		}
	})
	return i
}

func connect(ctx context.Context, t *testing.T, i *postgresql.Instance, password string) *pgx.Conn {
	t.Helper()
	c, err := i.Connect(ctx, adminUser, password, "postgres")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// TestPointInTimeRecovery backs one real PostgreSQL 15 up with pgBackRest
// into two repositories at once, an encrypted one on the S3 store (versitygw
// over TLS) and a posix one, and restores each into a new data directory to
// a time T between two committed rows, after the table was dropped: every
// row committed before T is back, none after; then archives a segment
// through a store that answers slowly within archive-push's io-timeout.
func TestPointInTimeRecovery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The phases' durations are logged: the suite's time is budgeted.
	last := time.Now()
	phase := func(name string) {
		t.Logf("%s: %s", name, time.Since(last).Round(time.Millisecond))
		last = time.Now()
	}
	store := s3test.Start(t)
	work := testenv.SharedDir(t)
	phase("store started")
	const password = "pitr-'pw"

	src := instance(t, work, "src")
	s3 := New(src, "pitr-s3", Repo{
		Type: RepoS3, Path: "/dbaas", CipherPass: "repo passphrase",
		Retention: Retention{Full: 2},
		S3: &S3{
			Endpoint: store.Endpoint, Port: int32(store.Port), Bucket: store.Bucket, Region: store.Region,
			URIStyle: URIStylePath, CAFile: store.CAFile, AccessKey: store.AccessKey, SecretKey: store.SecretKey,
		},
	})
	posix := New(src, "pitr-posix", Repo{Type: RepoPosix, Path: filepath.Join(work, "repo")})

	if err := src.Init(ctx, password); err != nil {
		t.Fatalf("Init: %v", err)
	}
	// One archive_command pushes every segment into both stanzas; the
	// product archives into one, this is only to test both repositories
	// with one server.
	settings := src.Settings(nil, nil, nil)
	var err error
	if settings.Archiving, err = s3.Archiving(time.Minute); err != nil {
		t.Fatalf("Archiving: %v", err)
	}
	toPosix, err := posix.Archiving(0)
	if err != nil {
		t.Fatalf("Archiving: %v", err)
	}
	settings.Archiving.Command += " && " + toPosix.Command
	if _, err := src.Configure(ctx, settings); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := src.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	phase("server initialized and started")
	if err := s3.EnsureRole(ctx, password); err != nil {
		t.Fatalf("EnsureRole: %v", err)
	}
	for _, st := range []*Stanza{s3, posix} {
		if err := st.StanzaCreate(ctx); err != nil {
			t.Fatalf("StanzaCreate %s: %v", st.Name, err)
		}
		if err := st.Check(ctx); err != nil {
			t.Fatalf("Check %s: %v", st.Name, err)
		}
	}

	phase("stanzas created and checked")
	c := connect(ctx, t, src, password)
	if _, err := c.Exec(ctx, "CREATE TABLE rows (id int PRIMARY KEY, committed timestamptz)"); err != nil {
		t.Fatal(err)
	}
	full := map[*Stanza]string{}
	for _, st := range []*Stanza{s3, posix} {
		label, err := st.Backup(ctx, TypeFull)
		if err != nil {
			t.Fatalf("Backup %s: %v", st.Name, err)
		}
		full[st] = label
	}

	phase("full backups")
	// pgBackRest records a backup's stop time in whole seconds and restores
	// to a time only from a backup that stopped before it, comparing whole
	// seconds: T read in the second the last backup stopped finds none
	// ("unable to find backup set with stop time less than T"). Start the
	// rows in the next second of the server's clock.
	nextSecond(ctx, t, c)
	// Each row commits on its own; T is read from the server's clock after
	// row 3 committed, so row 3's commit is at or before T and row 4's,
	// which starts after T was read, after it.
	insert := func(id int) {
		if _, err := c.Exec(ctx, "INSERT INTO rows VALUES ($1, clock_timestamp())", id); err != nil {
			t.Fatalf("insert row %d: %v", id, err)
		}
	}
	for id := 1; id <= 3; id++ {
		insert(id)
	}
	var target time.Time
	if err := c.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&target); err != nil {
		t.Fatal(err)
	}
	for id := 4; id <= 6; id++ {
		insert(id)
	}
	if _, err := c.Exec(ctx, "DROP TABLE rows"); err != nil {
		t.Fatal(err)
	}
	// Check switches to a new WAL segment and waits until it is archived:
	// every commit above is in both repositories.
	for _, st := range []*Stanza{s3, posix} {
		if err := st.Check(ctx); err != nil {
			t.Fatalf("Check %s after the writes: %v", st.Name, err)
		}
	}

	phase("rows written and archived")
	// An incremental backup builds on the full one.
	incr, err := s3.Backup(ctx, TypeIncr)
	if err != nil {
		t.Fatalf("incremental Backup: %v", err)
	}
	info, err := s3.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if len(info.Backups) != 2 {
		t.Fatalf("Info: want the full and the incremental backup, got %+v", info)
	}
	f, i := info.Backups[0], info.Backups[1]
	if f.Label != full[s3] || f.Type != TypeFull || f.Prior != "" || f.StartLSN == "" || f.StopLSN == "" || f.Start.IsZero() || f.Stop.Before(f.Start) || f.Size == 0 || f.RepoSize == 0 {
		t.Errorf("Info: want the full backup %s with its LSNs, times and sizes, got %+v", full[s3], f)
	}
	if i.Label != incr || i.Type != TypeIncr || i.Prior != full[s3] {
		t.Errorf("Info: want the incremental backup %s on %s, got %+v", incr, full[s3], i)
	}
	if info.Status != 0 || info.WALMin == "" || info.WALMax < f.StopWAL {
		t.Errorf("Info: want an ok stanza with WAL archived up to at least %s, got %+v", f.StopWAL, info)
	}
	phase("incremental backup and info")
	// Retention keeps two full backups: expiring keeps both.
	if err := s3.Expire(ctx, ""); err != nil {
		t.Fatalf("Expire: %v", err)
	}
	// Verify reads the whole repository back: once, on the encrypted S3
	// one, which the suite's time allows.
	if err := s3.Verify(ctx); err != nil {
		t.Errorf("Verify: %v", err)
	}

	phase("expire and verify")
	for _, st := range []*Stanza{s3, posix} {
		t.Run(st.Name, func(t *testing.T) {
			dst := instance(t, work, "restored-"+st.Name)
			restore := New(dst, st.Name, st.Repo)
			if err := restore.Restore(ctx, Target{Type: TargetTime, Time: target}); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if ok, err := dst.Initialized(ctx); err != nil || !ok {
				t.Errorf("Initialized after Restore: want true, got %v, %v", ok, err)
			}
			// The restored server listens on its own port, and does not
			// archive into its source's stanza.
			phase("restore " + st.Name)
			if _, err := dst.Configure(ctx, dst.Settings(nil, nil, nil)); err != nil {
				t.Fatalf("Configure: %v", err)
			}
			if err := dst.Start(ctx); err != nil {
				t.Fatalf("Start: %v", err)
			}
			rc := connect(ctx, t, dst, password)
			// Recovery replays to T and then promotes.
			deadline := time.Now().Add(waitTimeout)
			for {
				var recovering bool
				if err := rc.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovering); err != nil {
					t.Fatal(err)
				}
				if !recovering {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the restored server is still recovering after %s", waitTimeout)
				}
				time.Sleep(200 * time.Millisecond)
			}
			phase("restored server started and promoted")
			rows, err := rc.Query(ctx, "SELECT id FROM rows ORDER BY id")
			if err != nil {
				t.Fatalf("the table dropped after T is not back: %v", err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 {
				t.Errorf("restored to %s: want rows 1, 2 and 3 (committed before T) and none after, got %v", target.Format(time.RFC3339Nano), ids)
			}
		})
	}

	// A backup file whose bytes flipped in the repository fails Verify.
	// Small files, pg_control among them, are in bundles (repo1-bundle),
	// each file compressed on its own: the bytes flipped in the middle of
	// the first bundle belong to one of its files.
	files, err := filepath.Glob(filepath.Join(posix.Repo.Path, "backup", posix.Name, full[posix], "bundle", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("want bundles in the posix repository, got %v, %v", files, err)
	}
	file := files[0]
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("cannot read a backup file to corrupt: %v", err)
	}
	for i := len(data) / 2; i < len(data)/2+8 && i < len(data); i++ {
		data[i] ^= 0xff
	}
	if err := os.WriteFile(file, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := posix.Verify(ctx); err == nil {
		t.Errorf("Verify after flipping bytes of %s: want an error, got none", file)
	} else {
		t.Logf("Verify of the corrupted repository: %v", err)
	}
	phase("corrupted repository verified")

	// A store that answers slowly, every chunk it sends held 1.5 s, but
	// within archive-push's io-timeout (3 s, config.go): segments are
	// still archived, at the first try.
	slow, held := store.Slow(t, 1500*time.Millisecond)
	s3.Repo.S3.Port = int32(slow)
	if err := s3.WriteConfig(ctx); err != nil {
		t.Fatal(err)
	}
	var failedBefore int64
	if err := c.QueryRow(ctx, "SELECT failed_count FROM pg_stat_archiver").Scan(&failedBefore); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE slow AS SELECT 1 AS n"); err != nil {
		t.Fatal(err)
	}
	var seg string
	if err := c.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&seg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		var archived string
		var failed int64
		if err := c.QueryRow(ctx, "SELECT coalesce(last_archived_wal, ''), failed_count FROM pg_stat_archiver").Scan(&archived, &failed); err != nil {
			t.Fatal(err)
		}
		if failed != failedBefore {
			msg, _ := s3.LastArchiveError(ctx)
			t.Fatalf("archive-push failed through the slow store: %s", msg)
		}
		if archived >= seg {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("segment %s not archived through the slow store after %s (last archived %q)", seg, waitTimeout, archived)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if held() == 0 {
		t.Errorf("segment %s archived, but not through the slow store", seg)
	}
	phase(fmt.Sprintf("a segment archived through a slow store (%d chunks held)", held()))

	detachedVerifyEnds(ctx, t, src, s3)
	phase("a detached verify stopped at its bound, and one stopped with its instance")
}

// detachedVerifyEnds points st at a port nobody listens on, where
// pgBackRest retries for many minutes, and shows that a detached verify
// ends there: at its bound, recorded as such, and by StopRuns (what the
// instance's removal calls) with no process of the stanza left.
func detachedVerifyEnds(ctx context.Context, t *testing.T, i *postgresql.Instance, st *Stanza) {
	t.Helper()
	dead, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	st.Repo.S3.Port = int32(dead)
	if err := st.WriteConfig(ctx); err != nil {
		t.Fatal(err)
	}
	result := func() (bool, error) {
		_, done, err := st.VerifyResult(ctx)
		return done, err
	}
	if err := st.StartVerify(ctx, 2*time.Second); err != nil {
		t.Fatalf("StartVerify: %v", err)
	}
	deadline := time.Now().Add(waitTimeout)
	for done, err := result(); !done; done, err = result() {
		if time.Now().After(deadline) {
			t.Fatalf("a verify bound at 2 s still runs after %s (%v)", waitTimeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if _, _, err := st.VerifyResult(ctx); !errors.Is(err, ErrVerifyBound) {
		t.Errorf("VerifyResult of a verify stopped at its bound: want ErrVerifyBound, got %v", err)
	} else {
		t.Logf("VerifyResult: %v", err)
	}

	if err := st.StartVerify(ctx, time.Hour); err != nil {
		t.Fatalf("StartVerify: %v", err)
	}
	if done, err := result(); done {
		t.Fatalf("a verify retrying a store that is gone: want it running, got done (%v)", err)
	}
	if left := testproc.Naming(st.ConfigPath()); len(left) == 0 {
		t.Fatal("a running verify, but no process names the stanza's directory: the assertion below would hold for nothing")
	}
	if err := StopRuns(ctx, i); err != nil {
		t.Fatalf("StopRuns: %v", err)
	}
	if left := testproc.Naming(st.ConfigPath()); len(left) > 0 {
		t.Errorf("processes of the stanza left after StopRuns: %q", left)
	}
	if done, err := result(); !done || err == nil {
		t.Errorf("VerifyResult of a verify stopped: want done with an error, got done %v, %v", done, err)
	}
}

// nextSecond waits until the server's clock has moved into the second
// after the one it reads now.
func nextSecond(ctx context.Context, t *testing.T, c *pgx.Conn) {
	t.Helper()
	var now time.Time
	if err := c.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	next := now.Truncate(time.Second).Add(time.Second)
	for !now.After(next) {
		time.Sleep(50 * time.Millisecond)
		if err := c.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
			t.Fatal(err)
		}
	}
}
