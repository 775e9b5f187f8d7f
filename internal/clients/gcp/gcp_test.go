package gcp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/gcp/gcpfake"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const sshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest test@example"

func setup(t *testing.T) (*gcpfake.Rig, *Backend) {
	t.Helper()
	r := gcpfake.Start(t)
	b, err := New(context.Background(), r.Config(), nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b.pollEvery = time.Millisecond
	return r, b
}

func baseSpec(r *gcpfake.Rig) machine.Spec {
	return machine.Spec{
		CPU:          2,
		MemoryMiB:    4096,
		Disks:        []machine.Disk{{Name: "data", SizeGiB: 20}},
		Image:        r.Image(),
		SSHPublicKey: sshKey,
		UserData:     "#cloud-config\n",
		Tags:         map[string]string{"App.Kubernetes.io/Name": "PostgreSQL 17"},
		PowerState:   machine.PowerOn,
		Owner:        owner,
	}
}

// owner is the VirtualMachine the tests' machines are made for.
var owner = ownership.Owner{Namespace: "team-a", UID: "0f1e2d3c-0000-4000-8000-00000000000a"}

var id = machine.ID{Namespace: "team-a", Name: "db1"}

// converge acts as the managed reconciler does: observe; wait while the
// machine is pending; update while it differs from the spec. It returns
// the machine once it matches, and how many Updates that took.
func converge(t *testing.T, b *Backend, id machine.ID, s machine.Spec) (*machine.Machine, int) {
	t.Helper()
	ctx := context.Background()
	updates := 0
	for i := 0; i < 30; i++ {
		m, err := b.Observe(ctx, id)
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		if m == nil {
			t.Fatalf("Observe: machine %s is gone", id.Name)
		}
		if m.Pending != "" {
			continue
		}
		d := b.Differences(s, m)
		if len(d) == 0 {
			return m, updates
		}
		updates++
		if _, err := b.Update(ctx, id, s); err != nil {
			t.Fatalf("Update (differences %v): %v", d, err)
		}
	}
	t.Fatalf("machine %s did not converge on the spec", id.Name)
	return nil, 0
}

func create(t *testing.T, b *Backend, s machine.Spec) *machine.Machine {
	t.Helper()
	m, err := b.Create(context.Background(), id, s)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return m
}

func TestCreateToReadyAndDelete(t *testing.T) {
	r, b := setup(t)
	ctx := context.Background()
	s := baseSpec(r)

	m := create(t, b, s)
	if m.Pending == "" {
		t.Fatalf("Create: machine is not pending right after the insert: %+v", m)
	}
	if m.CPU != 2 || m.MemoryMiB != 4096 {
		t.Errorf("Create: cpu %d memory %d, want 2 and 4096", m.CPU, m.MemoryMiB)
	}
	first, err := b.Observe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if first.Pending == "" || !strings.Contains(first.Pending, "PROVISIONING") {
		t.Errorf("first Observe: pending %q, want the instance PROVISIONING", first.Pending)
	}
	got, updates := converge(t, b, id, s)
	if updates != 0 {
		t.Errorf("a fresh machine needed %d updates", updates)
	}
	want := &machine.Machine{
		ID:         "projects/dbaas-test/zones/europe-west1-b/instances/db1",
		Address:    got.Address,
		CPU:        2,
		MemoryMiB:  4096,
		Disks:      []machine.Disk{{Name: "data", SizeGiB: 20}},
		PowerState: machine.PowerOn,
		Zone:       "europe-west1-b",
		Owner:      &owner,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ready machine (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got.Address, "10.") {
		t.Errorf("address %q, want the instance's networkIP", got.Address)
	}

	inst := r.Instance("db1")
	if !strings.HasSuffix(inst.MachineType, "/machineTypes/custom-2-4096") {
		t.Errorf("machine type %s, want custom-2-4096", inst.MachineType)
	}
	wantLabels := map[string]string{"app_kubernetes_io_name": "postgresql_17", "dbaas-namespace": "team-a",
		"dbaas-io-namespace": "team-a", "dbaas-io-uid": owner.UID}
	if diff := cmp.Diff(wantLabels, inst.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	meta := map[string]string{}
	for _, it := range inst.Metadata.Items {
		meta[it.Key] = *it.Value
	}
	if diff := cmp.Diff(map[string]string{"user-data": "#cloud-config\n", "ssh-keys": "dbaas:" + sshKey}, meta); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if n := inst.NetworkInterfaces[0].Network; !strings.HasSuffix(n, "/global/networks/default") {
		t.Errorf("network %s, want default", n)
	}
	var data, boot int
	for _, d := range inst.Disks {
		if !d.AutoDelete {
			t.Errorf("disk %s does not go with the instance", d.DeviceName)
		}
		if d.Boot {
			boot++
			continue
		}
		data++
		if d.DeviceName != "data" || !strings.HasSuffix(d.Source, "/disks/db1-data") {
			t.Errorf("data disk: device %s source %s, want device data on disk db1-data", d.DeviceName, d.Source)
		}
	}
	if boot != 1 || data != 1 {
		t.Errorf("%d boot and %d data disks, want 1 and 1", boot, data)
	}

	if err := b.Delete(ctx, id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for i := 0; ; i++ {
		m, err := b.Observe(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			break
		}
		if m.Pending == "" {
			t.Fatalf("Observe after Delete: %+v is neither gone nor pending", m)
		}
		if err := b.Delete(ctx, id); err != nil { // as the reconciler does
			t.Fatalf("Delete again: %v", err)
		}
		if i > 10 {
			t.Fatal("the instance is never gone")
		}
	}
	if d := r.Disks(); len(d) != 0 {
		t.Errorf("disks left after delete: %v", d)
	}
	if err := b.Delete(ctx, id); err != nil {
		t.Errorf("Delete of a missing machine: %v", err)
	}
	kinds := r.Kinds()
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s=%d", k, kinds[k])
	}
	t.Logf("create to ready and delete: %d API calls:%s", r.Calls(), sb.String())
	if kinds["instances.insert"] != 1 || kinds["instances.delete"] < 1 {
		t.Errorf("calls %v: want one insert and a delete", kinds)
	}
}

func TestCreateTwiceMakesOneInstance(t *testing.T) {
	r, b := setup(t)
	s := baseSpec(r)
	create(t, b, s)
	// A second Backend, as after a restart, that does not know the zone.
	b2, err := New(context.Background(), r.Config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := b2.Create(context.Background(), id, s)
	if err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if m == nil || m.ID != "projects/dbaas-test/zones/europe-west1-b/instances/db1" {
		t.Errorf("second Create returned %+v, want the existing machine", m)
	}
	if n, _ := r.Machines("db1"); n != 1 {
		t.Errorf("%d instances, want 1", n)
	}
}

func TestUpdate(t *testing.T) {
	cases := map[string]struct {
		change func(*machine.Spec)
		want   func(*machine.Machine) string
		check  func(t *testing.T, r *gcpfake.Rig)
	}{
		"resize through a power cycle": {
			change: func(s *machine.Spec) { s.CPU, s.MemoryMiB = 4, 8192 },
			want: func(m *machine.Machine) string {
				if m.CPU != 4 || m.MemoryMiB != 8192 || m.PowerState != machine.PowerOn {
					return fmt.Sprintf("cpu %d memory %d power %s, want 4, 8192, On", m.CPU, m.MemoryMiB, m.PowerState)
				}
				return ""
			},
			check: func(t *testing.T, r *gcpfake.Rig) {
				k := r.Kinds()
				if k["instances.stop"] != 1 || k["instances.setMachineType"] != 1 || k["instances.start"] != 1 {
					t.Errorf("calls %v: want one stop, one setMachineType and one start", k)
				}
			},
		},
		"grow a disk": {
			change: func(s *machine.Spec) { s.Disks[0].SizeGiB = 30 },
			want: func(m *machine.Machine) string {
				if diff := cmp.Diff([]machine.Disk{{Name: "data", SizeGiB: 30}}, m.Disks); diff != "" {
					return diff
				}
				return ""
			},
			check: func(t *testing.T, r *gcpfake.Rig) {
				if d := r.Disk(gcpfake.Zone, "db1-data"); d == nil || d.SizeGb != 30 {
					t.Errorf("disk db1-data is %+v, want 30 GB", d)
				}
				if k := r.Kinds(); k["instances.stop"] != 0 {
					t.Errorf("growing a disk stopped the instance: %v", k)
				}
			},
		},
		"add a disk": {
			change: func(s *machine.Spec) { s.Disks = append(s.Disks, machine.Disk{Name: "wal", SizeGiB: 10}) },
			want: func(m *machine.Machine) string {
				if diff := cmp.Diff([]machine.Disk{{Name: "data", SizeGiB: 20}, {Name: "wal", SizeGiB: 10}}, m.Disks); diff != "" {
					return diff
				}
				return ""
			},
			check: func(t *testing.T, r *gcpfake.Rig) {
				d := r.Disk(gcpfake.Zone, "db1-wal")
				if d == nil || d.SizeGb != 10 || len(d.Users) != 1 {
					t.Fatalf("disk db1-wal is %+v, want 10 GB attached", d)
				}
				for _, a := range r.Instance("db1").Disks {
					if a.DeviceName == "wal" && !a.AutoDelete {
						t.Error("disk wal does not go with the instance")
					}
				}
			},
		},
		"power off": {
			change: func(s *machine.Spec) { s.PowerState = machine.PowerOff },
			want: func(m *machine.Machine) string {
				if m.PowerState != machine.PowerOff {
					return "power " + string(m.PowerState)
				}
				return ""
			},
			check: func(t *testing.T, r *gcpfake.Rig) {
				if m, _ := r.Get("db1"); m.PowerState != machine.PowerOff {
					t.Errorf("the fake says power %s", m.PowerState)
				}
			},
		},
		"predefined machine type": {
			change: func(s *machine.Spec) { s.GCP = &v1alpha1.GCPMachineParameters{MachineType: "e2-standard-4"} },
			want: func(m *machine.Machine) string {
				if m.CPU != 4 || m.MemoryMiB != 16384 {
					return fmt.Sprintf("cpu %d memory %d, want e2-standard-4's 4 and 16384", m.CPU, m.MemoryMiB)
				}
				return ""
			},
			check: func(t *testing.T, r *gcpfake.Rig) {
				if !strings.HasSuffix(r.Instance("db1").MachineType, "/e2-standard-4") {
					t.Errorf("machine type %s", r.Instance("db1").MachineType)
				}
				if k := r.Kinds(); k["machineTypes.get"] != 1 {
					t.Errorf("machineTypes.get called %d times, want once (cached)", k["machineTypes.get"])
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, b := setup(t)
			s := baseSpec(r)
			create(t, b, s)
			converge(t, b, id, s)
			tc.change(&s)
			m, updates := converge(t, b, id, s)
			if updates == 0 {
				t.Error("no Update was needed")
			}
			if msg := tc.want(m); msg != "" {
				t.Errorf("after %d updates: %s", updates, msg)
			}
			tc.check(t, r)
			if r.Operations() != 0 {
				t.Errorf("%d operations still running", r.Operations())
			}
		})
	}
}

func TestPowerOffThenOn(t *testing.T) {
	r, b := setup(t)
	s := baseSpec(r)
	create(t, b, s)
	converge(t, b, id, s)
	s.PowerState = machine.PowerOff
	if m, _ := converge(t, b, id, s); m.PowerState != machine.PowerOff {
		t.Fatalf("power %s, want Off", m.PowerState)
	}
	s.PowerState = machine.PowerOn
	if m, _ := converge(t, b, id, s); m.PowerState != machine.PowerOn {
		t.Fatalf("power %s, want On", m.PowerState)
	}
	if m, _ := r.Get("db1"); m.PowerState != machine.PowerOn {
		t.Errorf("the fake says power %s", m.PowerState)
	}
}

func TestShrinkIsRefusedAndNothingChanges(t *testing.T) {
	for name, disks := range map[string][]machine.Disk{
		"smaller": {{Name: "data", SizeGiB: 10}},
		"dropped": nil,
	} {
		t.Run(name, func(t *testing.T) {
			r, b := setup(t)
			s := baseSpec(r)
			create(t, b, s)
			converge(t, b, id, s)
			before, _ := r.Get("db1")
			s.Disks = disks
			s.CPU = 4 // a change that would be made if the shrink were not refused
			_, err := b.Update(context.Background(), id, s)
			var se *machine.ShrinkError
			if !errors.As(err, &se) || se.Disk != "data" {
				t.Fatalf("Update: %v, want a ShrinkError about disk data", err)
			}
			after, _ := r.Get("db1")
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("the machine changed (-before +after):\n%s", diff)
			}
			for _, k := range []string{"instances.stop", "instances.setMachineType", "disks.resize", "disks.insert"} {
				if n := r.Kinds()[k]; n != 0 {
					t.Errorf("%s called %d times", k, n)
				}
			}
		})
	}
}

func TestDriftIsPutRight(t *testing.T) {
	r, b := setup(t)
	s := baseSpec(r)
	create(t, b, s)
	converge(t, b, id, s)
	if err := r.Drift("db1", 8, 16384); err != nil {
		t.Fatal(err)
	}
	m, err := b.Observe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d := b.Differences(s, m); !cmp.Equal(d, []string{"cpu 8, want 2", "memoryMiB 16384, want 4096"}) {
		t.Errorf("Differences after drift: %q", d)
	}
	if m, _ := converge(t, b, id, s); m.CPU != 2 || m.MemoryMiB != 4096 {
		t.Errorf("after converging: cpu %d memory %d", m.CPU, m.MemoryMiB)
	}
}

func TestMissing(t *testing.T) {
	cases := map[string]struct {
		change     func(*machine.Spec)
		what, name string
	}{
		"image": {
			change: func(s *machine.Spec) { s.Image = "projects/debian-cloud/global/images/no-such-image" },
			what:   "image", name: "no-such-image",
		},
		"project image": {
			change: func(s *machine.Spec) { s.Image = "golden" },
			what:   "image", name: "golden",
		},
		"network": {
			change: func(s *machine.Spec) { s.Network = "nowhere" },
			what:   "network", name: "nowhere",
		},
		"subnetwork": {
			change: func(s *machine.Spec) { s.GCP = &v1alpha1.GCPMachineParameters{Subnetwork: "nosub"} },
			what:   "subnetwork", name: "nosub",
		},
		"zone": {
			change: func(s *machine.Spec) { s.GCP = &v1alpha1.GCPMachineParameters{Zone: "mars-north1-a"} },
			what:   "zone", name: "mars-north1-a",
		},
		"machine type": {
			change: func(s *machine.Spec) { s.GCP = &v1alpha1.GCPMachineParameters{MachineType: "n9-huge-1"} },
			what:   "machine type", name: "n9-huge-1",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, b := setup(t)
			s := baseSpec(r)
			tc.change(&s)
			_, err := b.Create(context.Background(), id, s)
			var me *machine.MissingError
			if !errors.As(err, &me) {
				t.Fatalf("Create: %v, want a MissingError", err)
			}
			if me.What != tc.what || me.Name != tc.name {
				t.Errorf("MissingError names %s %q, want %s %q (%v)", me.What, me.Name, tc.what, tc.name, err)
			}
			if n, _ := r.Machines("db1"); n != 0 {
				t.Errorf("%d instances made", n)
			}
		})
	}
}

func TestQuota(t *testing.T) {
	t.Run("insert", func(t *testing.T) {
		r, b := setup(t)
		s := baseSpec(r)
		s.GCP = &v1alpha1.GCPMachineParameters{MachineType: gcpfake.QuotaType}
		_, err := b.Create(context.Background(), id, s)
		var ce *machine.CapacityError
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, "Quota 'CPUS' exceeded") {
			t.Fatalf("Create: %v, want a CapacityError with GCP's message", err)
		}
		if n, _ := r.Machines("db1"); n != 0 {
			t.Errorf("%d instances made", n)
		}
	})
	t.Run("operation", func(t *testing.T) {
		// setMachineType's operation fails: the error is the operation's.
		r, b := setup(t)
		s := baseSpec(r)
		create(t, b, s)
		converge(t, b, id, s)
		s.GCP = &v1alpha1.GCPMachineParameters{MachineType: gcpfake.QuotaType}
		var err error
		for i := 0; i < 10 && err == nil; i++ {
			_, err = b.Update(context.Background(), id, s)
		}
		var ce *machine.CapacityError
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, "QUOTA_EXCEEDED") {
			t.Fatalf("Update: %v, want a CapacityError from the operation", err)
		}
		if m, _ := r.Get("db1"); m.CPU != 2 {
			t.Errorf("cpu %d: the machine type changed", m.CPU)
		}
	})
}

func TestThrottledCreateRetriesToOneInstance(t *testing.T) {
	r, b := setup(t)
	s := baseSpec(r)
	r.Throttle(3)
	transient := 0
	for i := 0; ; i++ {
		if i > 5 {
			t.Fatal("Create never succeeded")
		}
		_, err := b.Create(context.Background(), id, s)
		var te *machine.TransientError
		if errors.As(err, &te) {
			transient++
			if te.StatusCode != 429 || te.RetryAfter != time.Second {
				t.Errorf("TransientError %d after %s, want 429 after 1s", te.StatusCode, te.RetryAfter)
			}
			if !strings.Contains(te.Error(), "throttling") {
				t.Errorf("message %q does not say it is throttled", te.Error())
			}
			continue
		}
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		break
	}
	if transient != 3 {
		t.Errorf("%d transient errors, want 3", transient)
	}
	if n, _ := r.Machines("db1"); n != 1 {
		t.Errorf("%d instances, want exactly 1", n)
	}
}

func TestOtherZoneIsFoundWithoutTheSpec(t *testing.T) {
	r, b := setup(t)
	s := baseSpec(r)
	s.GCP = &v1alpha1.GCPMachineParameters{Zone: gcpfake.OtherZone}
	create(t, b, s)
	fresh, err := New(context.Background(), r.Config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := fresh.Observe(context.Background(), id)
	if err != nil || m == nil {
		t.Fatalf("Observe: %+v, %v", m, err)
	}
	if !strings.Contains(m.ID, "/zones/"+gcpfake.OtherZone+"/") {
		t.Errorf("ID %s, want the machine in %s", m.ID, gcpfake.OtherZone)
	}
	if err := fresh.Delete(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if r.Kinds()["instances.delete"] != 1 {
		t.Error("the delete did not reach the other zone")
	}
}

func TestFirewallRule(t *testing.T) {
	r, b := setup(t)
	ctx := context.Background()
	rid := machine.ID{Namespace: "team-a", Name: "db1-pg"}
	s := machine.RuleSpec{
		Ports:       []int32{5432},
		Protocol:    v1alpha1.ProtocolTCP,
		SourceCIDRs: []string{"10.0.0.0/8"},
		SourceTags:  []string{"app"},
		TargetTags:  []string{"db"},
		Priority:    900,
	}
	if got, err := b.ObserveRule(ctx, rid); err != nil || got != nil {
		t.Fatalf("ObserveRule before create: %+v, %v", got, err)
	}
	created, err := b.CreateRule(ctx, rid, s)
	if err != nil {
		t.Fatalf("CreateRule: %v", err)
	}
	if created.Pending == "" {
		t.Errorf("CreateRule: not pending while its operation runs")
	}
	got, err := b.ObserveRule(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	want := &machine.Rule{ID: got.ID, Enforced: true, Ports: []int32{5432}, Protocol: v1alpha1.ProtocolTCP,
		SourceCIDRs: []string{"10.0.0.0/8"}, SourceTags: []string{"app"}, TargetTags: []string{"db"}, Priority: 900}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule (-want +got):\n%s", diff)
	}
	fw := r.Firewall("db1-pg")
	if fw.Direction != "INGRESS" || !strings.HasSuffix(fw.Network, "/global/networks/default") || fw.Allowed[0].IPProtocol != "tcp" {
		t.Errorf("firewall %+v: want INGRESS tcp on default", fw)
	}

	s.Ports = []int32{5432, 6432}
	s.SourceTags = nil
	s.Protocol = v1alpha1.ProtocolUDP
	if _, err := b.UpdateRule(ctx, rid, s); err != nil {
		t.Fatalf("UpdateRule: %v", err)
	}
	got, _ = b.ObserveRule(ctx, rid)
	want.Ports, want.SourceTags, want.Protocol = []int32{5432, 6432}, nil, v1alpha1.ProtocolUDP
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("patched rule (-want +got):\n%s", diff)
	}
	if r.Kinds()["firewalls.patch"] != 1 {
		t.Error("the update was not a patch")
	}

	if err := b.DeleteRule(ctx, rid); err != nil {
		t.Fatalf("DeleteRule: %v", err)
	}
	if r.Firewall("db1-pg") != nil {
		t.Error("the firewall rule is still there")
	}
	if err := b.DeleteRule(ctx, rid); err != nil {
		t.Errorf("DeleteRule of a missing rule: %v", err)
	}

	s.Network = "nowhere"
	_, err = b.CreateRule(ctx, rid, s)
	var me *machine.MissingError
	if !errors.As(err, &me) || me.What != "network" || me.Name != "nowhere" {
		t.Errorf("CreateRule on a missing network: %v, want a MissingError naming it", err)
	}
}
