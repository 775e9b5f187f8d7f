// Package controller registers every controller of the provider.
package controller

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/backup"
	"github.com/dbaas-io/dbaas/internal/controller/backupschedule"
	"github.com/dbaas-io/dbaas/internal/controller/backupstore"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/database"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/firewallrule"
	"github.com/dbaas-io/dbaas/internal/controller/grant"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/user"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
)

// Setup adds the controllers of every kind the provider manages.
func Setup(mgr ctrl.Manager, o options.Options) error {
	if o.ServerLimiters == nil {
		o.ServerLimiters = server.NewLimiters()
	}
	if o.ServerPools == nil {
		o.ServerPools = server.NewPools()
		// The manager closes the pools' sessions when it stops.
		if err := mgr.Add(o.ServerPools); err != nil {
			return err
		}
	}
	for _, setup := range []func(ctrl.Manager, options.Options) error{
		config.Setup,
		virtualmachine.Setup,
		firewallrule.Setup,
		databaseinstance.Setup,
		database.Setup,
		user.Setup,
		grant.Setup,
		backupstore.Setup,
		backup.Setup,
		backupschedule.Setup,
	} {
		if err := setup(mgr, o); err != nil {
			return err
		}
	}
	return nil
}
