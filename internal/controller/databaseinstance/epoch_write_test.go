package databaseinstance

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// staleInstance is a replicated instance whose primary vm-0 stopped
// answering, at epoch 3, as a cache may still hold it.
func staleInstance(ns string) *v1alpha1.DatabaseInstance {
	on := true
	return &v1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pg", UID: "uid-1", ResourceVersion: "10", Generation: 1,
			Annotations: map[string]string{
				AnnotationEpoch:            `{"epoch":3,"primary":"vm-0"}`,
				AnnotationPrimaryDownSince: "2026-12-07T21:00:00.5Z",
				annotationSyncMembers:      "vm-1",
			}},
		Spec: v1alpha1.DatabaseInstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: pcRef(ns)},
			ForProvider: v1alpha1.DatabaseInstanceParameters{
				Engine: v1alpha1.EnginePostgreSQL, Version: "15", StorageGB: 1,
				Topology: v1alpha1.TopologyPrimary, Replicas: ptr(int32(2)),
				VirtualMachineRefs: []xpv2.NamespacedReference{{Name: "vm-0"}, {Name: "vm-1"}, {Name: "vm-2"}},
				VirtualMachines:    []string{"vm-0", "vm-1", "vm-2"},
				Failover:           &v1alpha1.FailoverParameters{Enabled: &on, After: &metav1.Duration{Duration: 2 * time.Second}},
				AdminUser:          "admin",
				AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{
					LocalSecretReference: xpv2.LocalSecretReference{Name: "pg-admin"}, Key: "password"},
				AutoGeneratePassword: true,
			},
		},
		Status: v1alpha1.DatabaseInstanceStatus{AtProvider: v1alpha1.DatabaseInstanceObservation{
			Primary: "vm-0",
			Members: []v1alpha1.Member{{VirtualMachine: "vm-0", Role: "primary"}, {VirtualMachine: "vm-1", Role: "replica"}},
		}},
	}
}

// TestSameGrounds: a failover decided on a cached read is written on the
// instance read afresh only when what differs is what the decision does
// not read.
func TestSameGrounds(t *testing.T) {
	read := staleInstance("ns")
	decided := policy(read)
	cases := map[string]struct {
		live func(*v1alpha1.DatabaseInstance)
		want bool
	}{
		"OnlyTheResourceVersion": {live: func(o *v1alpha1.DatabaseInstance) { o.ResourceVersion = "11" }, want: true},
		"TheStatusThePassBeforeWrote": {live: func(o *v1alpha1.DatabaseInstance) {
			o.ResourceVersion = "12"
			o.Status.AtProvider.Members[1].LSN = "0/3000000"
			o.Status.AtProvider.Members[1].Running = true
			o.SetConditions(xpv2.Available())
		}, want: true},
		"ManagedFields": {live: func(o *v1alpha1.DatabaseInstance) {
			o.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "other"}}
		}, want: true},
		"AnotherEpochRecorded": {live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationEpoch] = `{"epoch":4,"primary":"vm-2","failover":true}`
			o.Spec.ForProvider.Primary = "vm-2"
		}, want: false},
		"WaitEnded": {live: func(o *v1alpha1.DatabaseInstance) { delete(o.Annotations, AnnotationPrimaryDownSince) }, want: false},
		"WaitStartedAgain": {live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationPrimaryDownSince] = "2026-12-07T21:00:09Z"
		}, want: false},
		"OtherSyncMembers":  {live: func(o *v1alpha1.DatabaseInstance) { o.Annotations[annotationSyncMembers] = "vm-2" }, want: false},
		"AnotherAnnotation": {live: func(o *v1alpha1.DatabaseInstance) { o.Annotations["crossplane.io/paused"] = "true" }, want: false},
		"FailoverDisabled": {live: func(o *v1alpha1.DatabaseInstance) {
			off := false
			o.Spec.ForProvider.Failover.Enabled = &off
			o.Generation = 2
		}, want: false},
		"SpecChangedGenerationNot": {live: func(o *v1alpha1.DatabaseInstance) { o.Spec.ForProvider.Primary = "vm-1" }, want: false},
		"Deleted": {live: func(o *v1alpha1.DatabaseInstance) {
			now := metav1.Now()
			o.DeletionTimestamp = &now
		}, want: false},
		"Recreated": {live: func(o *v1alpha1.DatabaseInstance) { o.UID = "uid-2" }, want: false},
		"WatchdogSeenSince": {live: func(o *v1alpha1.DatabaseInstance) {
			o.Status.AtProvider.Members[0].Watchdog = true
		}, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			live := read.DeepCopy()
			tc.live(live)
			if got := sameGrounds(read, live, decided); got != tc.want {
				t.Errorf("sameGrounds: want %t, got %t", tc.want, got)
			}
		})
	}
	t.Run("NoUID", func(t *testing.T) {
		r := read.DeepCopy()
		r.UID = ""
		if sameGrounds(r, r.DeepCopy(), decided) {
			t.Error("an instance without a UID is never the same one")
		}
	})
}

// TestEpochWriteFromStaleRead hands the failover's epoch write the instance
// as a cache may still hold it, before the status write of the pass
// before: the write lands on the instance read afresh, where it was lost
// with "the object has been modified" (and the pass with it). Another
// provider's epoch, or a spec changed since, still refuses it, and the
// write stays conditional: two writers of the same epoch on a fresh read
// get one success.
func TestEpochWriteFromStaleRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	const ns = "di-stale-epoch"
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	// fresh makes an instance named name and returns it as read then,
	// and writes a status on it afterwards, as the pass before would.
	fresh := func(t *testing.T, name string) *v1alpha1.DatabaseInstance {
		t.Helper()
		want := staleInstance(ns)
		want.Name, want.UID, want.ResourceVersion, want.Generation = name, "", "", 0
		st := want.Status
		if err := c.Create(ctx, want); err != nil {
			t.Fatal(err)
		}
		want.Status = st
		if err := c.Status().Update(ctx, want); err != nil {
			t.Fatal(err)
		}
		read := want.DeepCopy()
		if err := testenv.MutateStatus(ctx, c, want, func(o *v1alpha1.DatabaseInstance) {
			o.Status.AtProvider.Members[1].LSN = "0/3000000"
		}); err != nil {
			t.Fatal(err)
		}
		return read
	}
	rec := epochRecord{Epoch: 4, Primary: "vm-1", Failover: true, Message: "vm-0 stopped answering"}
	external := func(read *v1alpha1.DatabaseInstance) *external {
		return &external{kube: c, live: c, rec: epochRecord{Epoch: 3, Primary: "vm-0"}, decidedOn: policy(read)}
	}
	epochOn := func(t *testing.T, name string) (epochRecord, string) {
		t.Helper()
		got := &v1alpha1.DatabaseInstance{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, got); err != nil {
			t.Fatal(err)
		}
		var r epochRecord
		if err := json.Unmarshal([]byte(got.GetAnnotations()[AnnotationEpoch]), &r); err != nil {
			t.Fatal(err)
		}
		if _, ok := got.GetAnnotations()[AnnotationPrimaryDownSince]; ok && r.Epoch == rec.Epoch {
			t.Errorf("epoch %d recorded with the wait still on", r.Epoch)
		}
		return r, got.Spec.ForProvider.Primary
	}

	t.Run("StatusWrittenSince", func(t *testing.T) {
		cr := fresh(t, "status-since")
		// This pass's status, which the reconciler writes at its end.
		cr.Status.AtProvider.Primary = "vm-1"
		if err := external(cr).recordFailover(ctx, cr, rec); err != nil {
			t.Fatalf("recordFailover on a read the pass before's status write made stale: %v", err)
		}
		if r, p := epochOn(t, "status-since"); r.Epoch != 4 || r.Primary != "vm-1" || p != "vm-1" {
			t.Errorf("want epoch 4 naming vm-1 recorded and vm-1 in spec.forProvider.primary, got epoch %d naming %q, primary %q", r.Epoch, r.Primary, p)
		}
		if cr.Status.AtProvider.Primary != "vm-1" {
			t.Errorf("this pass's status was not kept: status primary %q", cr.Status.AtProvider.Primary)
		}
		// The object handed back is the one written: the reconciler's
		// status write at the end of the pass is not refused in turn.
		if err := c.Status().Update(ctx, cr); err != nil {
			t.Errorf("the status write after the epoch write: %v", err)
		}
	})

	t.Run("AnotherProviderRecordedFirst", func(t *testing.T) {
		cr := fresh(t, "other-first")
		other := cr.DeepCopy()
		if err := testenv.Mutate(ctx, c, other, func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationEpoch] = `{"epoch":4,"primary":"vm-2","failover":true}`
			delete(o.Annotations, AnnotationPrimaryDownSince)
			o.Spec.ForProvider.Primary = "vm-2"
		}); err != nil {
			t.Fatal(err)
		}
		err := external(cr).recordFailover(ctx, cr, rec)
		if !kerrors.IsConflict(err) {
			t.Fatalf("want the write refused as a conflict, got %v", err)
		}
		if r, p := epochOn(t, "other-first"); r.Primary != "vm-2" || p != "vm-2" {
			t.Errorf("the other provider's epoch was overwritten: epoch %d naming %q, primary %q", r.Epoch, r.Primary, p)
		}
	})

	t.Run("SpecChangedSince", func(t *testing.T) {
		cr := fresh(t, "spec-since")
		changed := cr.DeepCopy()
		if err := testenv.Mutate(ctx, c, changed, func(o *v1alpha1.DatabaseInstance) {
			off := false
			o.Spec.ForProvider.Failover.Enabled = &off
		}); err != nil {
			t.Fatal(err)
		}
		if err := external(cr).recordFailover(ctx, cr, rec); !kerrors.IsConflict(err) {
			t.Fatalf("want the write refused as a conflict, got %v", err)
		}
		if r, _ := epochOn(t, "spec-since"); r.Epoch != 3 {
			t.Errorf("epoch %d recorded after failover was turned off", r.Epoch)
		}
	})

	t.Run("TwoWritersOneEpoch", func(t *testing.T) {
		cr := fresh(t, "two-writers")
		if err := c.Get(ctx, client.ObjectKeyFromObject(cr), cr); err != nil {
			t.Fatal(err)
		}
		a, b := cr.DeepCopy(), cr.DeepCopy()
		errA := external(a).recordFailover(ctx, a, rec)
		recB := rec
		recB.Primary = "vm-2"
		errB := external(b).recordFailover(ctx, b, recB)
		if errA != nil || !kerrors.IsConflict(errB) {
			t.Fatalf("want the first write to succeed and the second refused, got %v and %v", errA, errB)
		}
		if r, p := epochOn(t, "two-writers"); r.Primary != "vm-1" || p != "vm-1" {
			t.Errorf("want the first writer's epoch, got epoch %d naming %q, primary %q", r.Epoch, r.Primary, p)
		}
	})
}
