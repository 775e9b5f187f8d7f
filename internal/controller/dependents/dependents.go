// Package dependents keeps deletes in order. Crossplane deletes a claim's
// composed resources all at once (through the garbage collector), but a
// database cannot be dropped once its instance has stopped, and an instance
// is best stopped before its machine goes. So a resource that others run on
// waits until they are gone, and a resource whose home is already gone has
// nothing left to delete.
package dependents

import (
	"context"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
)

const (
	errList    = "cannot list the resources that depend on this one"
	errWaitFmt = "waiting for %s to be deleted first: they live on this %s"
)

// OnInstance returns the Databases and Users in a namespace that live on
// the named DatabaseInstance, as "Kind/name".
func OnInstance(ctx context.Context, c client.Reader, ns, instance string) ([]string, error) {
	var out []string
	dbs := &sqlv1alpha1.DatabaseList{}
	if err := c.List(ctx, dbs, client.InNamespace(ns)); err != nil {
		return nil, errors.Wrap(err, errList)
	}
	for _, d := range dbs.Items {
		if d.Spec.ForProvider.Instance == instance {
			out = append(out, sqlv1alpha1.DatabaseKind+"/"+d.GetName())
		}
	}
	users := &sqlv1alpha1.UserList{}
	if err := c.List(ctx, users, client.InNamespace(ns)); err != nil {
		return nil, errors.Wrap(err, errList)
	}
	for _, u := range users.Items {
		if u.Spec.ForProvider.Instance == instance {
			out = append(out, sqlv1alpha1.UserKind+"/"+u.GetName())
		}
	}
	grants := &sqlv1alpha1.GrantList{}
	if err := c.List(ctx, grants, client.InNamespace(ns)); err != nil {
		return nil, errors.Wrap(err, errList)
	}
	for _, g := range grants.Items {
		if g.Spec.ForProvider.Instance == instance {
			out = append(out, sqlv1alpha1.GrantKind+"/"+g.GetName())
		}
	}
	sort.Strings(out)
	return out, nil
}

// OnMachine returns the DatabaseInstances in a namespace that run on the
// named VirtualMachine, as "Kind/name".
func OnMachine(ctx context.Context, c client.Reader, ns, vm string) ([]string, error) {
	l := &enginev1alpha1.DatabaseInstanceList{}
	if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
		return nil, errors.Wrap(err, errList)
	}
	var out []string
	for _, i := range l.Items {
		if slices.Contains(i.Spec.ForProvider.VirtualMachines, vm) {
			out = append(out, enginev1alpha1.DatabaseInstanceKind+"/"+i.GetName())
		}
	}
	sort.Strings(out)
	return out, nil
}

// WaitError says what a delete is waiting for, or is nil when nothing.
func WaitError(kind string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	return errors.Errorf(errWaitFmt, strings.Join(names, ", "), kind)
}
