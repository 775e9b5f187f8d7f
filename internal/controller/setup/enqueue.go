package setup

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
)

// enqueueInstance wakes the DatabaseInstance a Database or User lives on
// when that Database or User changes or goes, so an instance waiting to be
// deleted goes on at once instead of after its retry back-off.
func enqueueInstance() handler.EventHandler {
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

// enqueueMachines wakes the VirtualMachines a DatabaseInstance runs on when
// the instance changes or goes.
func enqueueMachines() handler.EventHandler {
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

// enqueueInstancesOn wakes the DatabaseInstances that run on a
// VirtualMachine when it changes, so an instance waiting for its machine to
// become ready goes on at once.
func enqueueInstancesOn(c client.Reader) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		names, err := dependents.OnMachine(ctx, c, o.GetNamespace(), o.GetName())
		if err != nil {
			return nil
		}
		return requests(o.GetNamespace(), names)
	})
}

// enqueueOnInstance wakes the Databases or Users (kind) that live on a
// DatabaseInstance when it changes, so they go on as soon as it is ready.
func enqueueOnInstance(c client.Reader, kind string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		names, err := dependents.OnInstance(ctx, c, o.GetNamespace(), o.GetName())
		if err != nil {
			return nil
		}
		var mine []string
		for _, n := range names {
			if k, name, ok := strings.Cut(n, "/"); ok && k == kind {
				mine = append(mine, name)
			}
		}
		return requests(o.GetNamespace(), mine)
	})
}

func requests(ns string, names []string) []reconcile.Request {
	reqs := make([]reconcile.Request, 0, len(names))
	for _, n := range names {
		name := n
		if _, after, ok := strings.Cut(n, "/"); ok {
			name = after
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
	}
	return reqs
}

// enqueueDatabasesOwnedBy wakes the Databases whose owner is a User's role
// when that User changes: a database cannot be created before its owner.
func enqueueDatabasesOwnedBy(c client.Reader) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		role := meta.GetExternalName(o)
		l := &sqlv1alpha1.DatabaseList{}
		if role == "" || c.List(ctx, l, client.InNamespace(o.GetNamespace())) != nil {
			return nil
		}
		var names []string
		for _, d := range l.Items {
			if d.Spec.ForProvider.Owner != nil && *d.Spec.ForProvider.Owner == role {
				names = append(names, d.GetName())
			}
		}
		return requests(o.GetNamespace(), names)
	})
}

// enqueueUsersOf wakes the Users whose database is a Database's when that
// Database changes: a role is granted its database once the database exists.
func enqueueUsersOf(c client.Reader) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		db := meta.GetExternalName(o)
		l := &sqlv1alpha1.UserList{}
		if db == "" || c.List(ctx, l, client.InNamespace(o.GetNamespace())) != nil {
			return nil
		}
		var names []string
		for _, u := range l.Items {
			if u.Spec.ForProvider.Database != nil && *u.Spec.ForProvider.Database == db {
				names = append(names, u.GetName())
			}
		}
		return requests(o.GetNamespace(), names)
	})
}
