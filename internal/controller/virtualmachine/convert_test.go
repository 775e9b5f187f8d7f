package virtualmachine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
)

func TestUpToDate(t *testing.T) {
	m := &local.Machine{CPU: 2, MemoryMiB: 1024, PowerState: local.PowerOn,
		Disks: []local.Disk{{Name: "a", SizeGiB: 1}, {Name: "b", SizeGiB: 2}}}
	base := func() v1alpha1.VirtualMachineParameters {
		return v1alpha1.VirtualMachineParameters{CPU: 2, MemoryMiB: 1024,
			Disks: []v1alpha1.Disk{{Name: "b", SizeGiB: 2}, {Name: "a", SizeGiB: 1}}}
	}
	cases := map[string]struct {
		reason string
		p      func() v1alpha1.VirtualMachineParameters
		want   bool
	}{
		"Same":   {reason: "Disk order and an empty power state (On) do not matter.", p: base, want: true},
		"CPU":    {reason: "CPU drift needs an update.", p: func() v1alpha1.VirtualMachineParameters { p := base(); p.CPU = 4; return p }, want: false},
		"Memory": {reason: "Memory drift needs an update.", p: func() v1alpha1.VirtualMachineParameters { p := base(); p.MemoryMiB = 2048; return p }, want: false},
		"Disk": {reason: "A grown disk needs an update.", p: func() v1alpha1.VirtualMachineParameters {
			p := base()
			p.Disks[0].SizeGiB = 3
			return p
		}, want: false},
		"Power": {reason: "Power drift needs an update.", p: func() v1alpha1.VirtualMachineParameters {
			p := base()
			p.PowerState = v1alpha1.PowerOff
			return p
		}, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, upToDate(tc.p(), m)); diff != "" {
				t.Errorf("%s\nupToDate(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
