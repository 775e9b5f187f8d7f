package databaseinstance

import (
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

// TestUsesPlay shows which instances run their members over SSH (once the
// single-instance play, now the member code of every topology) and which
// as local processes. A backend other than local without spec.ssh goes
// over SSH too, and is refused there (TestConnectPlayRefuses).
func TestUsesPlay(t *testing.T) {
	cases := map[string]struct {
		pc   apisv1alpha1.ProviderConfigSpec
		want bool
	}{
		"LocalProcesses": {pc: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal}, want: false},
		"LocalOverSSH":   {pc: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, SSH: &apisv1alpha1.SSHConfig{}}, want: true},
		"VSphere":        {pc: apisv1alpha1.ProviderConfigSpec{Backend: "vsphere"}, want: true},
		"Azure":          {pc: apisv1alpha1.ProviderConfigSpec{Backend: "azure", SSH: &apisv1alpha1.SSHConfig{}}, want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := overSSH(&tc.pc); got != tc.want {
				t.Errorf("overSSH = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestConnectPlayRefuses shows that what the SSH path cannot do is refused
// before anything is read or dialled, with a message that says what to
// change.
func TestConnectPlayRefuses(t *testing.T) {
	ssh := &apisv1alpha1.SSHConfig{}
	cases := map[string]struct {
		pc   apisv1alpha1.ProviderConfigSpec
		p    v1alpha1.DatabaseInstanceParameters
		want string
	}{
		"NoSSHBlock": {
			pc:   apisv1alpha1.ProviderConfigSpec{Backend: "azure"},
			p:    v1alpha1.DatabaseInstanceParameters{VirtualMachines: []string{"vm"}},
			want: `backend "azure" installs engines over SSH: set spec.ssh in the provider config`,
		},
		"OtherAdmin": {
			pc:   apisv1alpha1.ProviderConfigSpec{Backend: "gcp", SSH: ssh},
			p:    v1alpha1.DatabaseInstanceParameters{AdminUser: "admin", VirtualMachines: []string{"vm"}},
			want: `adminUser "admin": over SSH the admin account is the postgres superuser`,
		},
		"MinorVersion": {
			pc:   apisv1alpha1.ProviderConfigSpec{Backend: "gcp", SSH: ssh},
			p:    v1alpha1.DatabaseInstanceParameters{Version: "15.4", VirtualMachines: []string{"vm"}},
			want: `version "15.4": over SSH name the major version only`,
		},
		"TwoMachinesForOne": {
			pc:   apisv1alpha1.ProviderConfigSpec{Backend: "gcp", SSH: ssh},
			p:    v1alpha1.DatabaseInstanceParameters{VirtualMachines: []string{"a", "b"}},
			want: `topology "single" needs exactly 1 virtual machine(s), got 2`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := &v1alpha1.DatabaseInstance{}
			cr.Spec.ForProvider = tc.p
			// No kube client: a refusal must not need one.
			err := checkOverSSH(&tc.pc, cr.Spec.ForProvider)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("checkOverSSH: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
