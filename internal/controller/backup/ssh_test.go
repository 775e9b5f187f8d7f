package backup_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/controller/backup"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/backuptest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// storeName is the name the test hosts reach the S3 store by, at the
// test network's gateway: pgBackRest checks the store's certificate
// against the name it connects to, never an address, so the hosts
// resolve it through the provider config's host aliases. .test is
// reserved (RFC 2606): it resolves nowhere else.
const storeName = "s3.dbaas.test"

// TestBackupsOverSSH takes the path of every VM: one instance on a test
// host (a network namespace with a real sshd, reached over SSH), archiving
// into an S3 store (versitygw over TLS) that listens on the test network's
// gateway and that the host reaches by a name of its own host aliases. A
// full backup through the Backup kind, rows with their commit times, a
// time T between two of them, the table dropped, and a new instance on a
// second host restored to T through the API (bootstrap.recovery) holds
// every row committed before T and none after, is Ready with a connection
// secret of its own, and archives into its own stanza, in a posix store on
// its host. Then one file of the backup is corrupted in the store: the
// Backup's periodic verify reports it, with pgBackRest's message, and a
// restore from it is refused.
func TestBackupsOverSSH(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	ctx := context.Background()
	c := env.Client
	const ns, name, restoredName, prefix = "backups-ssh", "db", "pitr", "/ssh"

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
	backuptest.StopRunsBelow(t, base)
	store := s3test.StartOn(t, n.Gateway().String(), storeName)
	start := 20000 + 200*rand.Int32N(60) //nolint:gosec // A port block, not a secret.
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "key"}, Data: map[string][]byte{"id": sshtest.GenerateKeyPEM(t)}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3"}, Data: map[string][]byte{
			backupstore.KeyAccessKeyID: []byte(store.AccessKey), backupstore.KeySecretAccessKey: []byte(store.SecretKey), "ca.crt": store.CA,
		}},
		&apisv1alpha1.ClusterProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: ns},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
				Local: &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: start, PortRangeEnd: start + 199,
					Network: &apisv1alpha1.LocalNetwork{CIDR: n.Subnet().String(), Bridge: n.Bridge(),
						HostAliases: []apisv1alpha1.HostAlias{{IP: n.Gateway().String(), Hostnames: []string{storeName}}}}},
				SSH: &apisv1alpha1.SSHConfig{User: "root", Packages: apisv1alpha1.PackagesPreinstalled,
					PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "key"}, Key: "id"}}},
		},
		&v1alpha1.BackupStore{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3"},
			Spec: v1alpha1.BackupStoreSpec{ForProvider: v1alpha1.BackupStoreParameters{S3: &v1alpha1.S3Store{
				S3Location: v1alpha1.S3Location{Endpoint: storeName, Port: int32(store.Port), Bucket: store.Bucket, Region: store.Region,
					URIStyle: v1alpha1.URIStylePath, Prefix: prefix},
				CASecretRef:          &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3"}, Key: "ca.crt"},
				CredentialsSecretRef: xpv2.LocalSecretReference{Name: "s3"},
			}}},
		},
		&v1alpha1.BackupStore{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "disk"},
			Spec:       v1alpha1.BackupStoreSpec{ForProvider: v1alpha1.BackupStoreParameters{Posix: &v1alpha1.PosixStore{Directory: "repo"}}},
		},
		restoredInstance(ns, name, func(p *enginev1alpha1.DatabaseInstanceParameters) {
			// Over SSH the admin account is the postgres superuser.
			p.AdminUser = ""
			p.Backup = &enginev1alpha1.InstanceBackupParameters{Store: "s3"}
		}),
	}
	// The restored instance's machine is made with the first, so that its
	// host is up by the time the restore starts.
	for _, vm := range []string{name, restoredName} {
		objs = append(objs, &computev1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: vm},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: backuptest.PCRef(ns)},
				ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
			},
		})
	}
	for _, o := range objs {
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

	di := &enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	ready(t, env, di, enginev1alpha1.TypeWALArchiving)
	vm := &computev1alpha1.VirtualMachine{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, vm); err != nil {
		t.Fatal(err)
	}
	if a := vm.Status.AtProvider.Address; a == "" || di.Status.AtProvider.Endpoint != a {
		t.Fatalf("the instance is not served from the host's own address: endpoint %q, host %q", di.Status.AtProvider.Endpoint, vm.Status.AtProvider.Address)
	}
	stanza := backuptest.PrimaryStanza(t, env, di)
	if _, err := os.Stat(filepath.Join(store.Dir, store.Bucket, prefix, "archive", stanza.Name)); err != nil {
		t.Fatalf("the host archives into the S3 store at the gateway, which holds no archive of %s: %v", stanza.Name, err)
	}

	conn, err := stanza.Instance.ConnectAdmin(ctx, secretValue(t, env, ns, name+"-admin", "password"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "CREATE TABLE rows (id int PRIMARY KEY, committed timestamptz)"); err != nil {
		t.Fatal(err)
	}
	full := completed(t, env, newBackup(t, env, ns, "full", name, v1alpha1.BackupFull))
	if full.Status.AtProvider.Member != name || full.Status.AtProvider.Type != v1alpha1.BackupFull {
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
	// The segment holding every commit above is archived, and the source's
	// status says so: the restore's check of the window reads it there.
	var segment string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&segment); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "segment "+segment+" archived, in the source's status", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		w := di.Status.AtProvider.RecoveryWindow
		return w != nil && w.LastArchivedWAL >= segment, fmt.Sprintf("recoveryWindow %+v", w)
	})

	// The restore through the API, on the second host over SSH: the
	// backup is read from the S3 store, and the new instance archives
	// into its own stanza of the posix store.
	restored := restoredInstance(ns, restoredName, func(p *enginev1alpha1.DatabaseInstanceParameters) {
		p.AdminUser = ""
		p.Bootstrap = &enginev1alpha1.BootstrapParameters{Recovery: enginev1alpha1.RecoveryParameters{
			BackupRef: &enginev1alpha1.BackupReference{Name: full.Name},
			Target:    enginev1alpha1.RecoveryTarget{Time: target.UTC().Format(time.RFC3339Nano)},
		}}
		p.Backup = &enginev1alpha1.InstanceBackupParameters{Store: "disk"}
	})
	restored.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: restoredName + "-conn"}
	if err := c.Create(ctx, restored); err != nil {
		t.Fatal(err)
	}
	ready(t, env, restored, enginev1alpha1.TypeWALArchiving)
	if r := restored.GetCondition(enginev1alpha1.TypeRecovery); r.Status != corev1.ConditionTrue || r.Reason != enginev1alpha1.ReasonRecovered {
		t.Errorf("Recovery condition: want True %s, got %s %s %s", enginev1alpha1.ReasonRecovered, r.Status, r.Reason, r.Message)
	}
	rvm := &computev1alpha1.VirtualMachine{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: restoredName}, rvm); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: restoredName + "-conn"}, secret); err != nil {
		t.Fatal(err)
	}
	own := string(secret.Data[databaseinstance.ConnectionPassword])
	restoredPassword := secretValue(t, env, ns, restoredName+"-admin", "password")
	if own != pgroles.Password(restoredPassword, pgroles.Admin) || own == pgroles.Password(secretValue(t, env, ns, name+"-admin", "password"), pgroles.Admin) ||
		string(secret.Data[databaseinstance.ConnectionEndpoint]) != rvm.Status.AtProvider.Address {
		t.Errorf("the restored instance's connection secret: want dbaas_admin's password derived from its own admin password and its host's address %s, got endpoint %q", rvm.Status.AtProvider.Address, secret.Data[databaseinstance.ConnectionEndpoint])
	}
	rStanza := backuptest.PrimaryStanza(t, env, restored)
	sc, err := rStanza.Instance.Connect(ctx, string(secret.Data[databaseinstance.ConnectionUsername]), own, "postgres")
	if err != nil {
		t.Fatalf("connect with the restored instance's connection secret: %v", err)
	}
	_ = sc.Close(ctx)
	// The rows are the superuser's table, which dbaas_admin may not read:
	// read as the superuser over the host's unix socket (through SSH), as
	// the provider administers it.
	rc, err := rStanza.Instance.ConnectAdmin(ctx, restoredPassword)
	if err != nil {
		t.Fatalf("connect as the restored instance's superuser over its socket: %v", err)
	}
	defer rc.Close(ctx)
	rows, err := rc.Query(ctx, "SELECT id FROM rows ORDER BY id")
	if err != nil {
		t.Fatalf("the table dropped after T is not back: %v", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[1 2 3]" {
		t.Errorf("restored to %s: want rows 1 to 3 (committed before T) and none after, got %v", target.Format(time.RFC3339Nano), ids)
	}
	// Its own stanza, in the posix store below the provider's backup root
	// on its host, on the timeline its promotion began; the source's
	// stanza got nothing of it.
	if _, err := os.Stat(filepath.Join(root, ns, "repo", "archive", rStanza.Name)); err != nil {
		t.Errorf("the restored instance's stanza is not in the posix store below the backup root: %v", err)
	}
	wait.For(t, timeout, "the restored instance's WAL in its own stanza, none in the source's", func() (bool, string) {
		mine, err := rStanza.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		theirs, err := stanza.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		if !strings.HasPrefix(theirs.WALMax, "00000001") {
			t.Fatalf("the source's stanza holds WAL of another timeline: %s", theirs.WALMax)
		}
		return strings.HasPrefix(mine.WALMax, "00000002"), fmt.Sprintf("own stanza's WAL %s-%s, the source's up to %s", mine.WALMin, mine.WALMax, theirs.WALMax)
	})

	st, err := backupstore.Resolve(ctx, c, backupstore.Ref{Kind: enginev1alpha1.StoreKindBackupStore, Namespace: ns, Name: "s3"}, root)
	if err != nil {
		t.Fatal(err)
	}
	corruptAndVerify(t, env, full, filepath.Join(store.Dir, store.Bucket, prefix), stanza, st, vm.Status.AtProvider.WorkDir)
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
// the store st, whose repository is the directory repo on this host (the
// S3 store's posix backend keeps each object as a file): the Backup,
// verified valid before, turns Verified False and not Ready with
// pgBackRest's report, and pgBackRest refuses a restore from it over SSH,
// leaving no restored server behind.
func corruptAndVerify(t *testing.T, env *testenv.Env, full *v1alpha1.Backup, repo string, stanza *pgbackrest.Stanza, st backupstore.Store, workDir string) {
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
		t.Fatalf("want bundles in the repository, got %v, %v", files, err)
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
	from := pgbackrest.New(refused, stanza.Name, st.Repo)
	from.CA = st.CA
	err = from.Restore(ctx, pgbackrest.Target{Type: pgbackrest.TargetImmediate, Set: label})
	if err == nil {
		t.Fatalf("Restore from the corrupted backup %s: want it refused, got no error", label)
	}
	t.Logf("Restore from the corrupted backup refused: %v", err)
	if ok, ierr := refused.Initialized(ctx); ierr != nil || ok {
		t.Errorf("a refused restore must leave no data directory to start: Initialized %v, %v", ok, ierr)
	}
}
