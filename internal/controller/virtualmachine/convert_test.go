package virtualmachine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/cloudinit"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

func TestSpec(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     v1alpha1.VirtualMachineParameters
		want   machine.Spec
	}{
		"DefaultPowerIsOn": {
			reason: "An empty power state means On, as the API's default does.",
			in:     v1alpha1.VirtualMachineParameters{CPU: 2, MemoryMiB: 2048},
			want:   machine.Spec{CPU: 2, MemoryMiB: 2048, PowerState: machine.PowerOn},
		},
		"EverythingCarried": {
			reason: "Common fields and the backend's block reach the backend unchanged.",
			in: v1alpha1.VirtualMachineParameters{CPU: 4, MemoryMiB: 8192, Image: "ubuntu", Network: "db",
				SSHPublicKey: "ssh-ed25519 AAAA", UserData: "#cloud-config", Tags: map[string]string{"team": "a"},
				PowerState: v1alpha1.PowerOff, Disks: []v1alpha1.Disk{{Name: "data", SizeGiB: 20}},
				VSphere: &v1alpha1.VSphereMachineParameters{Folder: "db"}},
			want: machine.Spec{CPU: 4, MemoryMiB: 8192, Image: "ubuntu", Network: "db",
				SSHPublicKey: "ssh-ed25519 AAAA", UserData: "#cloud-config", Tags: map[string]string{"team": "a"},
				PowerState: machine.PowerOff, Disks: []machine.Disk{{Name: "data", SizeGiB: 20}},
				VSphere: &v1alpha1.VSphereMachineParameters{Folder: "db"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, spec(tc.in)); diff != "" {
				t.Errorf("%s\nspec(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestObservation(t *testing.T) {
	m := &machine.Machine{ID: "vm-42", Address: "10.0.0.4", CPU: 2, MemoryMiB: 1024, PowerState: machine.PowerOn,
		Pending: "waiting", Disks: []machine.Disk{{Name: "a", SizeGiB: 1}}, Zone: "2"}
	want := v1alpha1.VirtualMachineObservation{ID: "vm-42", Address: "10.0.0.4", CPU: 2, MemoryMiB: 1024,
		PowerState: v1alpha1.PowerOn, Pending: "waiting", Disks: []v1alpha1.Disk{{Name: "a", SizeGiB: 1}}, Zone: "2"}
	if diff := cmp.Diff(want, observation(m)); diff != "" {
		t.Errorf("observation(...): -want, +got:\n%s", diff)
	}
}

func TestExternalSpec(t *testing.T) {
	const key = "ssh-ed25519 AAAAprovider"
	login := &cloudinit.User{Name: "ops", AuthorizedKey: key}
	withUser := func(ud string) string {
		t.Helper()
		out, err := cloudinit.WithUser(ud, *login)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	_, errBadYAML := cloudinit.WithUser("#cloud-config\n[", *login)
	type want struct {
		spec machine.Spec
		err  error
	}
	cases := map[string]struct {
		reason string
		login  *cloudinit.User
		in     v1alpha1.VirtualMachineParameters
		want   want
	}{
		"NoSSHBlock": {
			reason: "Without an ssh block the spec is the parameters'.",
			in:     v1alpha1.VirtualMachineParameters{CPU: 1, UserData: "#!/bin/sh"},
			want:   want{spec: machine.Spec{CPU: 1, UserData: "#!/bin/sh", PowerState: machine.PowerOn}},
		},
		"NoOwnKey": {
			reason: "The provider's key is the machine's key too when it has none.",
			login:  login,
			in:     v1alpha1.VirtualMachineParameters{CPU: 1},
			want:   want{spec: machine.Spec{CPU: 1, UserData: withUser(""), SSHPublicKey: key, PowerState: machine.PowerOn}},
		},
		"OwnKey": {
			reason: "A machine's own key stays; the provider's goes through cloud-init only.",
			login:  login,
			in:     v1alpha1.VirtualMachineParameters{CPU: 1, SSHPublicKey: "ssh-rsa AAAAown", UserData: "#!/bin/sh"},
			want:   want{spec: machine.Spec{CPU: 1, UserData: withUser("#!/bin/sh"), SSHPublicKey: "ssh-rsa AAAAown", PowerState: machine.PowerOn}},
		},
		"BadUserData": {
			reason: "User data the user cannot be added to is an error that says where.",
			login:  login,
			in:     v1alpha1.VirtualMachineParameters{UserData: "#cloud-config\n["},
			want:   want{err: errors.Wrap(errBadYAML, errUserData)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{login: tc.login}
			got, err := e.spec(&v1alpha1.VirtualMachine{Spec: v1alpha1.VirtualMachineSpec{ForProvider: tc.in}})
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Fatalf("%s\ne.spec(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want.spec, got); diff != "" {
				t.Errorf("%s\ne.spec(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
