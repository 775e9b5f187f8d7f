package databaseinstance

import (
	"context"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// writeDecision writes change, a failover's epoch record, to cr with cr's
// resourceVersion. A reconcile reads the instance from the manager's
// cache, which may not hold yet the status the pass before wrote: the
// pass that decides a failover often comes a few tens of milliseconds
// after the one that started the wait, and its write was then refused as
// "the object has been modified" and the whole pass lost, its look and
// the controller's back-off after it (1.6-3.5 s in 3 of 10 failovers).
// On that refusal the instance is read afresh from the API server, and
// change is written on what it holds now, with its resourceVersion, when
// nothing the decision stood on differs there (sameGrounds): the write
// stays conditional on a resourceVersion, so of two providers that decided
// on the same epoch still only one records it, and one that finds another
// epoch recorded promotes nothing. Otherwise the refusal stands.
func (e *external) writeDecision(ctx context.Context, cr *v1alpha1.DatabaseInstance, decided failoverPolicy, change func(*v1alpha1.DatabaseInstance)) error {
	read := cr.DeepCopy()
	change(cr)
	err := e.writeObject(ctx, cr)
	if !kerrors.IsConflict(err) || e.live == nil {
		return err
	}
	live := &v1alpha1.DatabaseInstance{}
	if gerr := e.live.Get(ctx, client.ObjectKeyFromObject(read), live); gerr != nil {
		return err
	}
	if !sameGrounds(read, live, decided) {
		return err
	}
	change(live)
	// The status is this pass's, which the reconciler writes at its end.
	live.TypeMeta, live.Status = cr.TypeMeta, cr.Status
	if err := e.writeObject(ctx, live); err != nil {
		return err
	}
	e.logger().Debug("Wrote a failover's epoch on the instance read afresh: the cached read was older", "instance", read.GetNamespace()+"/"+read.GetName(), "read", read.GetResourceVersion())
	*cr = *live
	return nil
}

// sameGrounds reports whether the instance as the API server holds it now
// (live) gives the same failover decision as the copy it was made from
// (read), with the policy decided: the same object, with equal metadata
// (annotations among them: the epoch record and the wait's start) but for
// its resourceVersion and managed fields, an equal spec, and the same
// policy taken from its status. What else the status holds is what the
// reconciler itself wrote since (a pass's status write is the usual change
// a cached read misses), which the decision does not read.
func sameGrounds(read, live *v1alpha1.DatabaseInstance, decided failoverPolicy) bool {
	if read.GetUID() == "" || read.GetUID() != live.GetUID() {
		return false
	}
	a, b := read.ObjectMeta.DeepCopy(), live.ObjectMeta.DeepCopy()
	a.ResourceVersion, b.ResourceVersion = "", ""
	a.ManagedFields, b.ManagedFields = nil, nil
	if !equality.Semantic.DeepEqual(a, b) || !equality.Semantic.DeepEqual(read.Spec, live.Spec) {
		return false
	}
	return reflect.DeepEqual(policy(live), decided)
}
