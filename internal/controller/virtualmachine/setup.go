package virtualmachine

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
)

var (
	_ managed.TypedExternalConnector[*v1alpha1.VirtualMachine] = &connector{}
	_ managed.TypedExternalClient[*v1alpha1.VirtualMachine]    = &external{}
)

// Setup adds a controller that reconciles VirtualMachines.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.VirtualMachine]{
		GroupKind:        v1alpha1.VirtualMachineGroupKind,
		GroupVersionKind: v1alpha1.VirtualMachineGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.VirtualMachine] {
			return &connector{kube: mgr.GetClient(), usage: s.Usage, backends: o.Backends(), record: s.Recorder}
		},
		Watches: []setup.Watch{
			{Kind: &enginev1alpha1.DatabaseInstance{}, Handler: setup.EnqueueMachines()},
		},
	})
}
