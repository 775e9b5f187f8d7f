package backup_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/backup"
	backupstorectrl "github.com/dbaas-io/dbaas/internal/controller/backupstore"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/backuptest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// timeout bounds every wait: generous, because the machine is shared and
// loaded (a restore took 3 minutes to be Ready at a load of 25 on 2 cores);
// a wait that is met returns at once.
const timeout = 8 * time.Minute

// TestBackups takes backups of one instance through the real controllers
// (a store Ready listing the stanza, a full and an incr backup, two asked
// at once, one deleted and expired; then the store's faults, storeFaults):
// a real API server, PostgreSQL 15 on the local backend, pgBackRest and
// an S3 store (versitygw over TLS). One instance serves every check.
func TestBackups(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	store := s3test.Start(t)
	ctx := context.Background()
	c := env.Client
	const ns, name = "backups", "db"

	backuptest.Fixture{NS: ns, Instance: name, VMs: []string{"vm"}, Prefix: "/test", Passphrase: "a passphrase of this test only"}.Create(t, env, store)
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{
		config.Setup, virtualmachine.Setup, databaseinstance.Setup, backupstorectrl.Setup, backup.Setup,
	}})

	di := backuptest.ReadyAndArchiving(t, env, timeout, ns, name)
	stanza := backuptest.PrimaryStanza(t, env, di)
	writeRows(t, env, di, stanza.Instance)

	bs := &v1alpha1.BackupStore{}
	wait.For(t, timeout, "the BackupStore Ready, listing the instance's stanza", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "s3"}, bs); err != nil {
			return false, err.Error()
		}
		r := bs.GetCondition(xpv2.TypeReady)
		return r.Status == corev1.ConditionTrue && strings.Contains(strings.Join(bs.Status.AtProvider.Stanzas, ","), ns+"."+name) && bs.Status.AtProvider.LastChecked != nil,
			fmt.Sprintf("Ready %s %s; stanzas %v", r.Status, r.Message, bs.Status.AtProvider.Stanzas)
	})

	full := completed(t, env, newBackup(t, env, ns, "full-1", name, v1alpha1.BackupFull))
	if full.Status.AtProvider.Type != v1alpha1.BackupFull || *full.Status.AtProvider.SizeBytes <= 0 || *full.Status.AtProvider.RepoSizeBytes <= 0 ||
		full.Status.AtProvider.StartLSN == "" || full.Status.AtProvider.StopLSN == "" || full.Status.AtProvider.Duration == nil || full.Status.AtProvider.Member != "vm" {
		t.Errorf("full backup's status: %+v", full.Status.AtProvider)
	}
	incr := completed(t, env, newBackup(t, env, ns, "incr-1", name, v1alpha1.BackupIncr))
	if incr.Status.AtProvider.Type != v1alpha1.BackupIncr || !strings.HasPrefix(incr.Status.AtProvider.Label, full.Status.AtProvider.Label+"_") {
		t.Errorf("incr backup: type %s label %s, want incr on %s", incr.Status.AtProvider.Type, incr.Status.AtProvider.Label, full.Status.AtProvider.Label)
	}

	// Two asked at once: pgBackRest's stanza lock lets one run, and the
	// other waits for it; neither fails.
	a := newBackup(t, env, ns, "full-2", name, v1alpha1.BackupFull)
	b := newBackup(t, env, ns, "incr-2", name, v1alpha1.BackupIncr)
	a, b = completed(t, env, a), completed(t, env, b)
	if a.Status.AtProvider.Label == b.Status.AtProvider.Label {
		t.Errorf("two Backups share label %s", a.Status.AtProvider.Label)
	}

	// Deleting a Backup (the default policies include Delete) expires it.
	// pgBackRest expires a backup with those built on it, so the one
	// deleted is an incremental backup nothing newer is built on; which one
	// that is depends on the order the two asked at once ran in.
	info, err := stanza.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prior := map[string]bool{}
	for _, bk := range info.Backups {
		prior[bk.Prior] = true
	}
	gone, kept := incr, []*v1alpha1.Backup{full, a, b}
	if prior[incr.Status.AtProvider.Label] {
		gone, kept = b, []*v1alpha1.Backup{full, a, incr}
	}
	label := gone.Status.AtProvider.Label
	if err := c.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, gone.Name+" deleted and expired from the store", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(gone), &v1alpha1.Backup{})
		if err == nil {
			return false, "the Backup is still there"
		}
		info, ierr := stanza.Info(ctx)
		if ierr != nil {
			return false, ierr.Error()
		}
		for _, bk := range info.Backups {
			if bk.Label == label {
				return false, "pgbackrest info still lists " + label
			}
		}
		return true, ""
	})
	if info, err = stanza.Info(ctx); err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, bk := range info.Backups {
		labels = append(labels, bk.Label)
	}
	for _, keep := range kept {
		if !strings.Contains(strings.Join(labels, ","), keep.Status.AtProvider.Label) {
			t.Errorf("backup %s (%s) was expired too; the store lists %v", keep.Name, keep.Status.AtProvider.Label, labels)
		}
	}

	storeFaults(t, env, store, di, stanza)
	nothingOutlives(t, env, store, di, stanza)
}

// writeRows gives the backups something to hold.
func writeRows(t *testing.T, env *testenv.Env, di *enginev1alpha1.DatabaseInstance, i *postgresql.Instance) {
	t.Helper()
	ctx := context.Background()
	pw := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: di.Namespace, Name: di.Name + "-admin"}, pw); err != nil {
		t.Fatal(err)
	}
	conn, err := i.ConnectAdmin(ctx, string(pw.Data["password"]))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE orders AS SELECT n, md5(n::text) AS v FROM generate_series(1, 20000) n"); err != nil {
		t.Fatal(err)
	}
}

func newBackup(t *testing.T, env *testenv.Env, ns, name, instance string, typ v1alpha1.BackupType) *v1alpha1.Backup {
	t.Helper()
	b := &v1alpha1.Backup{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.BackupSpec{ForProvider: v1alpha1.BackupParameters{Instance: instance, Type: typ}},
	}
	if err := env.Client.Create(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// completed waits for b to complete, with its label as its external name.
func completed(t *testing.T, env *testenv.Env, b *v1alpha1.Backup) *v1alpha1.Backup {
	t.Helper()
	wait.For(t, timeout, "Backup "+b.Name+" Completed", func() (bool, string) {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(b), b); err != nil {
			return false, err.Error()
		}
		at := b.Status.AtProvider
		if at.Phase == v1alpha1.BackupFailed {
			t.Fatalf("Backup %s failed: %s", b.Name, at.Message)
		}
		return at.Phase == v1alpha1.BackupCompleted && at.Label != "" && meta.GetExternalName(b) == at.Label &&
				b.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue,
			fmt.Sprintf("phase %s %s; Synced %s", at.Phase, at.Message, b.GetCondition(xpv2.TypeSynced).Message)
	})
	return b
}
