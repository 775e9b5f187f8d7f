package machines

import (
	"testing"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/azure/azurefake"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/gcp/gcpfake"
	"github.com/dbaas-io/dbaas/internal/clients/terraform/tfefake"
	"github.com/dbaas-io/dbaas/internal/clients/vsphere/vspherefake"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

// A rig is one backend's fake with what the suite needs to know of it.
type rig struct {
	name string
	rig  machinetest.Rig
	// wire hands the provider what it needs to reach the fake beyond the
	// provider config (the Azure SDK's fake transport).
	wire func(*backend.Options)
	// rules says whether the backend has FirewallRules, enforced whether
	// it enforces them, and ruleParams adds the backend's own settings.
	rules, enforced bool
	ruleParams      func(*v1alpha1.FirewallRuleParameters)
	// failRun makes the backend fail its next piece of work where the
	// provider cannot check an image itself (a Terraform module's
	// variable): the suite then shows the failure instead of a missing
	// image.
	failRun func()
	// network is the spec's network where the backend needs one (an
	// Azure subnet); missingImage is an image the backend does not have,
	// in the form it expects.
	network, missingImage string
	// refuse makes a spec the backend must refuse for a reason other than
	// the image (a wrong datacenter, a size over quota) and returns what
	// the Synced message must say.
	refuse func(*v1alpha1.VirtualMachineParameters) string
	// guestAddress makes a machine's guest report ip as its address ("":
	// none), where the backend learns it from the guest (vSphere's
	// VMware Tools).
	guestAddress func(vm, ip string) error
}

// startRigs starts every backend's fake for one test.
func startRigs(t *testing.T) []rig {
	t.Helper()
	none := func(*backend.Options) {}
	tf := tfefake.Start(t, true)
	t.Cleanup(tf.Close)
	g := gcpfake.Start(t)
	t.Cleanup(g.Close)
	vs := vspherefake.Start(t)
	t.Cleanup(vs.Close)
	az := azurefake.Start(t)
	t.Cleanup(az.Close)
	return []rig{
		{name: "vsphere", rig: vs, wire: none, rules: true, enforced: false, ruleParams: func(p *v1alpha1.FirewallRuleParameters) { p.Network = vspherefake.PortGroup },
			refuse: func(p *v1alpha1.VirtualMachineParameters) string {
				p.VSphere = &v1alpha1.VSphereMachineParameters{Datacenter: "DC9"}
				return `"DC9"`
			},
			guestAddress: vs.SetGuestIP},
		{name: "azure", rig: az, wire: func(o *backend.Options) { o.Azure = az.Options() }, rules: true, enforced: true,
			network: az.Subnet(), missingImage: "Canonical:no-such-image:22_04-lts:latest",
			refuse: func(p *v1alpha1.VirtualMachineParameters) string {
				az.OverQuota("Standard_D16s_v5")
				p.CPU, p.MemoryMiB = 16, 65536
				return "no capacity for this machine (quota or capacity)"
			},
			ruleParams: func(p *v1alpha1.FirewallRuleParameters) {
				p.Azure = &v1alpha1.AzureFirewallRuleParameters{NetworkSecurityGroup: azurefake.NSG}
			}},
		{name: "terraform", rig: tf, wire: none, failRun: tf.FailNextRun},
		{name: "gcp", rig: g, wire: none, rules: true, enforced: true, ruleParams: func(p *v1alpha1.FirewallRuleParameters) { p.Network = "default" },
			refuse: func(p *v1alpha1.VirtualMachineParameters) string {
				g.MarkQuota("custom-16-65536")
				p.CPU, p.MemoryMiB = 16, 65536
				return "no capacity for this machine (quota or capacity)"
			}},
	}
}
