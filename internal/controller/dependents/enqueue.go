package dependents

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
)

// EnqueueInstance wakes the DatabaseInstance a Database or User lives on
// when that Database or User changes or goes, so an instance waiting to be
// deleted goes on at once instead of after its retry back-off.
func EnqueueInstance() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		var name string
		switch x := o.(type) {
		case *sqlv1alpha1.Database:
			name = x.Spec.ForProvider.Instance
		case *sqlv1alpha1.User:
			name = x.Spec.ForProvider.Instance
		}
		if name == "" {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
	})
}

// EnqueueMachines wakes the VirtualMachines a DatabaseInstance runs on when
// the instance changes or goes.
func EnqueueMachines() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		i, ok := o.(*enginev1alpha1.DatabaseInstance)
		if !ok {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(i.Spec.ForProvider.VirtualMachines))
		for _, vm := range i.Spec.ForProvider.VirtualMachines {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: i.GetNamespace(), Name: vm}})
		}
		return reqs
	})
}
