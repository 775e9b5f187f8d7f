package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// backupEnvironment is an environment of the catalog like local, whose
// tiers' backup policies are composed: it names a posix ClusterBackupStore
// below the local environment's backup root. Both are the test's own, in
// an EnvironmentConfig of its own merged into the catalog, so that the
// local environment keeps meaning what the examples say (no store, and a
// warning), and removed when the test ends. It returns the environment's
// name and the store's repository directory.
func backupEnvironment(t *testing.T, name string) (string, string) {
	t.Helper()
	ctx := context.Background()
	store := &opsv1alpha1.ClusterBackupStore{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: opsv1alpha1.ClusterBackupStoreSpec{ForProvider: opsv1alpha1.ClusterBackupStoreParameters{
			Posix: &opsv1alpha1.PosixStore{Directory: name},
		}},
	}
	repo, err := backupstore.PosixPath(env.BackupRoot, backupstore.ClusterDir, name)
	if err != nil {
		t.Fatal(err)
	}
	ec := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.crossplane.io/v1beta1",
		"kind":       "EnvironmentConfig",
		"metadata": map[string]any{
			"name":   "e2e-" + name,
			"labels": map[string]any{"dbaas.io/catalog": "default"},
		},
		"data": map[string]any{
			"environments": []any{map[string]any{
				"name":              name,
				"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": "local"},
				"backupStore":       name,
			}},
		},
	}}
	for _, o := range []client.Object{store, ec} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatalf("cannot create the backup environment's %s: %v", o.GetObjectKind().GroupVersionKind().Kind, err)
		}
	}
	t.Cleanup(func() {
		for _, o := range []client.Object{ec, store} {
			if err := env.Client.Delete(context.Background(), o); err != nil && !kerrors.IsNotFound(err) {
				t.Errorf("cannot delete %s: %v", o.GetName(), err)
			}
		}
		// The repository is the test's: the store's deletion leaves it,
		// as it leaves a user's.
		if !t.Failed() {
			_ = os.RemoveAll(repo)
		}
	})
	return name, repo
}

// assertFirstBackup follows the backup policy the function composed for
// the Database name of namespace ns, in an environment with a store, to
// its first backup: the instance archives into the store, the schedule
// <name>-backup exists, and its immediate backup completes and is in the
// repository. It returns the instance as it is then.
func assertFirstBackup(t *testing.T, ns, name, store, repo string) *enginev1alpha1.DatabaseInstance {
	t.Helper()
	ctx := context.Background()
	c := env.Client

	insts := &enginev1alpha1.DatabaseInstanceList{}
	if err := c.List(ctx, insts, client.InNamespace(ns)); err != nil || len(insts.Items) != 1 {
		t.Fatalf("want the Database's one DatabaseInstance in %s: %d, %v", ns, len(insts.Items), err)
	}
	inst := &insts.Items[0]
	if b := inst.Spec.ForProvider.Backup; b == nil || b.Store != store || b.StoreKind != enginev1alpha1.StoreKindClusterBackupStore {
		t.Fatalf("spec.forProvider.backup: want ClusterBackupStore %s, composed from the environment, got %+v", store, b)
	}

	sched := &opsv1alpha1.BackupSchedule{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name + "-backup"}, sched); err != nil {
		t.Fatalf("the composed BackupSchedule %s-backup: %v", name, err)
	}
	if sched.Spec.Instance != inst.Name || !sched.Spec.Immediate || sched.Spec.Type != opsv1alpha1.BackupFull {
		t.Errorf("BackupSchedule %s: want an immediate full backup of %s, got %+v", sched.Name, inst.Name, sched.Spec)
	}

	// The schedule's first backup waits for WAL archiving, then runs.
	var done opsv1alpha1.Backup
	wait.For(t, 8*time.Minute, "the schedule's first Backup Completed and Ready", func() (bool, string) {
		l := &opsv1alpha1.BackupList{}
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{opsv1alpha1.LabelBackupSchedule: sched.Name}); err != nil {
			return false, err.Error()
		}
		state := fmt.Sprintf("%d Backups", len(l.Items))
		for _, b := range l.Items {
			r := b.GetCondition(xpv2.TypeReady)
			state += fmt.Sprintf("; %s %s Ready=%s %s %s", b.Name, b.Status.AtProvider.Phase, r.Status, r.Message, b.Status.AtProvider.Message)
			if b.Status.AtProvider.Phase == opsv1alpha1.BackupFailed {
				t.Fatalf("Backup %s failed: %s", b.Name, b.Status.AtProvider.Message)
			}
			if b.Status.AtProvider.Phase == opsv1alpha1.BackupCompleted && r.Status == corev1.ConditionTrue && b.Status.AtProvider.Label != "" {
				done = b
				return true, ""
			}
		}
		return false, state
	})
	stanza, err := backupstore.Stanza(ns, inst.Name)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(repo, "backup", stanza, done.Status.AtProvider.Label, "backup.manifest")
	if _, err := os.Stat(manifest); err != nil {
		t.Errorf("Backup %s is Completed, but its label %s is not in the store: %v", done.Name, done.Status.AtProvider.Label, err)
	}
	if d := done.Status.AtProvider.Duration; d != nil {
		t.Logf("the first scheduled backup %s (%s) took %s in pgBackRest", done.Name, done.Status.AtProvider.Label, d.Duration)
	}

	// The instance reports archiving healthy, with the last segment it
	// archived. (The rest of the recovery window comes from pgbackrest
	// info, asked at most once a minute per instance: this test does not
	// wait half a minute for it.)
	wait.For(t, 3*time.Minute, "WALArchiving=True with the last archived segment", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(inst), inst); err != nil {
			return false, err.Error()
		}
		a := inst.GetCondition(enginev1alpha1.TypeWALArchiving)
		w := inst.Status.AtProvider.RecoveryWindow
		return a.Status == corev1.ConditionTrue && w != nil && w.LastArchivedWAL != "",
			fmt.Sprintf("WALArchiving=%s %s; recoveryWindow %+v", a.Status, a.Message, w)
	})
	return inst
}
