package vsphere

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/vsphere/vspherefake"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

func start(t testing.TB, opts ...vspherefake.Option) (*vspherefake.Rig, *Backend) {
	t.Helper()
	rig := vspherefake.Start(t, opts...)
	b, err := New(context.Background(), rig.Config(), rig.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	return rig, b
}

func spec(rig *vspherefake.Rig) machine.Spec {
	return machine.Spec{
		CPU: 2, MemoryMiB: 2048, Image: rig.Image(), Network: vspherefake.PortGroup,
		SSHPublicKey: "ssh-ed25519 AAAAC3Nz dbaas", UserData: "#cloud-config\npackages: [postgresql]\n",
		Tags:  map[string]string{"team": "dbas"},
		Disks: []machine.Disk{{Name: "wal", SizeGiB: 2}, {Name: "data", SizeGiB: 10}},
	}
}

// observeUntil looks at the machine until ok says so, and returns it: the
// simulator applies some changes (the guest's address) a moment after
// the call that asks for them.
func observeUntil(t *testing.T, b *Backend, id machine.ID, ok func(*machine.Machine) bool) *machine.Machine {
	t.Helper()
	var m *machine.Machine
	wait.For(t, 30*time.Second, "Observe of "+id.Name, func() (bool, string) {
		var err error
		if m, err = b.Observe(context.Background(), id); err != nil {
			return false, err.Error()
		}
		return m != nil && ok(m), fmt.Sprintf("%+v", m)
	})
	return m
}

func extra(mv *mo.VirtualMachine) map[string]string {
	out := map[string]string{}
	for _, o := range mv.Config.ExtraConfig {
		v := o.GetOptionValue()
		out[v.Key] = fmt.Sprint(v.Value)
	}
	return out
}

func TestCreateObserve(t *testing.T) {
	cases := map[string]struct {
		opts    []vspherefake.Option
		power   machine.PowerState
		network string
		want    machine.PowerState
		pending bool
	}{
		"OnGetsAnAddress":        {want: machine.PowerOn, network: vspherefake.PortGroup},
		"OnDistributedPortGroup": {want: machine.PowerOn, network: vspherefake.DVPortGrp},
		"OnWithoutGuestIP":       {opts: []vspherefake.Option{vspherefake.WithoutGuestIP()}, want: machine.PowerOn, pending: true},
		"Off":                    {power: machine.PowerOff, want: machine.PowerOff},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t, tc.opts...)
			ctx := context.Background()
			id := machine.ID{Namespace: "team-a", Name: "pg-1"}
			s := spec(rig)
			s.PowerState, s.Network = tc.power, tc.network

			m, err := b.Create(ctx, id, s)
			if err != nil {
				t.Fatal(err)
			}
			wantDisks := []machine.Disk{{Name: "data", SizeGiB: 10}, {Name: "wal", SizeGiB: 2}}
			if m.CPU != 2 || m.MemoryMiB != 2048 || m.PowerState != tc.want || !cmp.Equal(m.Disks, wantDisks) || !strings.HasPrefix(m.ID, "vm-") {
				t.Fatalf("Create: %+v", m)
			}
			if d := b.Differences(s, m); len(d) != 0 {
				t.Errorf("Differences after Create: %v", d)
			}
			switch {
			case tc.want == machine.PowerOff:
				m = observeUntil(t, b, id, func(m *machine.Machine) bool { return m != nil })
				if m.Pending != "" || m.Waiting != "" || m.Address != "" {
					t.Errorf("off machine: pending %q, waiting %q, address %q", m.Pending, m.Waiting, m.Address)
				}
			case tc.pending:
				time.Sleep(100 * time.Millisecond) // the rig would have set an IP by now
				m = observeUntil(t, b, id, func(m *machine.Machine) bool { return m != nil })
				if m.Waiting != "waiting for the guest's IP address" || m.Pending != "" || m.Address != "" {
					t.Errorf("want waiting for the IP, got %+v", m)
				}
				if err := rig.SetGuestIP(id.Name, "192.0.2.7"); err != nil {
					t.Fatal(err)
				}
				m = observeUntil(t, b, id, func(m *machine.Machine) bool { return m.Address == "192.0.2.7" && m.Waiting == "" })
			default:
				m = observeUntil(t, b, id, func(m *machine.Machine) bool { return m.Address != "" })
				if !strings.HasPrefix(m.Address, "10.0.") || m.Pending != "" || m.Waiting != "" {
					t.Errorf("ready machine: %+v", m)
				}
			}

			// What vcsim holds, read around the backend.
			got, err := rig.Get(id.Name)
			if err != nil || got == nil {
				t.Fatalf("rig.Get: %v, %v", got, err)
			}
			if got.CPU != 2 || got.MemoryMiB != 2048 || got.PowerState != tc.want || !cmp.Equal(got.Disks, wantDisks) || got.ID != m.ID {
				t.Errorf("vcsim has %+v", got)
			}
			mv, err := rig.VM(id.Name, "config.extraConfig", "config.hardware.device", "network")
			if err != nil {
				t.Fatal(err)
			}
			x := extra(mv)
			md, _ := base64.StdEncoding.DecodeString(x["guestinfo.metadata"])
			var meta map[string]any
			if err := json.Unmarshal(md, &meta); err != nil || meta["local-hostname"] != "pg-1" || fmt.Sprint(meta["public-keys"]) != "[ssh-ed25519 AAAAC3Nz dbaas]" {
				t.Errorf("guestinfo.metadata %s: %v", md, err)
			}
			ud, _ := base64.StdEncoding.DecodeString(x["guestinfo.userdata"])
			if string(ud) != s.UserData || x["guestinfo.userdata.encoding"] != "base64" || x["guestinfo.dbaas.tags"] != `{"team":"dbas"}` {
				t.Errorf("extraConfig %v", x)
			}
			if tc.network != "" {
				var net mo.Network
				if err := rig.Client().RetrieveOne(ctx, mv.Network[0], []string{"name"}, &net); err != nil || net.Name != tc.network {
					t.Errorf("NIC is on %q (%v), want %q", net.Name, err, tc.network)
				}
			}
		})
	}
}

func TestCreateTwiceIsOneMachine(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	id := machine.ID{Namespace: "ns", Name: "twice"}
	m1, err := b.Create(ctx, id, spec(rig))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := b.Create(ctx, id, spec(rig))
	if err != nil {
		t.Fatal(err)
	}
	if m1.ID != m2.ID {
		t.Errorf("second Create returned %s, first %s", m2.ID, m1.ID)
	}
	if n, err := rig.Machines(id.Name); err != nil || n != 1 {
		t.Errorf("vcsim has %d machines named %s (%v), want 1", n, id.Name, err)
	}
}

func bootTime(t *testing.T, rig *vspherefake.Rig, name string) *time.Time {
	t.Helper()
	mv, err := rig.VM(name, "summary.runtime.bootTime")
	if err != nil {
		t.Fatal(err)
	}
	return mv.Summary.Runtime.BootTime
}

func TestUpdate(t *testing.T) {
	cases := map[string]struct {
		hotAdd   bool
		change   func(*machine.Spec)
		want     func(*machine.Machine) bool
		rebooted bool
	}{
		"HotCPUAndMemory": {
			hotAdd: true,
			change: func(s *machine.Spec) { s.CPU, s.MemoryMiB = 4, 4096 },
			want: func(m *machine.Machine) bool {
				return m.CPU == 4 && m.MemoryMiB == 4096 && m.PowerState == machine.PowerOn
			},
			rebooted: false,
		},
		"ColdCPUAndMemoryWithoutHotAdd": {
			change: func(s *machine.Spec) { s.CPU, s.MemoryMiB = 4, 4096 },
			want: func(m *machine.Machine) bool {
				return m.CPU == 4 && m.MemoryMiB == 4096 && m.PowerState == machine.PowerOn
			},
			rebooted: true,
		},
		"ColdCPUDecreaseEvenWithHotAdd": {
			hotAdd:   true,
			change:   func(s *machine.Spec) { s.CPU = 1 },
			want:     func(m *machine.Machine) bool { return m.CPU == 1 && m.PowerState == machine.PowerOn },
			rebooted: true,
		},
		"GrowDiskOnline": {
			change: func(s *machine.Spec) {
				s.Disks = []machine.Disk{{Name: "data", SizeGiB: 20}, {Name: "wal", SizeGiB: 2}}
			},
			want: func(m *machine.Machine) bool {
				return cmp.Equal(m.Disks, []machine.Disk{{Name: "data", SizeGiB: 20}, {Name: "wal", SizeGiB: 2}})
			},
		},
		"AddDisk": {
			change: func(s *machine.Spec) { s.Disks = append(s.Disks, machine.Disk{Name: "backup", SizeGiB: 5}) },
			want: func(m *machine.Machine) bool {
				return cmp.Equal(m.Disks, []machine.Disk{{Name: "backup", SizeGiB: 5}, {Name: "data", SizeGiB: 10}, {Name: "wal", SizeGiB: 2}})
			},
		},
		"PowerOff": {
			change:   func(s *machine.Spec) { s.PowerState = machine.PowerOff },
			want:     func(m *machine.Machine) bool { return m.PowerState == machine.PowerOff },
			rebooted: true, // boot time cleared
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t)
			ctx := context.Background()
			id := machine.ID{Namespace: "ns", Name: "resize"}
			s := spec(rig)
			if _, err := b.Create(ctx, id, s); err != nil {
				t.Fatal(err)
			}
			if tc.hotAdd {
				if err := rig.Reconfigure(id.Name, types.VirtualMachineConfigSpec{CpuHotAddEnabled: types.NewBool(true), MemoryHotAddEnabled: types.NewBool(true)}); err != nil {
					t.Fatal(err)
				}
			}
			before := bootTime(t, rig, id.Name)
			tc.change(&s)
			m, err := b.Update(ctx, id, s)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(m) {
				t.Errorf("Update returned %+v", m)
			}
			if d := b.Differences(s, m); len(d) != 0 {
				t.Errorf("Differences after Update: %v", d)
			}
			got, err := rig.Get(id.Name)
			if err != nil || !tc.want(got) {
				t.Errorf("vcsim has %+v (%v)", got, err)
			}
			after := bootTime(t, rig, id.Name)
			if rebooted := before == nil || after == nil || !after.Equal(*before); rebooted != tc.rebooted {
				t.Errorf("boot time %v → %v: power cycled %v, want %v", before, after, rebooted, tc.rebooted)
			}
		})
	}
}

func TestPowerOffAndOn(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	id := machine.ID{Namespace: "ns", Name: "power"}
	s := spec(rig)
	if _, err := b.Create(ctx, id, s); err != nil {
		t.Fatal(err)
	}
	for _, p := range []machine.PowerState{machine.PowerOff, machine.PowerOn, machine.PowerOff, ""} {
		s.PowerState = p
		m, err := b.Update(ctx, id, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rig.Get(id.Name)
		if err != nil || m.PowerState != machine.PowerOf(p) || got.PowerState != machine.PowerOf(p) {
			t.Errorf("after Update to %q: backend %s, vcsim %+v (%v)", p, m.PowerState, got, err)
		}
	}
}

func TestShrinkRefusedAndNothingChanged(t *testing.T) {
	cases := map[string][]machine.Disk{
		"Shrink":   {{Name: "data", SizeGiB: 5}, {Name: "wal", SizeGiB: 2}},
		"DropDisk": {{Name: "data", SizeGiB: 10}},
	}
	for name, disks := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t)
			ctx := context.Background()
			id := machine.ID{Namespace: "ns", Name: "shrink"}
			s := spec(rig)
			if _, err := b.Create(ctx, id, s); err != nil {
				t.Fatal(err)
			}
			before, _ := rig.Get(id.Name)
			s.Disks, s.CPU, s.PowerState = disks, 8, machine.PowerOff
			_, err := b.Update(ctx, id, s)
			var se *machine.ShrinkError
			if !errors.As(err, &se) {
				t.Fatalf("want a ShrinkError, got %v", err)
			}
			after, _ := rig.Get(id.Name)
			if !cmp.Equal(before, after) {
				t.Errorf("vcsim changed: %s", cmp.Diff(before, after))
			}
		})
	}
}

func TestDelete(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	id := machine.ID{Namespace: "ns", Name: "gone"}
	if _, err := b.Create(ctx, id, spec(rig)); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n, err := rig.Machines(id.Name); err != nil || n != 0 {
		t.Errorf("vcsim has %d machines named %s (%v) after Delete", n, id.Name, err)
	}
	if m, err := b.Observe(ctx, id); err != nil || m != nil {
		t.Errorf("Observe after Delete: %+v, %v", m, err)
	}
	if err := b.Delete(ctx, id); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

func TestMissing(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	cases := map[string]struct {
		change func(*machine.Spec)
		what   string
		name   string
	}{
		"Template":   {func(s *machine.Spec) { s.Image = "centos-6" }, "template", "centos-6"},
		"Datacenter": {func(s *machine.Spec) { s.VSphere = &v1alpha1.VSphereMachineParameters{Datacenter: "DC9"} }, "datacenter", "DC9"},
		"Cluster":    {func(s *machine.Spec) { s.VSphere = &v1alpha1.VSphereMachineParameters{Cluster: "C9"} }, "cluster", "C9"},
		"Datastore":  {func(s *machine.Spec) { s.VSphere = &v1alpha1.VSphereMachineParameters{Datastore: "SAN9"} }, "datastore", "SAN9"},
		"Folder":     {func(s *machine.Spec) { s.VSphere = &v1alpha1.VSphereMachineParameters{Folder: "nowhere"} }, "folder", "nowhere"},
		"PortGroup":  {func(s *machine.Spec) { s.Network = "VLAN 9" }, "port group", "VLAN 9"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := spec(rig)
			tc.change(&s)
			id := machine.ID{Namespace: "ns", Name: "missing-" + strings.ToLower(name)}
			_, err := b.Create(ctx, id, s)
			var me *machine.MissingError
			if !errors.As(err, &me) || me.What != tc.what || me.Name != tc.name || !strings.Contains(err.Error(), tc.name) || me.Hint == "" {
				t.Fatalf("want a MissingError for %s %q, got %v", tc.what, tc.name, err)
			}
			if n, _ := rig.Machines(id.Name); n != 0 {
				t.Errorf("%d machines made", n)
			}
		})
	}

	t.Run("ProviderConfigDatacenter", func(t *testing.T) {
		cfg := rig.Config()
		cfg.Datacenter = "DC7"
		wrong, err := New(ctx, cfg, rig.Credentials())
		if err != nil {
			t.Fatal(err)
		}
		_, err = wrong.Observe(ctx, machine.ID{Namespace: "ns", Name: "any"})
		var me *machine.MissingError
		if !errors.As(err, &me) || me.What != "datacenter" || !strings.Contains(err.Error(), `"DC7"`) {
			t.Fatalf("want a MissingError naming DC7, got %v", err)
		}
	})
}

// TestCalls measures the SOAP calls of a machine's life on vcsim.
func TestCalls(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	id := machine.ID{Namespace: "ns", Name: "counted"}
	c0 := rig.Calls()
	m, err := b.Create(ctx, id, spec(rig))
	if err != nil {
		t.Fatal(err)
	}
	c1 := rig.Calls()
	observes := 0
	for observes == 0 || m.Address == "" {
		observes++
		if m, err = b.Observe(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	c2 := rig.Calls()
	if err := b.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	c3 := rig.Calls()
	t.Logf("create %d calls, %d observes until ready %d calls, delete %d calls: %d in all", c1-c0, observes, c2-c1, c3-c2, c3-c0)
	if observes > 0 && (c2-c1)/int64(observes) != 1 {
		t.Errorf("an Observe of a known machine took %d calls, want 1", (c2-c1)/int64(observes))
	}
	if c3-c0 > 70 {
		t.Errorf("a machine's life took %d calls", c3-c0)
	}
}

// BenchmarkCreate makes b.N machines (run with -benchtime=200x).
func BenchmarkCreate(bm *testing.B) {
	rig, b := start(bm)
	ctx := context.Background()
	s := spec(rig)
	bm.ResetTimer()
	for i := range bm.N {
		if _, err := b.Create(ctx, machine.ID{Namespace: "bench", Name: fmt.Sprintf("vm-%d", i)}, s); err != nil {
			bm.Fatal(err)
		}
	}
	bm.StopTimer()
	bm.ReportMetric(float64(rig.Calls())/float64(bm.N), "calls/op")
}
