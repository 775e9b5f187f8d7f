package databaseinstance

import (
	"testing"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
)

// TestReplicatedOverSSHRoute shows which instances run the replicated
// engine over SSH (and no longer meet the play's refusal of topology
// primary), and which keep the play or the local engines.
func TestReplicatedOverSSHRoute(t *testing.T) {
	ssh := &apisv1alpha1.SSHConfig{}
	cases := map[string]struct {
		pc   apisv1alpha1.ProviderConfigSpec
		p    v1alpha1.DatabaseInstanceParameters
		want bool
	}{
		"PrimaryOnAVM":     {pc: apisv1alpha1.ProviderConfigSpec{Backend: "vsphere", SSH: ssh}, p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary}, want: true},
		"PrimaryLocalSSH":  {pc: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, SSH: ssh}, p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary}, want: true},
		"PrimaryLocal":     {pc: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal}, p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary}},
		"SingleKeepsPlay":  {pc: apisv1alpha1.ProviderConfigSpec{Backend: "vsphere", SSH: ssh}, p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologySingle}},
		"DefaultKeepsPlay": {pc: apisv1alpha1.ProviderConfigSpec{Backend: "gcp", SSH: ssh}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := replicatedOverSSH(&tc.pc, tc.p); got != tc.want {
				t.Errorf("replicatedOverSSH: got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSSHProvisionOptions shows where a member's server lives on its
// machine: the distribution's layout and port on a VM, the machine's
// directory and first port on the local backend.
func TestSSHProvisionOptions(t *testing.T) {
	ssh := &apisv1alpha1.SSHConfig{Packages: apisv1alpha1.PackagesPreinstalled}
	vm := &computev1alpha1.VirtualMachine{}
	vm.Status.AtProvider.WorkDir, vm.Status.AtProvider.PortRangeStart = "/machines/vm", 40000
	p := v1alpha1.DatabaseInstanceParameters{Version: "15.4", DataDevice: "/dev/vdb"}
	cases := map[string]struct {
		pc       apisv1alpha1.ProviderConfigSpec
		wantRoot string
		wantPort int
	}{
		"VM":    {pc: apisv1alpha1.ProviderConfigSpec{Backend: "vsphere", SSH: ssh}, wantPort: pgvm.DefaultPort},
		"Local": {pc: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, SSH: ssh}, wantRoot: "/machines/vm", wantPort: 40000},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := sshProvisionOptions(&tc.pc, vm, p)
			if o.Root != tc.wantRoot || o.Port != tc.wantPort || o.Version != "15" || o.InstallPackages || o.DataDisk != "/dev/vdb" || o.MountPoint != pgvm.DefaultMountPoint {
				t.Errorf("sshProvisionOptions: unexpected %+v", o)
			}
			if _, err := pgvm.Provision(o); err != nil {
				t.Errorf("Provision: %v", err)
			}
		})
	}
}
