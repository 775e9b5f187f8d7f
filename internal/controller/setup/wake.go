package setup

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
)

// A watch wakes resources of a controller's kind when an object of another
// kind changes.
type watch struct {
	kind    client.Object
	handler handler.EventHandler
}

// watches are what wake resources of kind: a claim's resources become
// ready in one order (machine, instance, then the users, databases and
// grants on it) and are deleted in the other, and each waits for the one
// before it. Woken when that one changes, a resource goes on at once
// instead of after its retry back-off.
func watches(c client.Client, kind schema.GroupKind) []watch {
	switch kind {
	case computev1alpha1.VirtualMachineGroupVersionKind.GroupKind():
		// A machine being deleted waits for the instances on it.
		return []watch{{&enginev1alpha1.DatabaseInstance{}, enqueueMachines()}}
	case enginev1alpha1.DatabaseInstanceGroupVersionKind.GroupKind():
		// An instance waits for its machines to be ready, and, being
		// deleted, for the databases and users on it to go.
		return []watch{
			{&computev1alpha1.VirtualMachine{}, enqueueInstancesOn(c)},
			{&sqlv1alpha1.Database{}, enqueueInstance()},
			{&sqlv1alpha1.User{}, enqueueInstance()},
		}
	case sqlv1alpha1.DatabaseGroupVersionKind.GroupKind():
		// A database waits for its instance and its owner.
		return []watch{
			{&enginev1alpha1.DatabaseInstance{}, enqueueOnInstance(c, sqlv1alpha1.DatabaseKind)},
			{&sqlv1alpha1.User{}, enqueueDatabasesOwnedBy(c)},
		}
	case sqlv1alpha1.UserGroupVersionKind.GroupKind():
		// A user waits for its instance and its database.
		return []watch{
			{&enginev1alpha1.DatabaseInstance{}, enqueueOnInstance(c, sqlv1alpha1.UserKind)},
			{&sqlv1alpha1.Database{}, enqueueUsersOf(c)},
		}
	case sqlv1alpha1.GrantGroupVersionKind.GroupKind():
		// A grant waits for its instance.
		return []watch{{&enginev1alpha1.DatabaseInstance{}, enqueueOnInstance(c, sqlv1alpha1.GrantKind)}}
	}
	// Nothing waits for a firewall rule, nor does it wait for anything.
	return nil
}
