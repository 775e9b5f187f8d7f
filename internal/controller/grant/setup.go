// Package grant reconciles Grants: the privileges a user holds on a
// database, on a DatabaseInstance or on an existing server.
package grant

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
)

var (
	_ managed.TypedExternalConnector[*v1alpha1.Grant] = &connector{}
	_ managed.TypedExternalClient[*v1alpha1.Grant]    = &external{}
)

// Setup adds a controller that reconciles Grants.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.Grant]{
		GroupKind:        v1alpha1.GrantGroupKind,
		GroupVersionKind: v1alpha1.GrantGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.Grant] {
			return &connector{
				Connector: server.NewConnector(mgr, o.ServerLimiters, o.Machines.Policy),
				bound:     sqlowner.Bound{After: o.DeleteBound(), Recorder: s.Recorder},
			}
		},
		Watches: []setup.Watch{
			{Kind: &enginev1alpha1.DatabaseInstance{}, Handler: setup.EnqueueOnInstance(mgr.GetClient(), v1alpha1.GrantKind)},
		},
	})
}
