package azure_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/azure"
	"github.com/dbaas-io/dbaas/internal/clients/azure/azurefake"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const sshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEQQ5 test"

func start(t *testing.T) (*azurefake.Rig, *azure.Backend) {
	t.Helper()
	rig := azurefake.Start(t)
	b, err := azure.New(rig.Config(), nil, rig.Options())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return rig, b
}

func spec(rig *azurefake.Rig) machine.Spec {
	return machine.Spec{
		CPU:          2,
		MemoryMiB:    8192,
		Disks:        []machine.Disk{{Name: "data", SizeGiB: 10}},
		Image:        rig.Image(),
		Network:      rig.Subnet(),
		SSHPublicKey: sshKey,
		UserData:     "#cloud-config\npackages: [postgresql]\n",
		Tags:         map[string]string{"team": "db"},
		Owner:        owner,
	}
}

// owner is the VirtualMachine the tests' machines are made for.
var owner = ownership.Owner{Namespace: "team-a", UID: "0f1e2d3c-0000-4000-8000-00000000000a"}

var id = machine.ID{Namespace: "team-a", Name: "pg-1"}

// ready observes until the machine is no longer pending, and returns it
// with the pending messages seen on the way.
func ready(t *testing.T, b *azure.Backend, id machine.ID) (*machine.Machine, []string) {
	t.Helper()
	var seen []string
	for range 10 {
		m, err := b.Observe(context.Background(), id)
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		if m == nil {
			t.Fatal("Observe: the machine does not exist")
		}
		if m.Pending == "" {
			return m, seen
		}
		seen = append(seen, m.Pending)
	}
	t.Fatalf("still pending after 10 observations: %v", seen)
	return nil, nil
}

func create(t *testing.T, rig *azurefake.Rig, b *azure.Backend, s machine.Spec) *machine.Machine {
	t.Helper()
	m, err := b.Create(context.Background(), id, s)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if m.Pending != "provisioning state Creating" {
		t.Errorf("Create: Pending = %q, want provisioning state Creating", m.Pending)
	}
	got, _ := ready(t, b, id)
	return got
}

func TestCreateThenReady(t *testing.T) {
	cases := map[string]struct {
		image func(*azurefake.Rig) string
		want  func(*azurefake.Rig) armcompute.ImageReference
	}{
		"marketplace URN": {
			func(r *azurefake.Rig) string { return r.Image() },
			func(*azurefake.Rig) armcompute.ImageReference {
				return armcompute.ImageReference{Publisher: ptr("Canonical"), Offer: ptr("ubuntu-24_04-lts"), SKU: ptr("server"), Version: ptr("latest")}
			}},
		"image resource ID": {
			func(r *azurefake.Rig) string { return r.ImageID() },
			func(r *azurefake.Rig) armcompute.ImageReference {
				return armcompute.ImageReference{ID: ptr(r.ImageID())}
			}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t)
			s := spec(rig)
			s.Image = tc.image(rig)
			m, err := b.Create(context.Background(), id, s)
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if m.Pending != "provisioning state Creating" || m.Address == "" {
				t.Errorf("Create returned %+v; want pending with the NIC's address", m)
			}
			got, seen := ready(t, b, id)
			if len(seen) == 0 || seen[0] != "provisioning state Creating" {
				t.Errorf("pending on the way = %v; want provisioning state Creating first", seen)
			}
			want := &machine.Machine{ID: got.ID, Address: "10.0.0.4", CPU: 2, MemoryMiB: 8192,
				Disks: []machine.Disk{{Name: "data", SizeGiB: 10}}, PowerState: machine.PowerOn, Owner: &owner}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Observe: -want +got:\n%s", diff)
			}
			if !strings.HasSuffix(got.ID, "/providers/Microsoft.Compute/virtualMachines/pg-1") {
				t.Errorf("ID = %q; want the VM's ARM ID", got.ID)
			}
			if d := b.Differences(s, got); len(d) != 0 {
				t.Errorf("Differences = %v; want none", d)
			}

			vm := rig.VM("pg-1")
			p := vm.Properties
			if got := string(*p.HardwareProfile.VMSize); got != "Standard_D2s_v5" {
				t.Errorf("size %s, want Standard_D2s_v5 (the smallest with 2 CPUs and 8 GiB)", got)
			}
			if diff := cmp.Diff(tc.want(rig), *p.StorageProfile.ImageReference); diff != "" {
				t.Errorf("image: -want +got:\n%s", diff)
			}
			if *vm.Tags[azure.TagNamespace] != "team-a" || *vm.Tags["team"] != "db" {
				t.Errorf("tags = %v", vm.Tags)
			}
			dd := p.StorageProfile.DataDisks
			if len(dd) != 1 || *dd[0].Name != "pg-1-data" || *dd[0].CreateOption != armcompute.DiskCreateOptionTypesEmpty ||
				*dd[0].DeleteOption != armcompute.DiskDeleteOptionTypesDelete || *dd[0].DiskSizeGB != 10 {
				t.Errorf("data disks = %+v", dd)
			}
			if *p.StorageProfile.OSDisk.DeleteOption != armcompute.DiskDeleteOptionTypesDelete {
				t.Error("the OS disk is not deleted with the VM")
			}
			ud, _ := base64.StdEncoding.DecodeString(*p.OSProfile.CustomData)
			if string(ud) != s.UserData {
				t.Errorf("customData = %q, want base64 of the user data", ud)
			}
			lc := p.OSProfile.LinuxConfiguration
			if !*lc.DisablePasswordAuthentication || *lc.SSH.PublicKeys[0].KeyData != sshKey ||
				*lc.SSH.PublicKeys[0].Path != "/home/dbaas/.ssh/authorized_keys" || *p.OSProfile.AdminUsername != "dbaas" {
				t.Errorf("linux configuration = %+v, admin %s", lc, *p.OSProfile.AdminUsername)
			}
			if vms, nics, disks := rig.Counts(); vms != 1 || nics != 1 || disks != 2 {
				t.Errorf("fake holds %d VMs, %d NICs, %d disks; want 1, 1, 2", vms, nics, disks)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestCreateTwiceMakesOneVM(t *testing.T) {
	rig, b := start(t)
	first := create(t, rig, b, spec(rig))
	again, err := b.Create(context.Background(), id, spec(rig))
	if err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if again.ID != first.ID || again.Pending != "" {
		t.Errorf("second Create = %+v; want the existing, ready machine %s", again, first.ID)
	}
	if n, _ := rig.Machines("pg-1"); n != 1 {
		t.Errorf("%d VMs named pg-1, want 1", n)
	}
	if _, nics, _ := rig.Counts(); nics != 1 {
		t.Errorf("%d NICs, want 1", nics)
	}
}

func TestCreateRefusesAnotherNamespacesVM(t *testing.T) {
	rig, b := start(t)
	create(t, rig, b, spec(rig))
	other := machine.ID{Namespace: "team-b", Name: "pg-1"}
	s := spec(rig)
	s.Owner = ownership.Owner{Namespace: "team-b", UID: "0f1e2d3c-0000-4000-8000-00000000000b"}
	s.CPU, s.MemoryMiB = 4, 16384
	// Create finds team-a's VM and returns it as it is, with team-a's
	// marker, for the controller to refuse; nothing is changed.
	m, err := b.Create(context.Background(), other, s)
	if err != nil || m == nil || m.Owner == nil || *m.Owner != owner {
		t.Errorf("Create for another namespace = %+v, %v; want team-a's VM reported with team-a's owner", m, err)
	}
	if got, err := b.Observe(context.Background(), other); err != nil || got == nil || got.Owner == nil || *got.Owner != owner {
		t.Errorf("Observe for another namespace = %+v, %v; want team-a's owner reported", got, err)
	}
	if m, _ := rig.Get("pg-1"); m == nil || m.CPU != 2 || m.MemoryMiB != 8192 {
		t.Errorf("team-a's VM after team-b's Create: %+v; want it unchanged (2 CPUs, 8192 MiB)", m)
	}
}

func TestUpdate(t *testing.T) {
	cases := map[string]struct {
		change   func(*machine.Spec)
		size     string
		disks    []machine.Disk
		cpu, mem int32
	}{
		"resize from cpu and memory": {func(s *machine.Spec) { s.CPU, s.MemoryMiB = 4, 16384 }, "Standard_D4s_v5",
			[]machine.Disk{{Name: "data", SizeGiB: 10}}, 4, 16384},
		"resize to a named size": {func(s *machine.Spec) { s.Azure = &v1alpha1.AzureMachineParameters{Size: "Standard_E4s_v5"} }, "Standard_E4s_v5",
			[]machine.Disk{{Name: "data", SizeGiB: 10}}, 4, 32768},
		"grow a disk": {func(s *machine.Spec) { s.Disks[0].SizeGiB = 20 }, "Standard_D2s_v5",
			[]machine.Disk{{Name: "data", SizeGiB: 20}}, 2, 8192},
		"add a disk": {func(s *machine.Spec) { s.Disks = append(s.Disks, machine.Disk{Name: "wal", SizeGiB: 5}) }, "Standard_D2s_v5",
			[]machine.Disk{{Name: "data", SizeGiB: 10}, {Name: "wal", SizeGiB: 5}}, 2, 8192},
		"resize, grow and add at once": {func(s *machine.Spec) {
			s.CPU, s.MemoryMiB = 8, 32768
			s.Disks = []machine.Disk{{Name: "data", SizeGiB: 50}, {Name: "archive", SizeGiB: 100}}
		}, "Standard_D8s_v5", []machine.Disk{{Name: "archive", SizeGiB: 100}, {Name: "data", SizeGiB: 50}}, 8, 32768},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t)
			s := spec(rig)
			m := create(t, rig, b, s)
			tc.change(&s)
			if d := b.Differences(s, m); len(d) == 0 {
				t.Fatal("Differences found nothing to change")
			}
			u, err := b.Update(context.Background(), id, s)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if u.Pending == "" {
				t.Error("Update did not report the operation in flight")
			}
			got, seen := ready(t, b, id)
			if len(seen) == 0 {
				t.Error("Observe did not report the update in flight")
			}
			if d := b.Differences(s, got); len(d) != 0 {
				t.Errorf("after the update, Differences = %v", d)
			}
			if size := rig.Size("pg-1"); size != tc.size {
				t.Errorf("size %s, want %s", size, tc.size)
			}
			direct, _ := rig.Get("pg-1")
			if direct.CPU != tc.cpu || direct.MemoryMiB != tc.mem || !cmp.Equal(direct.Disks, tc.disks) {
				t.Errorf("fake holds %d CPUs, %d MiB, disks %v; want %d, %d, %v", direct.CPU, direct.MemoryMiB, direct.Disks, tc.cpu, tc.mem, tc.disks)
			}
			if _, _, disks := rig.Counts(); disks != len(tc.disks)+1 {
				t.Errorf("%d managed disks, want %d", disks, len(tc.disks)+1)
			}
		})
	}
}

func TestDriftIsSeenAndUndone(t *testing.T) {
	rig, b := start(t)
	s := spec(rig)
	create(t, rig, b, s)
	if err := rig.Drift("pg-1", 4, 16384); err != nil {
		t.Fatal(err)
	}
	m, _ := ready(t, b, id)
	if d := b.Differences(s, m); !cmp.Equal(d, []string{"size Standard_D4s_v5, want Standard_D2s_v5"}) {
		t.Errorf("Differences = %v", d)
	}
	if _, err := b.Update(context.Background(), id, s); err != nil {
		t.Fatal(err)
	}
	ready(t, b, id)
	if got := rig.Size("pg-1"); got != "Standard_D2s_v5" {
		t.Errorf("size %s after the update, want Standard_D2s_v5", got)
	}
}

func TestShrinkIsRefusedAndNothingChanges(t *testing.T) {
	cases := map[string]struct {
		disks []machine.Disk
		want  machine.ShrinkError
	}{
		"smaller disk": {[]machine.Disk{{Name: "data", SizeGiB: 5}}, machine.ShrinkError{Disk: "data", FromGiB: 10, ToGiB: 5}},
		"dropped disk": {nil, machine.ShrinkError{Disk: "data", FromGiB: 10}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t)
			s := spec(rig)
			create(t, rig, b, s)
			before, _ := rig.Get("pg-1")
			s.Disks = tc.disks
			s.CPU, s.MemoryMiB = 4, 16384 // a resize that must not happen either
			_, err := b.Update(context.Background(), id, s)
			var se *machine.ShrinkError
			if !errors.As(err, &se) || *se != tc.want {
				t.Fatalf("Update: %v; want %+v", err, tc.want)
			}
			after, _ := rig.Get("pg-1")
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("the VM changed: -before +after:\n%s", diff)
			}
			if m, err := b.Observe(context.Background(), id); err != nil || m.Pending != "" {
				t.Errorf("Observe after the refusal = %+v, %v; want no operation in flight", m, err)
			}
		})
	}
}

func TestPowerOffAndOn(t *testing.T) {
	rig, b := start(t)
	s := spec(rig)
	create(t, rig, b, s)
	for _, p := range []struct {
		want    machine.PowerState
		pending string
	}{{machine.PowerOff, "deallocating"}, {machine.PowerOn, "starting"}} {
		s.PowerState = p.want
		u, err := b.Update(context.Background(), id, s)
		if err != nil {
			t.Fatalf("Update to %s: %v", p.want, err)
		}
		if u.Pending != p.pending {
			t.Errorf("Update to %s: Pending %q, want %q", p.want, u.Pending, p.pending)
		}
		m, seen := ready(t, b, id)
		if len(seen) == 0 || !strings.HasPrefix(seen[0], "power state ") {
			t.Errorf("pending on the way to %s = %v; want the power transition", p.want, seen)
		}
		if m.PowerState != p.want {
			t.Errorf("power %s, want %s", m.PowerState, p.want)
		}
		if d := b.Differences(s, m); len(d) != 0 {
			t.Errorf("Differences = %v", d)
		}
		direct, _ := rig.Get("pg-1")
		if direct.PowerState != p.want {
			t.Errorf("fake: power %s, want %s", direct.PowerState, p.want)
		}
	}
}

// deleteAll calls Delete and Observe the way the managed reconciler does,
// until Observe finds nothing.
func deleteAll(t *testing.T, b *azure.Backend) int {
	t.Helper()
	for i := 1; i <= 10; i++ {
		if err := b.Delete(context.Background(), id); err != nil {
			t.Fatalf("Delete #%d: %v", i, err)
		}
		m, err := b.Observe(context.Background(), id)
		if err != nil {
			t.Fatalf("Observe after Delete #%d: %v", i, err)
		}
		if m == nil {
			return i
		}
	}
	t.Fatal("the machine is still there after 10 deletes")
	return 0
}

func TestDeleteRemovesVMNICAndDisks(t *testing.T) {
	rig, b := start(t)
	calls := rig.Calls()
	create(t, rig, b, spec(rig))
	toReady := rig.Calls() - calls
	deletes := deleteAll(t, b)
	total := rig.Calls() - calls
	t.Logf("ARM calls: %d from create to ready, %d from create to gone (%d Delete calls)", toReady, total, deletes)
	if vms, nics, disks := rig.Counts(); vms != 0 || nics != 0 || disks != 0 {
		t.Errorf("fake holds %d VMs, %d NICs, %d disks after delete; want none", vms, nics, disks)
	}
	if err := b.Delete(context.Background(), id); err != nil {
		t.Errorf("Delete of a deleted machine: %v", err)
	}
	// Create: get, NIC put, VM put. Ready: three observations of a VM get
	// and a NIC get. Delete: get and VM delete, then the observation that
	// sees it Deleting; get, NIC delete, and the observation finding
	// neither.
	if toReady != 9 || total != 17 {
		t.Errorf("ARM calls: %d to ready, %d in all; want 9 and 17", toReady, total)
	}
}

func TestMissing(t *testing.T) {
	cases := map[string]struct {
		change func(*azurefake.Rig, *machine.Spec) string // returns the name that is missing
		what   string
	}{
		"image": {func(_ *azurefake.Rig, s *machine.Spec) string {
			s.Image = "Canonical:no-such-offer:server:latest"
			return s.Image
		}, "image"},
		"image ID": {func(r *azurefake.Rig, s *machine.Spec) string {
			s.Image = strings.Replace(r.ImageID(), "dbaas-base", "gone", 1)
			return s.Image
		}, "image"},
		"resource group": {func(_ *azurefake.Rig, s *machine.Spec) string {
			s.Azure = &v1alpha1.AzureMachineParameters{ResourceGroup: "no-such-group"}
			return "no-such-group"
		}, "resource group"},
		"subnet": {func(_ *azurefake.Rig, s *machine.Spec) string {
			s.Network = strings.Replace(s.Network, "/subnets/default", "/subnets/nope", 1)
			return s.Network
		}, "subnet"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t)
			s := spec(rig)
			missing := tc.change(rig, &s)
			_, err := b.Create(context.Background(), id, s)
			var me *machine.MissingError
			if !errors.As(err, &me) || me.What != tc.what || me.Name != missing {
				t.Fatalf("Create: %v; want a MissingError for %s %q", err, tc.what, missing)
			}
			if !strings.Contains(err.Error(), missing) {
				t.Errorf("error %q does not name %q", err, missing)
			}
			if n, _ := rig.Machines("pg-1"); n != 0 {
				t.Errorf("%d VMs made", n)
			}
		})
	}
}

// TestCreateCutShortIsFinished: a create that made the NIC but not the VM
// leaves a machine that Observe reports, Differences says is missing its
// VM, and Update finishes.
func TestCreateCutShortIsFinished(t *testing.T) {
	rig, b := start(t)
	s := spec(rig)
	bad := s
	bad.Image = "Canonical:no-such-offer:server:latest"
	if _, err := b.Create(context.Background(), id, bad); err == nil {
		t.Fatal("Create with a missing image succeeded")
	}
	m, err := b.Observe(context.Background(), id)
	if err != nil || m == nil {
		t.Fatalf("Observe = %+v, %v; want the NIC's machine", m, err)
	}
	if d := b.Differences(s, m); len(d) != 1 || !strings.Contains(d[0], "does not exist") {
		t.Fatalf("Differences = %v; want the VM missing", d)
	}
	if _, err := b.Update(context.Background(), id, s); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, _ := ready(t, b, id)
	if got.CPU != 2 || got.PowerState != machine.PowerOn || got.Address != "10.0.0.4" {
		t.Errorf("machine after Update = %+v", got)
	}
	if _, nics, _ := rig.Counts(); nics != 1 {
		t.Errorf("%d NICs, want the one reused", nics)
	}
}

func TestQuota(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		rig, b := start(t)
		rig.OverQuota("Standard_D2s_v5")
		_, err := b.Create(context.Background(), id, spec(rig))
		var ce *machine.CapacityError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "QuotaExceeded") {
			t.Fatalf("Create: %v; want a CapacityError with QuotaExceeded", err)
		}
		if n, _ := rig.Machines("pg-1"); n != 0 {
			t.Errorf("%d VMs made", n)
		}
	})
	t.Run("resize", func(t *testing.T) {
		rig, b := start(t)
		s := spec(rig)
		create(t, rig, b, s)
		rig.OverQuota("Standard_D16s_v5")
		s.CPU, s.MemoryMiB = 16, 65536
		_, err := b.Update(context.Background(), id, s)
		var ce *machine.CapacityError
		if !errors.As(err, &ce) {
			t.Fatalf("Update: %v; want a CapacityError", err)
		}
		if got := rig.Size("pg-1"); got != "Standard_D2s_v5" {
			t.Errorf("size %s, want it unchanged", got)
		}
	})
}

func TestThrottling(t *testing.T) {
	rig, b := start(t)
	rig.Throttle(5)
	before := rig.Calls()
	start := time.Now()
	_, err := b.Create(context.Background(), id, spec(rig))
	var te *machine.TransientError
	if !errors.As(err, &te) {
		t.Fatalf("Create while throttled: %v; want a TransientError", err)
	}
	if te.StatusCode != 429 || te.RetryAfter != time.Second || !strings.Contains(err.Error(), "throttling") {
		t.Errorf("TransientError = %+v (%v); want 429 with Retry-After 1s, saying it is throttling", te, err)
	}
	// The SDK tried three times (two retries) and then gave up, within
	// seconds rather than a minute.
	if n := rig.Calls() - before; n != 3 {
		t.Errorf("%d requests while throttled, want 3 (two retries)", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the throttled call held the worker %s", d)
	}
	if _, err := b.Create(context.Background(), id, spec(rig)); err != nil {
		t.Fatalf("Create retried: %v", err)
	}
	ready(t, b, id)
	if n, _ := rig.Machines("pg-1"); n != 1 {
		t.Errorf("%d VMs, want exactly 1", n)
	}
}

func TestNew(t *testing.T) {
	rig := azurefake.Start(t)
	if _, err := azure.New(nil, nil, rig.Options()); err == nil {
		t.Error("New accepted no azure block")
	}
	if _, err := azure.New(rig.Config(), nil, azure.Options{}); err == nil || !strings.Contains(err.Error(), "needs credentials") {
		t.Errorf("New without credentials: %v", err)
	}
	if _, err := azure.New(rig.Config(), []byte(`{"tenantId":"t"}`), azure.Options{}); err == nil {
		t.Error("New accepted incomplete credentials")
	}
	if _, err := azure.New(rig.Config(), []byte(`{"tenantId":"t","clientId":"c","clientSecret":"s"}`), azure.Options{}); err != nil {
		t.Errorf("New with a service principal: %v", err)
	}
}

func ruleSpec(ports ...int32) machine.RuleSpec {
	return machine.RuleSpec{
		Ports:       ports,
		Protocol:    v1alpha1.ProtocolTCP,
		SourceCIDRs: []string{"10.1.0.0/16", "192.168.0.0/24"},
		Priority:    1000,
		Azure:       &v1alpha1.AzureFirewallRuleParameters{NetworkSecurityGroup: azurefake.NSG},
		Owner:       owner,
	}
}

func TestRules(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	rid := machine.ID{Namespace: "team-a", Name: "allow-pg"}
	if r, err := b.ObserveRule(ctx, rid); err != nil || r != nil {
		t.Fatalf("ObserveRule before create = %+v, %v", r, err)
	}
	r, err := b.CreateRule(ctx, rid, ruleSpec(5432))
	if err != nil {
		t.Fatalf("CreateRule: %v", err)
	}
	want := &machine.Rule{ID: r.ID, Enforced: true, Ports: []int32{5432}, Protocol: v1alpha1.ProtocolTCP,
		SourceCIDRs: []string{"10.1.0.0/16", "192.168.0.0/24"}, Priority: 1000, Owner: &owner}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("CreateRule: -want +got:\n%s", diff)
	}
	sr := rig.Rule("allow-pg")
	if sr == nil || *sr.Properties.Access != "Allow" || *sr.Properties.Direction != "Inbound" || *sr.Properties.Protocol != "Tcp" {
		t.Fatalf("fake rule = %+v", sr)
	}

	if _, err := b.UpdateRule(ctx, rid, ruleSpec(5432, 6432)); err != nil {
		t.Fatalf("UpdateRule: %v", err)
	}
	// A restarted provider finds the rule again by name and namespace.
	fresh, _ := azure.New(rig.Config(), nil, rig.Options())
	azure.Forget(fresh, rid)
	got, err := fresh.ObserveRule(ctx, rid)
	if err != nil || got == nil || !cmp.Equal(got.Ports, []int32{5432, 6432}) {
		t.Fatalf("ObserveRule after update = %+v, %v; want ports 5432 and 6432", got, err)
	}
	if n := len(rig.Rule("allow-pg").Properties.DestinationPortRanges); n != 2 {
		t.Errorf("fake rule has %d port ranges, want 2", n)
	}
	if r, _ := fresh.ObserveRule(ctx, machine.ID{Namespace: "team-b", Name: "allow-pg"}); r != nil {
		t.Error("another namespace's ObserveRule found team-a's rule")
	}

	if err := b.DeleteRule(ctx, rid); err != nil {
		t.Fatalf("DeleteRule: %v", err)
	}
	if r, err := b.ObserveRule(ctx, rid); err != nil || r != nil {
		t.Errorf("ObserveRule after delete = %+v, %v", r, err)
	}
	if rig.Rule("allow-pg") != nil {
		t.Error("the fake still holds the rule")
	}
	if err := b.DeleteRule(ctx, rid); err != nil {
		t.Errorf("DeleteRule of a deleted rule: %v", err)
	}
}

func TestRuleRefusals(t *testing.T) {
	_, b := start(t)
	ctx := context.Background()
	rid := machine.ID{Namespace: "team-a", Name: "allow-pg"}
	tags := ruleSpec(5432)
	tags.SourceTags = []string{"app"}
	if _, err := b.CreateRule(ctx, rid, tags); err == nil || !strings.Contains(err.Error(), "sourceTags") {
		t.Errorf("CreateRule with sourceTags: %v", err)
	}
	noNSG := ruleSpec(5432)
	noNSG.Azure = nil
	if _, err := b.CreateRule(ctx, rid, noNSG); err == nil || !strings.Contains(err.Error(), "networkSecurityGroup") {
		t.Errorf("CreateRule without an NSG: %v", err)
	}
	missing := ruleSpec(5432)
	missing.Azure = &v1alpha1.AzureFirewallRuleParameters{NetworkSecurityGroup: "no-such-nsg"}
	_, err := b.CreateRule(ctx, rid, missing)
	var me *machine.MissingError
	if !errors.As(err, &me) || me.What != "network security group" || me.Name != "no-such-nsg" {
		t.Errorf("CreateRule in a missing NSG: %v; want a MissingError naming it", err)
	}
}
