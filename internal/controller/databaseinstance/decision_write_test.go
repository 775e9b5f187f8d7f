package databaseinstance

import (
	"context"
	"encoding/json"
	"strings"
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

// answeringPrimary shapes staleInstance into an instance whose primary
// answered when last observed, vm-1 counting for its commits, and whose
// failover wait has not started: the read a failover wait starts from.
func answeringPrimary(o *v1alpha1.DatabaseInstance) {
	delete(o.Annotations, AnnotationPrimaryDownSince)
	delete(o.Annotations, annotationSyncMembers)
	o.Status.AtProvider.Members[0].Running = true
	o.Status.AtProvider.Members[1].SyncState = "sync"
}

// TestSameGrounds: a record decided on a cached read is written on the
// instance read afresh only when what differs is what the decision does
// not read: for every record the metadata (the epoch, the wait) and the
// spec, and what each read of the status.
func TestSameGrounds(t *testing.T) {
	read := staleInstance("ns")
	failover, err := failoverRecord(epochRecord{Epoch: 4, Primary: "vm-1", Failover: true}, policy(read))
	if err != nil {
		t.Fatal(err)
	}
	switchover, err := switchoverRecord(epochRecord{Epoch: 4, Primary: "vm-1"})
	if err != nil {
		t.Fatal(err)
	}
	answering := read.DeepCopy()
	answeringPrimary(answering)
	down := downRecord("vm-0", time.Now(), lastSeen(answering, "vm-0"))
	// passBefore is the status write of the pass before, the usual change
	// a cached read misses: LSNs, whether members run, conditions.
	passBefore := func(o *v1alpha1.DatabaseInstance) {
		o.ResourceVersion = "12"
		o.Status.AtProvider.Members[1].LSN = "0/3000000"
		o.Status.AtProvider.Members[1].Running = true
		o.SetConditions(xpv2.Available())
	}
	cases := map[string]struct {
		read *v1alpha1.DatabaseInstance
		d    decisionRecord
		live func(*v1alpha1.DatabaseInstance)
		want bool
	}{
		"Failover/OnlyTheResourceVersion":      {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) { o.ResourceVersion = "11" }, want: true},
		"Failover/TheStatusThePassBeforeWrote": {read: read, d: failover, live: passBefore, want: true},
		"Failover/ManagedFields": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) {
			o.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "other"}}
		}, want: true},
		"Failover/AnotherEpochRecorded": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationEpoch] = `{"epoch":4,"primary":"vm-2","failover":true}`
			o.Spec.ForProvider.Primary = "vm-2"
		}, want: false},
		"Failover/WaitEnded": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) { delete(o.Annotations, AnnotationPrimaryDownSince) }, want: false},
		"Failover/WaitStartedAgain": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationPrimaryDownSince] = "2026-12-07T21:00:09Z"
		}, want: false},
		"Failover/OtherSyncMembers":  {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) { o.Annotations[annotationSyncMembers] = "vm-2" }, want: false},
		"Failover/AnotherAnnotation": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) { o.Annotations["crossplane.io/paused"] = "true" }, want: false},
		"Failover/FailoverDisabled": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) {
			off := false
			o.Spec.ForProvider.Failover.Enabled = &off
			o.Generation = 2
		}, want: false},
		"Failover/SpecChangedGenerationNot": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) { o.Spec.ForProvider.Primary = "vm-1" }, want: false},
		"Failover/Deleted": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) {
			now := metav1.Now()
			o.DeletionTimestamp = &now
		}, want: false},
		"Failover/Recreated": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) { o.UID = "uid-2" }, want: false},
		"Failover/WatchdogSeenSince": {read: read, d: failover, live: func(o *v1alpha1.DatabaseInstance) {
			o.Status.AtProvider.Members[0].Watchdog = true
		}, want: false},

		"Down/TheStatusThePassBeforeWrote": {read: answering, d: down, live: passBefore, want: true},
		"Down/PrimaryDownWhenLastObserved": {read: answering, d: down, live: func(o *v1alpha1.DatabaseInstance) {
			o.Status.AtProvider.Members[0].Running = false
		}, want: false},
		"Down/OtherSyncMembers": {read: answering, d: down, live: func(o *v1alpha1.DatabaseInstance) {
			o.Status.AtProvider.Members[1].SyncState = "async"
		}, want: false},
		"Down/WaitStartedBySomeoneElse": {read: answering, d: down, live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationPrimaryDownSince] = "2026-12-07T21:00:09Z"
		}, want: false},
		"Down/FailoverDisabled": {read: answering, d: down, live: func(o *v1alpha1.DatabaseInstance) {
			off := false
			o.Spec.ForProvider.Failover.Enabled = &off
		}, want: false},

		// Ending the wait reads nothing of the status: the look asked the
		// primary itself.
		"Answers/TheStatusThePassBeforeWrote": {read: read, d: answersRecord(), live: func(o *v1alpha1.DatabaseInstance) {
			passBefore(o)
			o.Status.AtProvider.Members[0].Running = false
		}, want: true},
		"Answers/WaitStartedAgain": {read: read, d: answersRecord(), live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationPrimaryDownSince] = "2026-12-07T21:00:09Z"
		}, want: false},
		"Answers/FailedOverSince": {read: read, d: answersRecord(), live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationEpoch] = `{"epoch":4,"primary":"vm-2","failover":true}`
			delete(o.Annotations, AnnotationPrimaryDownSince)
			o.Spec.ForProvider.Primary = "vm-2"
		}, want: false},

		"Switchover/TheStatusThePassBeforeWrote": {read: read, d: switchover, live: passBefore, want: true},
		"Switchover/AnotherEpochRecorded": {read: read, d: switchover, live: func(o *v1alpha1.DatabaseInstance) {
			o.Annotations[AnnotationEpoch] = `{"epoch":4,"primary":"vm-2"}`
		}, want: false},
		"Switchover/AnotherPrimaryAskedFor": {read: read, d: switchover, live: func(o *v1alpha1.DatabaseInstance) {
			o.Spec.ForProvider.Primary = "vm-2"
		}, want: false},

		"RollOver/TheStatusThePassBeforeWrote": {read: read, d: rollOverRecord("vm-1"), live: passBefore, want: true},
		"RollOver/SettingsChangedSince": {read: read, d: rollOverRecord("vm-1"), live: func(o *v1alpha1.DatabaseInstance) {
			o.Spec.ForProvider.Parameters = map[string]string{"shared_buffers": "256MB"}
		}, want: false},
		"RollOver/Recreated": {read: read, d: rollOverRecord("vm-1"), live: func(o *v1alpha1.DatabaseInstance) { o.UID = "uid-2" }, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			live := tc.read.DeepCopy()
			tc.live(live)
			if got := sameGrounds(tc.read, live, tc.d); got != tc.want {
				t.Errorf("sameGrounds: want %t, got %t", tc.want, got)
			}
		})
	}
	t.Run("NoUID", func(t *testing.T) {
		r := read.DeepCopy()
		r.UID = ""
		if sameGrounds(r, r.DeepCopy(), failover) {
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
	fresh := staleReads(ctx, c, ns)
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
		cr := fresh(t, "status-since", nil)
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
		cr := fresh(t, "other-first", nil)
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
		cr := fresh(t, "spec-since", nil)
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
		cr := fresh(t, "two-writers", nil)
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

// TestRecordsWrittenFromStaleRead hands each of the other records a pass
// writes from a decision the instance as a cache may still hold it,
// before the status write of the pass before: the failover wait's start
// and end, a switchover's epoch, a rolling restart's switch to a replica.
// Without the fresh read the write is refused ("the object has been
// modified"), with it the record lands on the instance read afresh, and a
// spec changed since still refuses it.
func TestRecordsWrittenFromStaleRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	const ns = "di-stale-records"
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	fresh := staleReads(ctx, c, ns)
	records := map[string]struct {
		// shape makes staleInstance the instance the decision read.
		shape func(*v1alpha1.DatabaseInstance)
		// primary is the member the pass takes for the primary.
		primary int
		write   func(*external, *v1alpha1.DatabaseInstance) error
		// recorded reports whether the instance holds the record.
		recorded func(*v1alpha1.DatabaseInstance) bool
	}{
		"PrimaryDownSince": {
			shape: answeringPrimary,
			write: func(e *external, cr *v1alpha1.DatabaseInstance) error {
				now := time.Now()
				_, _, err := e.trackPrimary(ctx, cr, false, true, sighting{}, now, now)
				return err
			},
			recorded: func(o *v1alpha1.DatabaseInstance) bool {
				_, ok := o.GetAnnotations()[AnnotationPrimaryDownSince]
				return ok && o.GetAnnotations()[annotationSyncMembers] == "vm-1"
			},
		},
		"PrimaryAnswers": {
			write: func(e *external, cr *v1alpha1.DatabaseInstance) error {
				now := time.Now()
				_, _, err := e.trackPrimary(ctx, cr, true, true, sighting{}, now, now)
				return err
			},
			recorded: func(o *v1alpha1.DatabaseInstance) bool {
				_, down := o.GetAnnotations()[AnnotationPrimaryDownSince]
				_, synced := o.GetAnnotations()[annotationSyncMembers]
				return !down && !synced
			},
		},
		"Switchover": {
			shape:   func(o *v1alpha1.DatabaseInstance) { o.Spec.ForProvider.Primary = "vm-1" },
			primary: 1,
			write:   func(e *external, cr *v1alpha1.DatabaseInstance) error { return e.recordSwitchover(ctx, cr) },
			recorded: func(o *v1alpha1.DatabaseInstance) bool {
				r, err := readEpoch(o)
				return err == nil && r.Epoch == 4 && r.Primary == "vm-1" && !r.Failover && r.SwitchoverAt != nil
			},
		},
		"RollOver": {
			write: func(e *external, cr *v1alpha1.DatabaseInstance) error { return e.recordRollOver(ctx, cr, "vm-1") },
			recorded: func(o *v1alpha1.DatabaseInstance) bool {
				return o.Spec.ForProvider.Primary == "vm-1"
			},
		},
	}
	external := func(primary int, live bool) *external {
		e := &external{kube: c, rec: epochRecord{Epoch: 3, Primary: "vm-0"}, primary: primary,
			members: []member{{vm: "vm-0"}, {vm: "vm-1"}, {vm: "vm-2"}}}
		if live {
			e.live = c
		}
		return e
	}
	onServer := func(t *testing.T, name string) *v1alpha1.DatabaseInstance {
		t.Helper()
		got := &v1alpha1.DatabaseInstance{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for name, r := range records {
		base := strings.ToLower(name)
		t.Run(name+"/WithoutFreshRead", func(t *testing.T) {
			cr := fresh(t, base+"-cached", r.shape)
			if err := r.write(external(r.primary, false), cr); !kerrors.IsConflict(err) {
				t.Fatalf("want the write on the cached read refused as a conflict, got %v", err)
			}
			if r.recorded(onServer(t, base+"-cached")) {
				t.Error("the record was written on a stale read")
			}
		})
		t.Run(name+"/FreshRead", func(t *testing.T) {
			cr := fresh(t, base+"-fresh", r.shape)
			// This pass's status, which the reconciler writes at its end.
			cr.Status.AtProvider.EngineVersion = "15.99"
			if err := r.write(external(r.primary, true), cr); err != nil {
				t.Fatalf("the write on a read the pass before's status write made stale: %v", err)
			}
			if !r.recorded(onServer(t, base+"-fresh")) {
				t.Error("the record is not on the instance")
			}
			if cr.Status.AtProvider.EngineVersion != "15.99" {
				t.Errorf("this pass's status was not kept: engine version %q", cr.Status.AtProvider.EngineVersion)
			}
			if err := c.Status().Update(ctx, cr); err != nil {
				t.Errorf("the status write after the record: %v", err)
			}
		})
		t.Run(name+"/SpecChangedSince", func(t *testing.T) {
			cr := fresh(t, base+"-spec", r.shape)
			if err := testenv.Mutate(ctx, c, cr.DeepCopy(), func(o *v1alpha1.DatabaseInstance) {
				o.Spec.ForProvider.Parameters = map[string]string{"work_mem": "8MB"}
			}); err != nil {
				t.Fatal(err)
			}
			if err := r.write(external(r.primary, true), cr); !kerrors.IsConflict(err) {
				t.Fatalf("want the write refused as a conflict, got %v", err)
			}
			if r.recorded(onServer(t, base+"-spec")) {
				t.Error("the record was written after the spec changed")
			}
		})
	}
}

// staleReads returns a function that makes an instance named name in
// namespace ns, shaped by shape (when not nil) from staleInstance, and
// returns it as read then, after which it writes a status on it, as the
// pass before would: the read is what a cache may still hold.
func staleReads(ctx context.Context, c client.Client, ns string) func(t *testing.T, name string, shape func(*v1alpha1.DatabaseInstance)) *v1alpha1.DatabaseInstance {
	return func(t *testing.T, name string, shape func(*v1alpha1.DatabaseInstance)) *v1alpha1.DatabaseInstance {
		t.Helper()
		want := staleInstance(ns)
		want.Name, want.UID, want.ResourceVersion, want.Generation = name, "", "", 0
		if shape != nil {
			shape(want)
		}
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
}
