package firewallrule

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
)

var (
	_ managed.TypedExternalConnector[*v1alpha1.FirewallRule] = &connector{}
	_ managed.TypedExternalClient[*v1alpha1.FirewallRule]    = &external{}
)

// Setup adds a controller that reconciles FirewallRules.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.FirewallRule]{
		GroupKind:        v1alpha1.FirewallRuleGroupKind,
		GroupVersionKind: v1alpha1.FirewallRuleGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.FirewallRule] {
			return &connector{kube: mgr.GetClient(), usage: s.Usage, backends: o.Backends(), record: s.Recorder}
		},
	})
}
