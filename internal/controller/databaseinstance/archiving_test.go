package databaseinstance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestWALArchiving runs one instance on a local machine through the
// controller, with a real S3 store (versitygw over TLS) and pgBackRest:
// backup added to an instance that runs (a missing BackupStore first, then
// the restart archive_mode needs), WALArchiving and the recovery window,
// the store going down and coming back, and no segment lost meanwhile;
// then a move to a second store (posix), whose stanza is made and which
// the next segments go to, with no restart of the server or the provider.
func TestWALArchiving(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-arch")
	store := s3test.Start(t)
	// The postgres user writes a posix store below the root.
	root := filepath.Join(f.base, "backups")
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{config.Setup, virtualmachine.Setup,
		func(mgr ctrl.Manager, o options.Options) error {
			o.BackupRoot = root
			return setup(mgr, o, hooks{})
		}}})

	di := f.instance("pg", 20)
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	startedAt := postmasterStart(t, f, di)

	// A store that does not exist stops the reconcile, naming it, and
	// changes nothing on the server.
	if err := testenv.Mutate(ctx, c, di, func(di *v1alpha1.DatabaseInstance) {
		di.Spec.ForProvider.Backup = &v1alpha1.InstanceBackupParameters{Store: "s3"}
	}); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "Synced=False naming the missing BackupStore", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		s := di.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, "BackupStore s3") && strings.Contains(s.Message, "not found"), s.Message
	})
	if got := postmasterStart(t, f, di); got != startedAt {
		t.Errorf("the server restarted (%s, was %s) while its BackupStore was missing", got, startedAt)
	}

	if err := c.Create(ctx, &opsv1alpha1.BackupStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "s3"},
		Spec: opsv1alpha1.BackupStoreSpec{ForProvider: opsv1alpha1.BackupStoreParameters{S3: &opsv1alpha1.S3Store{
			S3Location: opsv1alpha1.S3Location{Endpoint: store.Endpoint, Port: int32(store.Port), Bucket: store.Bucket, Region: store.Region, Prefix: "/dbaas",
				URIStyle: opsv1alpha1.URIStylePath},
			CASecretRef:          &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3-creds"}, Key: "ca.crt"},
			CredentialsSecretRef: xpv2.LocalSecretReference{Name: "s3-creds"},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	// The store's credentials Secret does not exist yet: the reconcile
	// stops, naming the Secret, the key it needs and the store, and the
	// server is left as it runs.
	wait.For(t, timeout, "Synced=False naming the store's missing Secret", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		s := di.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, "Secret "+f.ns+"/s3-creds, which BackupStore s3 names, does not exist"), s.Message
	})
	if got := postmasterStart(t, f, di); got != startedAt {
		t.Errorf("the server restarted (%s, was %s) while its store's Secret was missing", got, startedAt)
	}
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "s3-creds"},
		Data: map[string][]byte{
			backupstore.KeyAccessKeyID: []byte(store.AccessKey), backupstore.KeySecretAccessKey: []byte(store.SecretKey),
			"ca.crt": store.CA,
		},
	}); err != nil {
		t.Fatal(err)
	}
	waitArchiving(t, f, di, corev1.ConditionTrue, "")
	f.waitReady(t, di)
	if got := postmasterStart(t, f, di); got == startedAt {
		t.Errorf("the server was not restarted for archive_mode")
	}
	if w := di.Status.AtProvider.RecoveryWindow; w == nil || w.LastArchivedWAL == "" || w.LastArchivedTime == nil {
		t.Errorf("status.atProvider.recoveryWindow: want the last archived segment and its time, got %+v", w)
	}
	st := memberStanza(t, f, di)
	info, err := st.Info(ctx)
	// Status 2 is pgBackRest's "no valid backups": none was taken yet.
	if err != nil || (info.Status != 0 && info.Status != 2) || info.WALMax == "" {
		t.Errorf("pgbackrest info: want the stanza with archived WAL, got %+v, %v", info, err)
	}
	if b, err := os.ReadFile(st.CAPath()); err != nil || string(b) != string(store.CA) {
		t.Errorf("the store's CA beside pgbackrest.conf: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(st.ConfigPath(), "pgbackrest.conf")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("pgbackrest.conf: want mode 0600, got %v, %v", fi, err)
	}

	// The store goes down: the next segment cannot be archived, and the
	// condition says so with pgBackRest's words.
	if err := store.Stop(); err != nil {
		t.Fatal(err)
	}
	// pg_switch_wal is the superuser's, which the connection secret's
	// dbaas_admin is not: the session is the provider's own, over the
	// member's socket (a TLS set makes ConnectAdmin take it).
	mi := memberInstance(t, f, di)
	mi.TLS = &postgresql.TLS{}
	conn, err := mi.ConnectAdmin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE outage AS SELECT generate_series(1, 1000) AS n"); err != nil {
		t.Fatal(err)
	}
	var failed string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&failed); err != nil {
		t.Fatal(err)
	}
	msg := waitArchiving(t, f, di, corev1.ConditionFalse, "BackupStore s3")
	if !strings.Contains(msg, failed) || !strings.Contains(msg, "[") {
		t.Errorf("WALArchiving=False: want the segment %s and pgBackRest's error, got %q", failed, msg)
	}
	t.Logf("WALArchiving=False: %s", msg)

	// Back on the same port with the same data: PostgreSQL retries the
	// segment by itself, and the archive has every segment. Its archiver
	// retries when it is woken, by the next segment ready to archive or
	// else by its own timer up to a minute later (PGARCH_AUTOWAKE_INTERVAL):
	// a server with writes fills the next segment soon, and this one is
	// made to, so that the test does not wait out that minute. The
	// archiver takes the oldest segment first, the failed one.
	if err := store.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE after_outage AS SELECT 1 AS n"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}
	waitArchiving(t, f, di, corev1.ConditionTrue, "")
	s3Repo := filepath.Join(store.Dir, store.Bucket, "dbaas")
	segs := archivedSegments(t, s3Repo, st.Name)
	if !contiguous(segs) || !containsSeg(segs, failed) {
		t.Errorf("archived segments: want a contiguous run holding %s, got %v", failed, segs)
	}

	// The instance moves to another store. The stanza is made there at
	// once, and WALArchiving turns True only once a segment is there:
	// the first store's successes say nothing of the second.
	startedAt = postmasterStart(t, f, di)
	// The posix store is a small file system of the test's own, so that
	// it can be filled below.
	diskRepo, err := backupstore.PosixPath(root, f.ns, "second")
	if err != nil {
		t.Fatal(err)
	}
	smallDisk(t, diskRepo, 32<<20)
	if err := c.Create(ctx, &opsv1alpha1.BackupStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "disk"},
		Spec:       opsv1alpha1.BackupStoreSpec{ForProvider: opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "second"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := testenv.Mutate(ctx, c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Backup.Store = "disk" }); err != nil {
		t.Fatal(err)
	}
	waitArchiving(t, f, di, corev1.ConditionTrue, "BackupStore disk")
	if got, err := segmentsIn(diskRepo, st.Name); err != nil || len(got) == 0 {
		t.Errorf("WALArchiving=True for BackupStore disk with no segment in it: %v, %v", got, err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE moved AS SELECT 1 AS n"); err != nil {
		t.Fatal(err)
	}
	var next string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&next); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "segment "+next+" in BackupStore disk", func() (bool, string) {
		got, err := segmentsIn(diskRepo, st.Name)
		return err == nil && containsSeg(got, next), fmt.Sprint(got, err)
	})
	if containsSeg(archivedSegments(t, s3Repo, st.Name), next) {
		t.Errorf("segment %s went to the first store too", next)
	}
	if got := postmasterStart(t, f, di); got != startedAt {
		t.Errorf("the server restarted (%s, was %s) for a change of store, which needs only pgbackrest.conf", got, startedAt)
	}

	// The posix store's disk fills up: the next segment cannot be
	// archived, and the condition names the store and the cause. Once
	// there is room again the archiver pushes it by itself (made to wake
	// by a further segment, as above), and no segment is missing.
	filler := fill(t, diskRepo)
	if _, err := conn.Exec(ctx, "CREATE TABLE full_disk AS SELECT generate_series(1, 1000) AS n"); err != nil {
		t.Fatal(err)
	}
	var refused string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&refused); err != nil {
		t.Fatal(err)
	}
	msg = waitArchiving(t, f, di, corev1.ConditionFalse, "BackupStore disk")
	if !strings.Contains(msg, refused) || !strings.Contains(msg, "No space left on device") {
		t.Errorf("WALArchiving=False: want the segment %s and the full disk in pgBackRest's words, got %q", refused, msg)
	}
	t.Logf("WALArchiving=False: %s", msg)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE room_again AS SELECT 1 AS n"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}
	waitArchiving(t, f, di, corev1.ConditionTrue, "BackupStore disk")
	if segs := archivedSegments(t, diskRepo, st.Name); !contiguous(segs) || !containsSeg(segs, refused) {
		t.Errorf("segments in BackupStore disk: want a contiguous run holding %s, got %v", refused, segs)
	}
}

// smallDisk mounts a tmpfs of size bytes on dir, made if missing, until
// the test ends. It is detached lazily: the archiver may still hold a
// file of it open when the test's instance is stopped.
func smallDisk(t *testing.T, dir string, size int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Fatalf("cannot mount a tmpfs on %s (the test runs as root): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("cannot unmount the tmpfs on %s: %v", dir, err)
		}
	})
}

// fill writes a file into dir until its file system has no room left,
// and returns the file's path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := fh.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return p
			}
			t.Fatalf("cannot fill %s: %v", dir, err)
		}
	}
}

// waitArchiving waits for the instance's WALArchiving condition to be
// status with a message holding want, and returns the message.
func waitArchiving(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance, status corev1.ConditionStatus, want string) string {
	t.Helper()
	var msg string
	wait.For(t, timeout, "WALArchiving="+string(status), func() (bool, string) {
		if err := f.env.Client.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		c := di.GetCondition(v1alpha1.TypeWALArchiving)
		msg = c.Message
		return c.Status == status && strings.Contains(c.Message, want),
			string(c.Status) + " " + c.Message + "; Synced: " + di.GetCondition(xpv2.TypeSynced).Message
	})
	return msg
}

// memberInstance is the engine's view of the single member.
func memberInstance(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance) *postgresql.Instance {
	t.Helper()
	return postgresql.NewInstance(executor.Local{}, f.machineDir(t), "pg", "15", di.Status.AtProvider.Port, "admin")
}

// memberStanza is the instance's stanza as the member's machine has it.
func memberStanza(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance) *pgbackrest.Stanza {
	t.Helper()
	name, err := backupstore.Stanza(f.ns, di.Name)
	if err != nil {
		t.Fatal(err)
	}
	return pgbackrest.New(memberInstance(t, f, di), name, pgbackrest.Repo{})
}

// postmasterStart is when the member's server started: its postmaster.pid
// names it, so a restart changes it.
func postmasterStart(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(memberInstance(t, f, di).DataDir(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 3 {
		t.Fatalf("postmaster.pid: %q", b)
	}
	return lines[0] + "@" + lines[2]
}

// archivedSegments are the WAL segments of stanza in the repository at
// repo (a directory: a posix store, or an S3 store's prefix in versitygw's
// files), sorted.
func archivedSegments(t *testing.T, repo, stanza string) []string {
	t.Helper()
	out, err := segmentsIn(repo, stanza)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// segmentsIn is archivedSegments returning its error, for a repository
// that may not hold the stanza yet.
func segmentsIn(repo, stanza string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(filepath.Join(repo, "archive", stanza), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// pgBackRest writes a segment to <name>.pgbackrest.tmp and renames
		// it when complete: a segment still being written is not archived.
		if n := d.Name(); !d.IsDir() && len(n) > 24 && n[24] == '-' && !strings.HasSuffix(n, ".pgbackrest.tmp") {
			out = append(out, n[:24])
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// segNo is a segment's position in the WAL of a 16 MB segment size, or -1.
func segNo(name string) int64 {
	log, err1 := strconv.ParseInt(name[8:16], 16, 64)
	seg, err2 := strconv.ParseInt(name[16:24], 16, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return log*256 + seg
}

// contiguous reports whether segs, sorted, follow each other without a
// gap on one timeline.
func contiguous(segs []string) bool {
	for n := 1; n < len(segs); n++ {
		if segs[n][:8] != segs[0][:8] || segNo(segs[n]) != segNo(segs[n-1])+1 {
			return false
		}
	}
	return len(segs) > 0
}

func containsSeg(segs []string, s string) bool {
	for _, x := range segs {
		if x == s {
			return true
		}
	}
	return false
}
