package plugin_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// testBackup creates a Backup with kubectl dbaas backup, then another with
// --wait, which ends when the Backup is Completed (the test writes its
// status, as the provider would) and fails when it is Failed. Its clock is
// fixed: the Backups are named after the time.
func testBackup(t *testing.T, c *testCluster) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 18, 59, 58, 0, time.UTC)
	stamp := now.UTC().Format("20060102-150405")
	args := []string{"backup", "orders"}
	compareGolden(t, "backup", c.run(t, now, args...).golden(args))
	full := &opsv1alpha1.Backup{}
	if err := c.env.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "orders-full-" + stamp}, full); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(opsv1alpha1.BackupParameters{Instance: "orders", Type: opsv1alpha1.BackupFull, Method: opsv1alpha1.BackupFromPrimary}, full.Spec.ForProvider); diff != "" {
		t.Errorf("the Backup's spec.forProvider: -want, +got:\n%s", diff)
	}

	for _, tc := range []struct {
		golden, typ string
		at          opsv1alpha1.BackupObservation
	}{
		{"backup-wait", "incr", opsv1alpha1.BackupObservation{
			Phase: opsv1alpha1.BackupCompleted, Type: opsv1alpha1.BackupIncr, Label: "20261207-010003F_20261207-190000I", SizeBytes: ptr.To[int64](3 << 20),
			StartTime: &metav1.Time{Time: time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)}, StopTime: &metav1.Time{Time: time.Date(2026, 12, 7, 19, 0, 9, 0, time.UTC)},
		}},
		{"error-backup-failed", "diff", opsv1alpha1.BackupObservation{
			Phase: opsv1alpha1.BackupFailed, Message: "pgbackrest backup exited with 55: ERROR: [055]: unable to load info file; cannot reach ClusterBackupStore platform-backups: NoSuchBucket",
		}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			args := []string{"backup", "orders", "--type", tc.typ, "--wait"}
			done := make(chan ran, 1)
			go func() { done <- c.run(t, now, args...) }()
			b := &opsv1alpha1.Backup{}
			key := client.ObjectKey{Namespace: "team-a", Name: "orders-" + tc.typ + "-" + stamp}
			wait.For(t, time.Minute, "Backup "+key.Name+" created", func() (bool, string) {
				err := c.env.Client.Get(ctx, key, b)
				return err == nil, ""
			})
			b.Status.AtProvider = tc.at
			if err := c.env.Client.Status().Update(ctx, b); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, tc.golden, (<-done).golden(args))
		})
	}
}

// testRestore restores orders with kubectl dbaas restore and checks what
// it created: a platform Database restoring orders to the time, with
// orders' engine, version, flavor, tier, SKU, storage and environment, and
// nothing that would share a Secret with it; then that the name is not
// taken twice.
func testRestore(t *testing.T, c *testCluster, now time.Time) {
	ctx := context.Background()
	args := []string{"restore", "orders", "--to-time", "2026-12-07T11:00:00.5Z", "--into", "orders-restored"}
	compareGolden(t, "restore", c.run(t, now, args...).golden(args))
	d := &unstructured.Unstructured{}
	d.SetAPIVersion("platform.dbaas.io/v1alpha1")
	d.SetKind("Database")
	if err := c.env.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "orders-restored"}, d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"engine": "postgresql", "version": "15", "flavor": "postgresql", "tier": "standard", "sku": "small", "environment": "local",
		"storageGB": int64(10),
		"restore":   map[string]any{"from": "orders", "toTime": "2026-12-07T11:00:00.5Z"},
	}
	if diff := cmp.Diff(want, d.Object["spec"]); diff != "" {
		t.Errorf("the restored Database's spec: -want, +got:\n%s", diff)
	}
	// Nothing else is made: the function composes the rest.
	in := &enginev1alpha1.DatabaseInstance{}
	if err := c.env.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "orders-restored"}, in); err == nil {
		t.Errorf("restore made a DatabaseInstance of its own: %+v", in.Spec.ForProvider)
	}
	compareGolden(t, "error-restore-exists", c.run(t, now, args...).golden(args))
}
