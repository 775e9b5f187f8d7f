package databaseinstance

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
)

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
			if got := usesPlay(&tc.pc); got != tc.want {
				t.Errorf("usesPlay = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlayOptions(t *testing.T) {
	vm := &computev1alpha1.VirtualMachine{}
	vm.Status.AtProvider = computev1alpha1.VirtualMachineObservation{Address: "127.0.0.1", WorkDir: "/m/ns/vm", PortRangeStart: 25010}
	p := v1alpha1.DatabaseInstanceParameters{Version: "15", MaxConnections: ptr(50), SharedBuffersMB: ptr(256), Parameters: map[string]string{"work_mem": "8MB"}}
	settings := map[string]string{"max_connections": "50", "shared_buffers": "256MB", "work_mem": "8MB"}
	cases := map[string]struct {
		pc   apisv1alpha1.ProviderConfigSpec
		p    func(*v1alpha1.DatabaseInstanceParameters)
		want pgvm.Options
	}{
		"VMUnderSystemd": {
			pc: apisv1alpha1.ProviderConfigSpec{Backend: "gcp", SSH: &apisv1alpha1.SSHConfig{}},
			want: pgvm.Options{Version: "15", Settings: settings, OSUser: "postgres", SuperuserPassword: "pw",
				InstallPackages: true, ListenAddresses: []string{"*"}},
		},
		"DataDisk": {
			pc: apisv1alpha1.ProviderConfigSpec{Backend: "azure", SSH: &apisv1alpha1.SSHConfig{}},
			p:  func(p *v1alpha1.DatabaseInstanceParameters) { p.DataDevice = "/dev/disk/azure/scsi1/lun0" },
			want: pgvm.Options{Version: "15", Settings: settings, OSUser: "postgres", SuperuserPassword: "pw",
				InstallPackages: true, ListenAddresses: []string{"*"}, DataDisk: "/dev/disk/azure/scsi1/lun0"},
		},
		"PreinstalledImage": {
			pc: apisv1alpha1.ProviderConfigSpec{Backend: "vsphere", SSH: &apisv1alpha1.SSHConfig{Packages: apisv1alpha1.PackagesPreinstalled}},
			want: pgvm.Options{Version: "15", Settings: settings, OSUser: "postgres", SuperuserPassword: "pw",
				ListenAddresses: []string{"*"}},
		},
		"LocalMachineDirectory": {
			pc: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, SSH: &apisv1alpha1.SSHConfig{}},
			want: pgvm.Options{Version: "15", Settings: settings, OSUser: "postgres", SuperuserPassword: "pw",
				InstallPackages: true, Root: "/m/ns/vm", Port: 25010, ServiceMode: pgvm.ServicePgCtl,
				ListenAddresses: []string{"127.0.0.1"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := p
			if tc.p != nil {
				tc.p(&p)
			}
			got := playOptions(&tc.pc, vm, p, "pw")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
			// Connect adds the certificate and the rules once it knows the
			// provider's address.
			got.TLS = &pgvm.ServerTLS{Cert: []byte("CERT"), Key: []byte("KEY")}
			got.HBA = playHBA(tc.pc.Backend == apisv1alpha1.BackendLocal, "127.0.0.1", "127.0.0.1")
			if _, err := pgvm.Plan(got); err != nil {
				t.Errorf("the options do not plan: %v", err)
			}
		})
	}
}

func TestPlayHBA(t *testing.T) {
	rule := func(typ, user, addr, method string) pgvm.HBARule {
		return pgvm.HBARule{Type: typ, Database: "all", User: user, Address: addr, Method: method}
	}
	cases := map[string]struct {
		reason   string
		local    bool
		address  string
		provider string
		want     []pgvm.HBARule
	}{
		"VM": {
			reason:   "On a VM the superuser comes in over TCP only from the provider, with TLS; applications from anywhere, with TLS",
			address:  "10.0.0.5",
			provider: "10.0.0.1",
			want: []pgvm.HBARule{
				rule("hostssl", "postgres", "10.0.0.1/32", "scram-sha-256"),
				rule("host", "postgres", "all", "reject"),
				rule("hostssl", "all", "0.0.0.0/0", "scram-sha-256"),
				rule("hostssl", "all", "::/0", "scram-sha-256"),
			},
		},
		"VMProviderIPv6": {
			reason:   "An IPv6 provider address is one host too",
			address:  "fd00::5",
			provider: "fd00::1",
			want: []pgvm.HBARule{
				rule("hostssl", "postgres", "fd00::1/128", "scram-sha-256"),
				rule("host", "postgres", "all", "reject"),
				rule("hostssl", "all", "0.0.0.0/0", "scram-sha-256"),
				rule("hostssl", "all", "::/0", "scram-sha-256"),
			},
		},
		"ProviderUnknown": {
			reason:  "When the provider's address is unknown the superuser has no way in over TCP",
			address: "10.0.0.5",
			want: []pgvm.HBARule{
				rule("host", "postgres", "all", "reject"),
				rule("hostssl", "all", "0.0.0.0/0", "scram-sha-256"),
				rule("hostssl", "all", "::/0", "scram-sha-256"),
			},
		},
		"LocalBackend": {
			reason:   "A local machine listens on loopback: applications come from the loopback network",
			local:    true,
			address:  "127.0.0.1",
			provider: "127.0.0.1",
			want: []pgvm.HBARule{
				rule("hostssl", "postgres", "127.0.0.1/32", "scram-sha-256"),
				rule("host", "postgres", "all", "reject"),
				rule("hostssl", "all", "127.0.0.0/8", "scram-sha-256"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := playHBA(tc.local, tc.address, tc.provider)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nplayHBA: -want +got:\n%s", tc.reason, diff)
			}
			for _, r := range got {
				if r.Type == "host" && r.Method != "reject" {
					t.Errorf("%s: a host rule lets plain text in: %+v", tc.reason, r)
				}
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
			_, err := (&connector{}).connectPlay(context.Background(), cr, &tc.pc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("connectPlay: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
