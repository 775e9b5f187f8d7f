package virtualmachine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
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
		Pending: "waiting", Disks: []machine.Disk{{Name: "a", SizeGiB: 1}}}
	want := v1alpha1.VirtualMachineObservation{ID: "vm-42", Address: "10.0.0.4", CPU: 2, MemoryMiB: 1024,
		PowerState: v1alpha1.PowerOn, Pending: "waiting", Disks: []v1alpha1.Disk{{Name: "a", SizeGiB: 1}}}
	if diff := cmp.Diff(want, observation(m)); diff != "" {
		t.Errorf("observation(...): -want, +got:\n%s", diff)
	}
}
