package databaseinstance

import (
	"context"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// A decisionRecord is what a pass writes on the instance, with its
// resourceVersion, from a decision made on its read of it: a failover's or
// a switchover's epoch, when the primary stopped answering (or that it
// answers again), the replica a rolling restart switches over to. Every
// such decision reads the instance's metadata and spec; what else it read
// of the status is grounds.
type decisionRecord struct {
	// name says which record it is in the log.
	name string
	// write makes the record on an instance.
	write func(*v1alpha1.DatabaseInstance)
	// grounds takes from an instance what the decision read of its
	// status, and decidedOn is that as the decision read it; nil when it
	// read nothing of the status.
	grounds   func(*v1alpha1.DatabaseInstance) any
	decidedOn any
}

// writeDecision writes d on cr with cr's resourceVersion. A reconcile
// reads the instance from the manager's cache, which may not hold yet the
// status the pass before wrote: the pass that decides a failover often
// comes a few tens of milliseconds after the one that started the wait,
// and its write was then refused as "the object has been modified" and the
// whole pass lost, its look and the controller's back-off after it
// (1.6-3.5 s in 3 of 10 failovers). The same holds for every record a pass
// writes soon after the pass before. On that refusal the instance is read
// afresh from the API server, and d is written on what it holds now, with
// its resourceVersion, when nothing the decision stood on differs there
// (sameGrounds): the write stays conditional on a resourceVersion, so of
// two providers that decided on the same epoch still only one records it,
// and one that finds another epoch recorded promotes nothing. Otherwise
// the refusal stands.
func (e *external) writeDecision(ctx context.Context, cr *v1alpha1.DatabaseInstance, d decisionRecord) error {
	read := cr.DeepCopy()
	d.write(cr)
	err := e.writeObject(ctx, cr)
	if !kerrors.IsConflict(err) || e.live == nil {
		return err
	}
	live := &v1alpha1.DatabaseInstance{}
	if gerr := e.live.Get(ctx, client.ObjectKeyFromObject(read), live); gerr != nil {
		return err
	}
	if !sameGrounds(read, live, d) {
		return err
	}
	d.write(live)
	// The status is this pass's, which the reconciler writes at its end.
	live.TypeMeta, live.Status = cr.TypeMeta, cr.Status
	if err := e.writeObject(ctx, live); err != nil {
		return err
	}
	e.logger().Debug("Wrote a record on the instance read afresh: the cached read was older", "record", d.name, "instance", read.GetNamespace()+"/"+read.GetName(), "read", read.GetResourceVersion())
	*cr = *live
	return nil
}

// sameGrounds reports whether the instance as the API server holds it now
// (live) gives the same decision as the copy it was made from (read): the
// same object, with equal metadata (annotations among them: the epoch
// record and the failover wait's start) but for its resourceVersion and
// managed fields, an equal spec, and the same grounds taken from its
// status. What else the status holds is what the reconciler itself wrote
// since (a pass's status write is the usual change a cached read misses),
// which the decision does not read.
func sameGrounds(read, live *v1alpha1.DatabaseInstance, d decisionRecord) bool {
	if read.GetUID() == "" || read.GetUID() != live.GetUID() {
		return false
	}
	a, b := read.ObjectMeta.DeepCopy(), live.ObjectMeta.DeepCopy()
	a.ResourceVersion, b.ResourceVersion = "", ""
	a.ManagedFields, b.ManagedFields = nil, nil
	if !equality.Semantic.DeepEqual(a, b) || !equality.Semantic.DeepEqual(read.Spec, live.Spec) {
		return false
	}
	return d.grounds == nil || reflect.DeepEqual(d.grounds(live), d.decidedOn)
}
