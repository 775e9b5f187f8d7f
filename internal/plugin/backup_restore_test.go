package plugin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
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
// it created: a DatabaseInstance restored from orders' backups to the
// time, on copies of orders' machines, with an admin Secret and a
// connection secret of its own; then that the name is not taken twice.
func testRestore(t *testing.T, c *testCluster, now time.Time) {
	ctx := context.Background()
	args := []string{"restore", "orders", "--to-time", "2026-12-07T11:00:00.5Z", "--into", "orders-restored"}
	compareGolden(t, "restore", c.run(t, now, args...).golden(args))
	in := &enginev1alpha1.DatabaseInstance{}
	if err := c.env.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "orders-restored"}, in); err != nil {
		t.Fatal(err)
	}
	p := in.Spec.ForProvider
	want := &enginev1alpha1.BootstrapParameters{Recovery: enginev1alpha1.RecoveryParameters{
		Source: &enginev1alpha1.RecoverySource{Instance: "orders", Store: "platform-backups", StoreKind: enginev1alpha1.StoreKindClusterBackupStore},
		Target: enginev1alpha1.RecoveryTarget{Time: "2026-12-07T11:00:00.5Z"},
	}}
	if diff := cmp.Diff(want, p.Bootstrap); diff != "" {
		t.Errorf("the restored instance's bootstrap: -want, +got:\n%s", diff)
	}
	var refs []string
	for _, r := range p.VirtualMachineRefs {
		refs = append(refs, r.Name)
	}
	if diff := cmp.Diff([]string{"orders-restored-0", "orders-restored-1"}, refs); diff != "" || len(p.VirtualMachines) != 0 {
		t.Errorf("the restored instance's machines: -want, +got:\n%s (virtualMachines %v)", diff, p.VirtualMachines)
	}
	if p.AdminPasswordSecretRef.Name != "orders-restored-admin" || !p.AutoGeneratePassword || p.Primary != "" ||
		in.Spec.WriteConnectionSecretToReference == nil || in.Spec.WriteConnectionSecretToReference.Name != "orders-restored-connection" {
		t.Errorf("the restored instance shares a Secret or a setting with its source: %+v, connection %+v", p, in.Spec.WriteConnectionSecretToReference)
	}
	if p.Engine != "postgresql" || p.Version != "15" || p.StorageGB != 10 || p.Backup == nil || p.Backup.Store != "platform-backups" {
		t.Errorf("the restored instance does not copy its source's engine, storage and store: %+v", p)
	}
	for _, n := range []string{"orders-restored-0", "orders-restored-1"} {
		vm := &computev1alpha1.VirtualMachine{}
		if err := c.env.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: n}, vm); err != nil {
			t.Fatal(err)
		}
		if vm.Spec.ForProvider.CPU != 1 || vm.Spec.ForProvider.MemoryMiB != 1024 || !strings.HasPrefix(vm.Annotations["dbaas.io/restored-from"], "team-a/orders at ") {
			t.Errorf("VirtualMachine %s: want a copy of orders' machine, got %+v %v", n, vm.Spec.ForProvider, vm.Annotations)
		}
	}
	compareGolden(t, "error-restore-exists", c.run(t, now, args...).golden(args))
}
