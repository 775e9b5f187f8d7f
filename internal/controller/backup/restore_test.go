package backup_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/common"
	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/backup"
	backupstorectrl "github.com/dbaas-io/dbaas/internal/controller/backupstore"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/testing/backuptest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestRestore restores new instances from the backups of one instance
// through the real controllers (a real API server, PostgreSQL 15 on the
// local backend, pgBackRest, an S3 store on versitygw over TLS): rows are
// written with their commit times around a full Backup, the table dropped,
// and a new instance restored to a time T between two rows holds every row
// committed before T and none after, is Ready with a connection secret and
// an admin password of its own, and archives into its own stanza, never
// the source's. Beside it, a target before the first backup is refused
// with nothing started, and one the archived WAL never reaches ends in
// RecoveryTargetUnreachable with PostgreSQL's message.
func TestRestore(t *testing.T) {
	t.Parallel()
	began := time.Now()
	env := testenv.Shared(t)
	ctx := context.Background()
	c := env.Client
	const ns = "restore"
	t.Cleanup(func() { t.Logf("TestRestore took %s", time.Since(began).Round(time.Second)) })
	s3 := s3test.Start(t)
	backuptest.Fixture{NS: ns, Instance: "src", VMs: []string{"src"}, Prefix: "/restore", Passphrase: "a passphrase of this test only"}.Create(t, env, s3)
	// The restored instance archives and backs up into a store the
	// platform owns, whose Secret is in a namespace of the platform's.
	platform := clusterStore(t, env, s3, ns+"-platform")
	// The restored instances' machines, one each.
	for _, vm := range []string{"restored", "early", "far"} {
		if err := c.Create(ctx, &computev1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: vm},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: backuptest.PCRef(ns)},
				ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
			},
		}); err != nil {
			t.Fatal(err)
		}
	}
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{
		config.Setup, virtualmachine.Setup, databaseinstance.Setup, backupstorectrl.Setup, backup.Setup,
	}})
	src := &enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "src"}}

	ready(t, env, src, enginev1alpha1.TypeWALArchiving)
	srcStanza := backuptest.PrimaryStanza(t, env, src)
	srcPassword := secretValue(t, env, ns, "src-admin", "password")
	conn, err := srcStanza.Instance.ConnectAdmin(ctx, srcPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE rows (id int PRIMARY KEY, committed timestamptz)"); err != nil {
		t.Fatal(err)
	}
	// Each row commits on its own, with its commit's time.
	insert := func(id int) time.Time {
		var at time.Time
		if err := conn.QueryRow(ctx, "INSERT INTO rows VALUES ($1, clock_timestamp()) RETURNING committed", id).Scan(&at); err != nil {
			t.Fatalf("insert row %d: %v", id, err)
		}
		return at
	}
	beforeBackup := insert(1)
	insert(2)
	insert(3)
	full := completed(t, env, newBackup(t, env, ns, "full", "src", v1alpha1.BackupFull))

	// pgBackRest restores to a time only from a backup that ended in an
	// earlier second: the rows after the backup start in the next second
	// of the server's clock.
	nextSecond(ctx, t, conn)
	for id := 4; id <= 6; id++ {
		insert(id)
	}
	// T is read after row 6 committed and before row 7 began.
	var target time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&target); err != nil {
		t.Fatal(err)
	}
	for id := 7; id <= 9; id++ {
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
		if err := c.Get(ctx, client.ObjectKeyFromObject(src), src); err != nil {
			return false, err.Error()
		}
		w := src.Status.AtProvider.RecoveryWindow
		return w != nil && w.LastArchivedWAL >= segment, fmt.Sprintf("recoveryWindow %+v", w)
	})

	fromSource := func(tg enginev1alpha1.RecoveryTarget) func(p *enginev1alpha1.DatabaseInstanceParameters) {
		return func(p *enginev1alpha1.DatabaseInstanceParameters) {
			p.Bootstrap = &enginev1alpha1.BootstrapParameters{Recovery: enginev1alpha1.RecoveryParameters{
				Source: &enginev1alpha1.RecoverySource{Instance: "src", Store: "s3"}, Target: tg,
			}}
		}
	}
	restored := restoredInstance(ns, "restored", func(p *enginev1alpha1.DatabaseInstanceParameters) {
		p.Bootstrap = &enginev1alpha1.BootstrapParameters{Recovery: enginev1alpha1.RecoveryParameters{
			BackupRef: &enginev1alpha1.BackupReference{Name: full.Name},
			Target:    enginev1alpha1.RecoveryTarget{Time: target.UTC().Format(time.RFC3339Nano)},
		}}
		p.Backup = &enginev1alpha1.InstanceBackupParameters{Store: platform, StoreKind: enginev1alpha1.StoreKindClusterBackupStore,
			Retention: &common.BackupRetention{FullCount: ptr.To[int32](1)}}
	})
	restored.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "restored-conn"}
	early := restoredInstance(ns, "early", fromSource(enginev1alpha1.RecoveryTarget{Time: beforeBackup.UTC().Format(time.RFC3339Nano)}))
	far := restoredInstance(ns, "far", fromSource(enginev1alpha1.RecoveryTarget{LSN: "FFFFFFF/0"}))
	far.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "far-conn"}
	for _, o := range []client.Object{restored, early, far} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	// Refused: a target before the end of the first backup in the store.
	wait.For(t, timeout, "the restore to before the first backup refused", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(early), early); err != nil {
			return false, err.Error()
		}
		s := early.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, "choose a later time"), fmt.Sprintf("Synced %s %s", s.Status, s.Message)
	})
	ms, closeFn, err := databaseinstance.OpenMembers(ctx, c, options.Options{}, early)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if ok, err := ms[0].Instance.Initialized(ctx); err != nil || ok {
		t.Errorf("refused restore: want no data directory, got initialized %v, %v", ok, err)
	}
	if ok, err := ms[0].Instance.Running(ctx); err != nil || ok {
		t.Errorf("refused restore: want no server, got running %v, %v", ok, err)
	}

	// The restore to T: every row committed before T, none after.
	ready(t, env, restored, enginev1alpha1.TypeWALArchiving)
	if r := restored.GetCondition(enginev1alpha1.TypeRecovery); r.Status != corev1.ConditionTrue || r.Reason != enginev1alpha1.ReasonRecovered {
		t.Errorf("Recovery condition: want True %s, got %s %s %s", enginev1alpha1.ReasonRecovered, r.Status, r.Reason, r.Message)
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "restored-conn"}, secret); err != nil {
		t.Fatal(err)
	}
	// The connection secret names dbaas_admin with the password derived
	// from the restored instance's own admin password, not the source's.
	restoredPassword := secretValue(t, env, ns, "restored-admin", "password")
	own := string(secret.Data[databaseinstance.ConnectionPassword])
	if own == "" || own == pgroles.Password(srcPassword, pgroles.Admin) || own != pgroles.Password(restoredPassword, pgroles.Admin) {
		t.Errorf("the restored instance's connection secret: want dbaas_admin's password derived from its own admin password, not the source's")
	}
	rStanza := backuptest.PrimaryStanza(t, env, restored)
	// The source's admin password is not the restored instance's: the
	// dbaas_admin password derived from it is refused, with a real login.
	if c, err := rStanza.Instance.Connect(ctx, pgroles.Admin, pgroles.Password(srcPassword, pgroles.Admin), "postgres"); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		if c != nil {
			_ = c.Close(ctx)
		}
		t.Errorf("%s with the password derived from the source's admin password on the restored instance: err = %v, want the password refused", pgroles.Admin, err)
	}
	sc, err := rStanza.Instance.Connect(ctx, string(secret.Data[databaseinstance.ConnectionUsername]), own, "postgres")
	if err != nil {
		t.Fatalf("connect with the restored instance's connection secret: %v", err)
	}
	_ = sc.Close(ctx)
	// The rows are the superuser's table, which dbaas_admin may not read:
	// they are read as the provider administers the server, as the
	// superuser over its unix socket; the superuser never logs in over
	// TCP.
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
	if fmt.Sprint(ids) != "[1 2 3 4 5 6]" {
		t.Errorf("restored to %s: want rows 1 to 6 (committed before T) and none after, got %v", target.Format(time.RFC3339Nano), ids)
	}
	// The restored instance archives into its own stanza, on the timeline
	// its promotion began; the source's stanza got nothing of it.
	wait.For(t, timeout, "the restored instance's WAL in its own stanza, none in the source's", func() (bool, string) {
		mine, err := rStanza.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		theirs, err := srcStanza.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		if !strings.HasPrefix(theirs.WALMax, "00000001") {
			t.Fatalf("the source's stanza holds WAL of another timeline: %s", theirs.WALMax)
		}
		return strings.HasPrefix(mine.WALMax, "00000002"), fmt.Sprintf("own stanza's WAL %s-%s, the source's up to %s", mine.WALMin, mine.WALMax, theirs.WALMax)
	})

	backupsThroughClusterStore(t, env, restored, rStanza, platform)

	// A target the archived WAL never reaches: PostgreSQL's own message,
	// and nothing published.
	wait.For(t, timeout, "the unreachable target reported", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(far), far); err != nil {
			return false, err.Error()
		}
		r := far.GetCondition(enginev1alpha1.TypeRecovery)
		return r.Status == corev1.ConditionFalse && r.Reason == enginev1alpha1.ReasonRecoveryTargetUnreachable &&
				strings.Contains(r.Message, "recovery ended before configured recovery target was reached"),
			fmt.Sprintf("Recovery %s %s %s", r.Status, r.Reason, r.Message)
	})
	if r := far.GetCondition(xpv2.TypeReady); r.Status == corev1.ConditionTrue {
		t.Errorf("an instance whose restore cannot reach its target is Ready")
	}
	fs := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "far-conn"}, fs); err == nil && len(fs.Data[databaseinstance.ConnectionPassword]) > 0 {
		t.Errorf("an instance whose restore cannot reach its target published a password")
	}
}

// restoredInstance is a single instance of TestRestore (or of
// TestBackupsOverSSH) on the VirtualMachine of its name, with a generated
// admin password of its own.
func restoredInstance(ns, name string, mod func(p *enginev1alpha1.DatabaseInstanceParameters)) *enginev1alpha1.DatabaseInstance {
	di := &enginev1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: enginev1alpha1.DatabaseInstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: backuptest.PCRef(ns)},
			ForProvider: enginev1alpha1.DatabaseInstanceParameters{
				Engine: enginev1alpha1.EnginePostgreSQL, Version: "15", StorageGB: 1,
				VirtualMachineRefs:     []xpv2.NamespacedReference{{Name: name}},
				AdminUser:              "admin",
				AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name + "-admin"}, Key: "password"},
				AutoGeneratePassword:   true,
			},
		},
	}
	mod(&di.Spec.ForProvider)
	return di
}

// ready waits for di to be Ready with the condition also True. It logs
// when the Recovery and Synced conditions change, and after how long, to
// show where a restore spends its time.
func ready(t *testing.T, env *testenv.Env, di *enginev1alpha1.DatabaseInstance, also xpv2.ConditionType) {
	t.Helper()
	start, seen := time.Now(), ""
	wait.For(t, timeout, "instance "+di.Name+" Ready and "+string(also), func() (bool, string) {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		rec, sy := di.GetCondition(enginev1alpha1.TypeRecovery), di.GetCondition(xpv2.TypeSynced)
		if now := fmt.Sprintf("Recovery %s %s; Synced %s %s", rec.Status, rec.Reason, sy.Status, sy.Message); now != seen {
			t.Logf("%s after %s: %s", di.Name, time.Since(start).Round(time.Millisecond), now)
			seen = now
		}
		r, a := di.GetCondition(xpv2.TypeReady), di.GetCondition(also)
		return r.Status == corev1.ConditionTrue && a.Status == corev1.ConditionTrue,
			fmt.Sprintf("Ready %s %s; %s %s %s; Synced %s; Recovery %s", r.Status, r.Message, also, a.Status, a.Message,
				sy.Message, rec.Message)
	})
}

func secretValue(t *testing.T, env *testenv.Env, ns, name, key string) string {
	t.Helper()
	s := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		t.Fatal(err)
	}
	return string(s.Data[key])
}
