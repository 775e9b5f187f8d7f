package databaseinstance

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
)

const (
	// AnnotationDeleteAbandoned marks an instance whose delete gave up: it
	// finishes deleting without touching its machines again.
	AnnotationDeleteAbandoned = "engine.dbaas.io/delete-abandoned"

	errAbandon   = "cannot record that the delete gives up"
	errAbandoned = "gave up deleting after %s, and left behind %s: %v"
)

// boundedConnector lets a delete go once it has retried for the bound
// (options.Options.DeleteBound, counted from the deletionTimestamp): an
// instance whose machine is unreachable, powered off, gone from its
// backend, or presents another host key would otherwise keep its
// finalizer forever. Past the bound any error of Connect, Observe or
// Delete ends the delete: the instance is marked, a Warning event names
// what is left behind, and it is reported gone.
type boundedConnector struct {
	inner  managed.TypedExternalConnector[*v1alpha1.DatabaseInstance]
	kube   client.Client
	record event.Recorder
	bound  time.Duration
	now    func() time.Time
}

// Connect connects through the inner connector, unless the delete already
// gave up.
func (c *boundedConnector) Connect(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.TypedExternalClient[*v1alpha1.DatabaseInstance], error) {
	if meta.WasDeleted(cr) && cr.GetAnnotations()[AnnotationDeleteAbandoned] != "" {
		return gone{}, nil
	}
	ext, err := c.inner.Connect(ctx, cr)
	if err != nil {
		if c.givingUp(cr) {
			return gone{}, c.abandon(ctx, cr, err)
		}
		return nil, err
	}
	return &boundedExternal{TypedExternalClient: ext, c: c}, nil
}

func (c *boundedConnector) givingUp(cr *v1alpha1.DatabaseInstance) bool {
	return deletion.GiveUp(cr, c.bound, c.now())
}

// abandon marks the instance, so that later reconciles do not retry, and
// says in a Warning event what it leaves behind and why.
func (c *boundedConnector) abandon(ctx context.Context, cr *v1alpha1.DatabaseInstance, cause error) error {
	meta.AddAnnotations(cr, map[string]string{AnnotationDeleteAbandoned: c.now().UTC().Format(time.RFC3339)})
	if err := c.kube.Update(ctx, cr); err != nil {
		return errors.Wrap(err, errAbandon)
	}
	vms := map[string]*computev1alpha1.VirtualMachine{}
	for _, name := range cr.Spec.ForProvider.VirtualMachines {
		vm := &computev1alpha1.VirtualMachine{}
		if err := c.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: name}, vm); err == nil {
			vms[name] = vm
		}
	}
	c.record.Event(cr, event.Warning(deletion.ReasonAbandoned, errors.Errorf(errAbandoned, c.bound, leftBehind(cr, vms), cause)))
	return nil
}

// leftBehind says what a delete that gave up leaves: the engine's data on
// each of the instance's machines, by VirtualMachine, address and data
// directory. A local machine keeps each instance's data below its work
// directory; other machines in the instance's directory below
// /var/lib/postgresql/dbaas (see sshMember).
func leftBehind(cr *v1alpha1.DatabaseInstance, vms map[string]*computev1alpha1.VirtualMachine) string {
	p := cr.Spec.ForProvider
	names := append([]string(nil), p.VirtualMachines...)
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, name := range names {
		where := "VirtualMachine " + name
		vm := vms[name]
		switch {
		case vm == nil:
			where += " (gone)"
		case vm.Status.AtProvider.WorkDir != "":
			where += fmt.Sprintf(" (%s, data directory below %s)", vm.Status.AtProvider.Address, vm.Status.AtProvider.WorkDir)
		default:
			where += fmt.Sprintf(" (%s, data directory %s)", vm.Status.AtProvider.Address, path.Join(pgvm.DefaultMountPoint, sshEnginesDir, cr.GetNamespace()+"-"+meta.GetExternalName(cr), "data"))
		}
		parts = append(parts, where)
	}
	if len(parts) == 0 {
		return "nothing that the instance knows of"
	}
	return "the PostgreSQL " + p.Version + " server of instance " + meta.GetExternalName(cr) + " and its data on " + strings.Join(parts, ", ")
}

// boundedExternal gives up an Observe or Delete that fails past the bound.
type boundedExternal struct {
	managed.TypedExternalClient[*v1alpha1.DatabaseInstance]
	c *boundedConnector
}

func (e *boundedExternal) Observe(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalObservation, error) {
	o, err := e.TypedExternalClient.Observe(ctx, cr)
	if err != nil && e.c.givingUp(cr) {
		return managed.ExternalObservation{ResourceExists: false}, e.c.abandon(ctx, cr, err)
	}
	return o, err
}

func (e *boundedExternal) Delete(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalDelete, error) {
	d, err := e.TypedExternalClient.Delete(ctx, cr)
	if err != nil && e.c.givingUp(cr) {
		// The mark has the next Observe report the instance gone.
		return managed.ExternalDelete{}, e.c.abandon(ctx, cr, err)
	}
	return d, err
}

// gone is the client of an instance whose delete gave up: nothing exists.
type gone struct{}

func (gone) Observe(context.Context, *v1alpha1.DatabaseInstance) (managed.ExternalObservation, error) {
	return managed.ExternalObservation{ResourceExists: false}, nil
}

func (gone) Create(context.Context, *v1alpha1.DatabaseInstance) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, nil
}

func (gone) Update(context.Context, *v1alpha1.DatabaseInstance) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, nil
}

func (gone) Delete(context.Context, *v1alpha1.DatabaseInstance) (managed.ExternalDelete, error) {
	return managed.ExternalDelete{}, nil
}

func (gone) Disconnect(context.Context) error { return nil }
