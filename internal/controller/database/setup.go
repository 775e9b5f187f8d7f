// Package database reconciles Databases: databases on a DatabaseInstance or
// on an existing server, made by the provider's own SQL or by the stored
// procedures of a DatabaseClass.
package database

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
	_ managed.TypedExternalConnector[*v1alpha1.Database] = &connector{}
	_ managed.TypedExternalClient[*v1alpha1.Database]    = &external{}
	_ managed.TypedExternalClient[*v1alpha1.Database]    = &classExternal{}
)

// Setup adds a controller that reconciles Databases.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.Database]{
		GroupKind:        v1alpha1.DatabaseGroupKind,
		GroupVersionKind: v1alpha1.DatabaseGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.Database] {
			return &connector{
				Connector: server.NewConnector(mgr, o.ServerLimiters, o.Machines.Policy),
				kube:      mgr.GetAPIReader(),
				bound:     sqlowner.Bound{After: o.DeleteBound(), Recorder: s.Recorder},
			}
		},
		Watches: []setup.Watch{
			{Kind: &enginev1alpha1.DatabaseInstance{}, Handler: setup.EnqueueOnInstance(mgr.GetClient(), v1alpha1.DatabaseKind)},
			{Kind: &v1alpha1.User{}, Handler: setup.EnqueueDatabasesOwnedBy(mgr.GetClient())},
		},
	})
}
