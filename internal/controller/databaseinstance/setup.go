// Package databaseinstance reconciles DatabaseInstances: database engines
// installed and running on VirtualMachines.
package databaseinstance

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/options"

	// Named so, because this package's own setup takes the test hooks.
	managedsetup "github.com/dbaas-io/dbaas/internal/controller/setup"
)

var (
	_ managed.TypedExternalConnector[*v1alpha1.DatabaseInstance] = &boundedConnector{}
	_ managed.TypedExternalConnector[*v1alpha1.DatabaseInstance] = &connector{}
	_ managed.TypedExternalClient[*v1alpha1.DatabaseInstance]    = &boundedExternal{}
	_ managed.TypedExternalClient[*v1alpha1.DatabaseInstance]    = &external{}
	_ managed.TypedExternalClient[*v1alpha1.DatabaseInstance]    = &playExternal{}
	_ managed.TypedExternalClient[*v1alpha1.DatabaseInstance]    = gone{}
)

// Setup adds a controller that reconciles DatabaseInstances.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup(mgr, o, hooks{})
}

// hooks let tests interrupt a create between its steps, as a provider that
// is killed halfway would.
type hooks struct {
	// afterInit runs after initdb and before the server is configured and
	// started; an error ends the create there.
	afterInit func(ctx context.Context) error
	// failoverStep runs after each step of a failover (stepEpochRecorded,
	// stepPromoted) and of a rolling restart's switchover
	// (stepRollRecorded, stepPromoted); an error ends the reconcile there,
	// as a provider killed at that point would.
	failoverStep func(ctx context.Context, step string) error
	// shareRoot, when set, is where local members look for extensions'
	// control files instead of this machine's share directory, so that a
	// test can have an extension missing whatever is installed.
	shareRoot string
}

func setup(mgr ctrl.Manager, o options.Options, h hooks) error {
	return managedsetup.Setup(mgr, o, managedsetup.Config[*v1alpha1.DatabaseInstance]{
		Kind: v1alpha1.DatabaseInstanceGroupVersionKind,
		Connector: func(s managedsetup.Shared) managed.TypedExternalConnector[*v1alpha1.DatabaseInstance] {
			return &boundedConnector{
				inner: &connector{
					kube:        mgr.GetClient(),
					record:      s.Recorder,
					usage:       s.Usage,
					backends:    o.Backends(),
					hooks:       h,
					deleteBound: o.DeleteBound(),
				},
				kube:   mgr.GetClient(),
				record: s.Recorder,
				bound:  o.DeleteBound(),
				now:    time.Now,
			}
		},
		// An instance whose primary does not answer is looked at every
		// second until it answers again or a replica took over.
		Options: []managed.ReconcilerOption{managed.WithPollIntervalHook(pollWhileDown)},
	})
}
