package backup_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/controller/backup"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/backuptest"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestBackupsOverSSH takes the path of every VM: one instance on a test
// host (a network namespace with a real sshd, reached over SSH through
// sudo), archiving into a posix store on that host's file system. A full
// backup through the Backup kind, rows with their commit times, a time T
// between two of them, the table dropped, and a point-in-time restore
// over SSH into a scratch data directory on the host brings back every row
// committed before T and none after. Then one file of the backup is
// corrupted in the repository: the Backup's periodic verify reports it,
// with pgBackRest's message, and a restore from it is refused.
func TestBackupsOverSSH(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	ctx := context.Background()
	c := env.Client
	const ns, name = "backups-ssh", "db"

	// The hosts' directories and the backup root are the test's own; the
	// machines share this host's file system, so the posix store is one
	// directory every member sees, as an NFS mount would be.
	base := testenv.SharedDir(t)
	root := filepath.Join(base, "backups")
	n := testhost.NewNetwork(t)
	t.Cleanup(func() {
		if err := local.RemoveHosts(context.Background(), base); err != nil {
			t.Errorf("cannot remove the machines' hosts: %v", err)
		}
	})
	start := 20000 + 200*rand.Int32N(60) //nolint:gosec // A port block, not a secret.
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "key"}, Data: map[string][]byte{"id": sshtest.GenerateKeyPEM(t)}},
		&apisv1alpha1.ClusterProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: ns},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
				Local: &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: start, PortRangeEnd: start + 199,
					Network: &apisv1alpha1.LocalNetwork{CIDR: n.Subnet().String(), Bridge: n.Bridge()}},
				SSH: &apisv1alpha1.SSHConfig{User: "root", Packages: apisv1alpha1.PackagesPreinstalled,
					PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "key"}, Key: "id"}}},
		},
		&v1alpha1.BackupStore{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "disk"},
			Spec:       v1alpha1.BackupStoreSpec{ForProvider: v1alpha1.BackupStoreParameters{Posix: &v1alpha1.PosixStore{Directory: "repo"}}},
		},
		&computev1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vm"},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: backuptest.PCRef(ns)},
				ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
			},
		},
		&enginev1alpha1.DatabaseInstance{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: enginev1alpha1.DatabaseInstanceSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: backuptest.PCRef(ns)},
				ForProvider: enginev1alpha1.DatabaseInstanceParameters{
					Engine: enginev1alpha1.EnginePostgreSQL, Version: "15", StorageGB: 1,
					VirtualMachineRefs: []xpv2.NamespacedReference{{Name: "vm"}},
					// Over SSH the admin account is the postgres superuser.
					AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name + "-admin"}, Key: "password"},
					AutoGeneratePassword:   true,
					Backup:                 &enginev1alpha1.InstanceBackupParameters{Store: "disk"},
				},
			},
		},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	withRoot := func(setup testenv.Setup) testenv.Setup {
		return func(mgr ctrl.Manager, o options.Options) error {
			o.BackupRoot = root
			// Verified again every few seconds, so that the test sees the
			// corruption soon; the provider's default is hours.
			o.BackupVerifyInterval = 5 * time.Second
			return setup(mgr, o)
		}
	}
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{
		config.Setup, virtualmachine.Setup, withRoot(databaseinstance.Setup), withRoot(backup.Setup),
	}})

	di := &enginev1alpha1.DatabaseInstance{}
	wait.For(t, timeout, "the instance Ready and archiving over SSH", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, di); err != nil {
			return false, err.Error()
		}
		r, a := di.GetCondition(xpv2.TypeReady), di.GetCondition(enginev1alpha1.TypeWALArchiving)
		return r.Status == corev1.ConditionTrue && a.Status == corev1.ConditionTrue,
			fmt.Sprintf("Ready %s %s; WALArchiving %s %s; Synced %s", r.Status, r.Message, a.Status, a.Message, di.GetCondition(xpv2.TypeSynced).Message)
	})
	vm := &computev1alpha1.VirtualMachine{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vm"}, vm); err != nil {
		t.Fatal(err)
	}
	if a := vm.Status.AtProvider.Address; a == "" || di.Status.AtProvider.Endpoint != a {
		t.Fatalf("the instance is not served from the host's own address: endpoint %q, host %q", di.Status.AtProvider.Endpoint, vm.Status.AtProvider.Address)
	}
	stanza := backuptest.PrimaryStanza(t, env, di)
	repo := filepath.Join(root, ns, "repo")
	if _, err := os.Stat(filepath.Join(repo, "archive", stanza.Name)); err != nil {
		t.Fatalf("the posix store is not below the provider's backup root on the host: %v", err)
	}

	pw := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name + "-admin"}, pw); err != nil {
		t.Fatal(err)
	}
	conn, err := stanza.Instance.Connect(ctx, stanza.Instance.AdminUser, string(pw.Data["password"]), "postgres")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "CREATE TABLE rows (id int PRIMARY KEY, committed timestamptz)"); err != nil {
		t.Fatal(err)
	}
	full := completed(t, env, newBackup(t, env, ns, "full", name, v1alpha1.BackupFull))
	if full.Status.AtProvider.Member != "vm" || full.Status.AtProvider.Type != v1alpha1.BackupFull {
		t.Errorf("full backup's status: %+v", full.Status.AtProvider)
	}

	// pgBackRest restores to a time only from a backup that stopped in an
	// earlier second; each row commits on its own, and T is read after row
	// 3 committed and before row 4 started.
	nextSecond(ctx, t, conn)
	insert := func(id int) {
		if _, err := conn.Exec(ctx, "INSERT INTO rows VALUES ($1, clock_timestamp())", id); err != nil {
			t.Fatalf("insert row %d: %v", id, err)
		}
	}
	for id := 1; id <= 3; id++ {
		insert(id)
	}
	var target time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&target); err != nil {
		t.Fatal(err)
	}
	for id := 4; id <= 6; id++ {
		insert(id)
	}
	if _, err := conn.Exec(ctx, "DROP TABLE rows"); err != nil {
		t.Fatal(err)
	}
	// Check switches WAL and waits until the segment is archived: every
	// commit above is in the store.
	if err := stanza.Check(ctx); err != nil {
		t.Fatalf("Check over SSH: %v", err)
	}

	// The restore runs on the host, through the member's own executor
	// (SSH and sudo), into a scratch directory beside the member's.
	restored := scratchInstance(t, stanza.Instance, filepath.Join(vm.Status.AtProvider.WorkDir, "scratch", "pitr"))
	from := pgbackrest.New(restored, stanza.Name, pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: repo})
	if err := from.Restore(ctx, pgbackrest.Target{Type: pgbackrest.TargetTime, Time: target}); err != nil {
		t.Fatalf("Restore over SSH: %v", err)
	}
	if _, err := restored.Configure(ctx, restored.Settings(nil, nil, nil)); err != nil {
		t.Fatalf("Configure the restored server: %v", err)
	}
	if err := restored.Start(ctx); err != nil {
		t.Fatalf("Start the restored server: %v", err)
	}
	wait.For(t, timeout, "the restored server promoted at T", func() (bool, string) {
		out, err := psql(ctx, restored, "SELECT pg_is_in_recovery()")
		return err == nil && out == "f", fmt.Sprintf("%q %v", out, err)
	})
	out, err := psql(ctx, restored, "SELECT string_agg(id::text, ',' ORDER BY id) FROM rows")
	if err != nil {
		t.Fatalf("the table dropped after T is not back: %v", err)
	}
	if out != "1,2,3" {
		t.Errorf("restored to %s: want rows 1,2,3 (committed before T) and none after, got %q", target.Format(time.RFC3339Nano), out)
	}

	corruptAndVerify(t, env, full, repo, stanza, vm.Status.AtProvider.WorkDir)
}

// scratchInstance is a server on the member's machine, reached through the
// member's executor, in dir and on the port after the member's, stopped
// when the test ends.
func scratchInstance(t *testing.T, member *postgresql.Instance, dir string) *postgresql.Instance {
	t.Helper()
	i := postgresql.NewInstance(member.Exec, "", filepath.Base(dir), member.Version, member.Port+1, member.AdminUser)
	i.Dir = dir
	t.Cleanup(func() {
		if err := i.Stop(context.Background()); err != nil {
			t.Errorf("cannot stop the server in %s: %v", dir, err)
		}
	})
	return i
}

// psql runs query on server i over its unix socket, as the engine user
// (peer authentication), through its executor, and returns the unaligned
// result.
func psql(ctx context.Context, i *postgresql.Instance, query string) (string, error) {
	res, err := i.RunAsEngine(ctx, nil, nil, filepath.Join(postgresql.DefaultBinRoot, i.Version, "bin", "psql"),
		"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", i.SocketDir(), "-p", strconv.Itoa(int(i.Port)), "-d", "postgres", "-c", query)
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(res.Stderr))
	}
	return strings.TrimSpace(res.Stdout), nil
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

// corruptAndVerify flips bytes of one file of the completed backup full in
// the posix repository: the Backup, verified valid before, turns Verified
// False and not Ready with pgBackRest's report, and pgBackRest refuses a
// restore from it over SSH, leaving no restored server behind.
func corruptAndVerify(t *testing.T, env *testenv.Env, full *v1alpha1.Backup, repo string, stanza *pgbackrest.Stanza, workDir string) {
	t.Helper()
	ctx := context.Background()
	label := full.Status.AtProvider.Label
	verified := func(status corev1.ConditionStatus) {
		t.Helper()
		wait.For(t, timeout, fmt.Sprintf("Backup %s Verified %s", full.Name, status), func() (bool, string) {
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(full), full); err != nil {
				return false, err.Error()
			}
			v := full.GetCondition(v1alpha1.TypeVerified)
			return v.Status == status, fmt.Sprintf("Verified %s %s: %s", v.Status, v.Reason, v.Message)
		})
	}
	verified(corev1.ConditionTrue)

	// Small files, pg_control among them, are in bundles (repo1-bundle),
	// each file compressed on its own: the bytes flipped in the middle of
	// the first bundle belong to one of its files.
	files, err := filepath.Glob(filepath.Join(repo, "backup", stanza.Name, label, "bundle", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("want bundles in the posix repository, got %v, %v", files, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatalf("cannot read a backup file to corrupt: %v", err)
	}
	for i := len(data) / 2; i < len(data)/2+8 && i < len(data); i++ {
		data[i] ^= 0xff
	}
	if err := os.WriteFile(files[0], data, 0o640); err != nil {
		t.Fatal(err)
	}

	verified(corev1.ConditionFalse)
	v := full.GetCondition(v1alpha1.TypeVerified)
	if v.Reason != v1alpha1.ReasonInvalid || !strings.Contains(v.Message, label) || !strings.Contains(v.Message, "checksum invalid") {
		t.Errorf("Verified: want Invalid naming %s with pgBackRest's report, got %s: %s", label, v.Reason, v.Message)
	}
	if r := full.GetCondition(xpv2.TypeReady); r.Status != corev1.ConditionFalse || r.Message != v.Message {
		t.Errorf("Ready of the corrupted backup: want False with the verify's message, got %s: %s", r.Status, r.Message)
	}
	if full.Status.AtProvider.Message != v.Message || full.Status.AtProvider.Phase != v1alpha1.BackupCompleted {
		t.Errorf("status: want phase Completed with the verify's message, got %s: %s", full.Status.AtProvider.Phase, full.Status.AtProvider.Message)
	}
	t.Logf("Verified=False: %s", v.Message)

	refused := scratchInstance(t, stanza.Instance, filepath.Join(workDir, "scratch", "corrupt"))
	err = pgbackrest.New(refused, stanza.Name, pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: repo}).
		Restore(ctx, pgbackrest.Target{Type: pgbackrest.TargetImmediate, Set: label})
	if err == nil {
		t.Fatalf("Restore from the corrupted backup %s: want it refused, got no error", label)
	}
	t.Logf("Restore from the corrupted backup refused: %v", err)
	if ok, ierr := refused.Initialized(ctx); ierr != nil || ok {
		t.Errorf("a refused restore must leave no data directory to start: Initialized %v, %v", ok, ierr)
	}
}
