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
	_ managed.TypedExternalClient[*v1alpha1.DatabaseInstance]    = gone{}
)

// reconcileTimeout bounds one reconcile of an instance; crossplane-runtime's
// default is a minute, which nobody chose for this controller. Every step
// of a create, a switchover or a failover is recorded and resumed by the
// next pass, so a step cut short is not lost; but a step that cannot end
// within the budget is cut short on every pass and never completes. The
// longest single wait the engines bound themselves is pg_ctl's -t 120 of a
// server over SSH that replays WAL before it takes connections, after a
// login (dialTimeout, 20 s) and the members' snapshot (memberTimeout,
// 10 s): three minutes leave room for that. Not more, because a reconcile
// holds its instance: one stuck on a host that stopped answering mid-step
// leaves the instance's primary unwatched, its failover waiting, for up to
// this long. The snapshot that decides a failover is bounded per member on
// its own, so a member that hangs does not take the whole budget there.
const reconcileTimeout = 3 * time.Minute

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
					live:        mgr.GetAPIReader(),
					record:      s.Recorder,
					log:         o.Logger,
					usage:       s.Usage,
					backends:    o.Backends(),
					hooks:       h,
					deleteBound: o.DeleteBound(),
					watchdog:    o.WatchdogBinary,
					backupRoot:  backupRoot(o),
					memos:       &backupMemos{},
					sightings:   &sightings{},
				},
				kube:   mgr.GetClient(),
				record: s.Recorder,
				bound:  o.DeleteBound(),
				now:    time.Now,
			}
		},
		// An instance whose primary does not answer is looked at every
		// second until it answers again or a replica took over.
		Options: []managed.ReconcilerOption{managed.WithPollIntervalHook(pollHeartbeat), managed.WithTimeout(reconcileTimeout)},
	})
}
