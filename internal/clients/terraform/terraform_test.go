package terraform

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/terraform/tfefake"
)

func newBackend(t *testing.T, autoApply bool) (*Backend, *tfefake.Rig) {
	t.Helper()
	rig := tfefake.Start(t, autoApply)
	b, err := New(rig.ProviderConfig().Terraform, rig.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	return b, rig
}

func spec() machine.Spec {
	return machine.Spec{CPU: 2, MemoryMiB: 2048, Image: tfefake.FakeImage, Network: "lan",
		Disks: []machine.Disk{{Name: "data", SizeGiB: 10}}, Tags: map[string]string{"team": "db"},
		UserData: "#cloud-config", Terraform: &v1alpha1.TerraformMachineParameters{Variables: map[string]string{"zone": "b"}},
		Owner: owner}
}

// owner is the VirtualMachine the tests' machines are made for.
var owner = ownership.Owner{Namespace: "team-a", UID: "0f1e2d3c-0000-4000-8000-00000000000a"}

var ctx = context.Background()

// ready observes until the machine is no longer pending, returning the
// pending messages seen on the way.
func ready(t *testing.T, b *Backend, id machine.ID) (*machine.Machine, []string) {
	t.Helper()
	var seen []string
	for range 20 {
		m, err := b.Observe(ctx, id)
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		if m == nil {
			t.Fatal("Observe found no machine")
		}
		if m.Pending == "" {
			return m, seen
		}
		seen = append(seen, m.Pending)
	}
	t.Fatalf("still pending after 20 observes: %v", seen)
	return nil, nil
}

func TestCreateToReadyAndDelete(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "team-a", Name: "vm1"}
	if m, err := b.Observe(ctx, id); m != nil || err != nil {
		t.Fatalf("Observe before create = %v, %v", m, err)
	}
	start := rig.Calls()
	m, err := b.Create(ctx, id, spec())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Pending, "run run-") || !strings.HasSuffix(m.Pending, " is pending") {
		t.Errorf("Create's machine pending %q", m.Pending)
	}
	createCalls := rig.Calls() - start
	m, seen := ready(t, b, id)
	want := []string{"is planning", "is planned", "is applying"}
	if len(seen) != len(want) {
		t.Fatalf("pending messages %q, want run states %v", seen, want)
	}
	for i := range want {
		if !strings.HasSuffix(seen[i], want[i]) {
			t.Errorf("pending %q, want ... %s", seen[i], want[i])
		}
	}
	if !strings.HasPrefix(m.Address, "10.") || m.CPU != 2 || m.MemoryMiB != 2048 || m.PowerState != machine.PowerOn ||
		len(m.Disks) != 1 || m.Disks[0] != (machine.Disk{Name: "data", SizeGiB: 10}) || !strings.HasPrefix(m.ID, "ws-") {
		t.Errorf("ready machine %+v", m)
	}
	if d := b.Differences(spec(), m); len(d) != 0 {
		t.Errorf("Differences of a fresh machine: %v", d)
	}
	got, _ := rig.Get("vm1")
	if got == nil || got.Address != m.Address || got.CPU != 2 {
		t.Errorf("the fake's outputs %+v, Observe %+v", got, m)
	}
	if main := rig.MainTF("vm1"); !strings.Contains(main, `source = "`+tfefake.ModuleSource+`"`) || !strings.Contains(main, `zone = var.zone`) {
		t.Errorf("uploaded main.tf:\n%s", main)
	}
	if v, _ := rig.Variable("vm1", "user_data"); v != "#cloud-config" {
		t.Errorf("user_data variable %q", v)
	}
	readyCalls := rig.Calls() - start

	// Delete: a destroy run, then the workspace goes.
	if err := b.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	var gone bool
	var destroySeen []string
	for range 20 {
		m, err := b.Observe(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			gone = true
			break
		}
		if !strings.HasPrefix(m.Pending, "destroy run run-") {
			t.Fatalf("a machine being destroyed says %q", m.Pending)
		}
		destroySeen = append(destroySeen, m.Pending)
		if err := b.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if !gone {
		t.Fatalf("workspace not gone: %v", destroySeen)
	}
	// The fake's safe delete refuses a workspace whose state still has
	// resources, so the workspace went only after the destroy applied.
	if len(destroySeen) < 2 || !strings.HasSuffix(destroySeen[0], "is planning") {
		t.Errorf("destroy run progress %v", destroySeen)
	}
	if n, _ := rig.Machines("vm1"); n != 0 {
		t.Errorf("%d workspaces after delete", n)
	}
	if err := b.Delete(ctx, id); err != nil {
		t.Errorf("deleting a missing machine: %v", err)
	}
	t.Logf("API calls: create %d, create to ready %d, create to deleted %d (runs: %d observes to ready)",
		createCalls, readyCalls, rig.Calls()-start, len(seen)+1)
}

func TestCreateTwiceMakesOneWorkspace(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "team-a", Name: "vm1"}
	if _, err := b.Create(ctx, id, spec()); err != nil {
		t.Fatal(err)
	}
	m, err := b.Create(ctx, id, spec())
	if err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if n, _ := rig.Machines("vm1"); n != 1 {
		t.Errorf("%d workspaces, want 1", n)
	}
	if rig.Runs("vm1") != 1 || m.Pending == "" {
		t.Errorf("second Create queued another run (%d runs) or is not pending (%q)", rig.Runs("vm1"), m.Pending)
	}
	// Another namespace's Create finds team-a's workspace and returns it
	// untouched, with team-a's owner, for the controller to refuse.
	other := spec()
	other.Owner = ownership.Owner{Namespace: "team-b", UID: "0f1e2d3c-0000-4000-8000-00000000000b"}
	m, err = b.Create(ctx, machine.ID{Namespace: "team-b", Name: "vm1"}, other)
	if err != nil || m == nil || m.Owner == nil || *m.Owner != owner {
		t.Errorf("another namespace's vm1 = %+v, %v; want team-a's workspace with team-a's owner", m, err)
	}
	if rig.Runs("vm1") != 1 {
		t.Errorf("another namespace's Create queued a run in team-a's workspace: %d runs, want 1", rig.Runs("vm1"))
	}
}

func createReady(t *testing.T, b *Backend, id machine.ID, s machine.Spec) *machine.Machine {
	t.Helper()
	if _, err := b.Create(ctx, id, s); err != nil {
		t.Fatal(err)
	}
	m, _ := ready(t, b, id)
	return m
}

func TestUpdateCPUAndGrowDisk(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	m := createReady(t, b, id, spec())
	s := spec()
	s.CPU = 4
	s.Disks = []machine.Disk{{Name: "data", SizeGiB: 30}, {Name: "logs", SizeGiB: 5}}
	d := b.Differences(s, m)
	if len(d) == 0 {
		t.Fatal("no differences for a new cpu and disks")
	}
	u, err := b.Update(ctx, id, s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u.Pending, "is pending") || rig.Runs("vm1") != 2 {
		t.Errorf("Update: pending %q, %d runs", u.Pending, rig.Runs("vm1"))
	}
	// A second Update while the run is under way queues nothing.
	u, err = b.Update(ctx, id, s)
	if err != nil || u.Pending == "" || rig.Runs("vm1") != 2 {
		t.Errorf("Update during a run: %v, %q, %d runs", err, u.Pending, rig.Runs("vm1"))
	}
	m, _ = ready(t, b, id)
	if m.CPU != 4 || len(m.Disks) != 2 || m.Disks[0].SizeGiB != 30 || m.Disks[1] != (machine.Disk{Name: "logs", SizeGiB: 5}) {
		t.Errorf("after update %+v", m)
	}
	if d := b.Differences(s, m); len(d) != 0 {
		t.Errorf("Differences after update: %v", d)
	}
}

func TestShrinkRefusedAndNothingChanged(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	createReady(t, b, id, spec())
	before, _ := rig.Variable("vm1", "disks")
	s := spec()
	s.CPU = 8
	s.Disks = []machine.Disk{{Name: "data", SizeGiB: 5}}
	_, err := b.Update(ctx, id, s)
	var shrink *machine.ShrinkError
	if !errors.As(err, &shrink) || shrink.Disk != "data" || shrink.FromGiB != 10 || shrink.ToGiB != 5 {
		t.Fatalf("Update shrinking a disk: %v", err)
	}
	s.Disks = nil
	if _, err := b.Update(ctx, id, s); !errors.As(err, &shrink) || shrink.ToGiB != 0 {
		t.Fatalf("Update dropping a disk: %v", err)
	}
	after, _ := rig.Variable("vm1", "disks")
	cpu, _ := rig.Variable("vm1", "cpu")
	if rig.Runs("vm1") != 1 || after != before || cpu != "2" {
		t.Errorf("a refused update changed things: %d runs, disks %q -> %q, cpu %s", rig.Runs("vm1"), before, after, cpu)
	}
}

func TestDriftIsCorrected(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	createReady(t, b, id, spec())
	if err := rig.Drift("vm1", 16, 65536); err != nil {
		t.Fatal(err)
	}
	m, err := b.Observe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d := strings.Join(b.Differences(spec(), m), "; ")
	for _, want := range []string{"cpu 16, want 2", `variable cpu is "16" in the workspace, want "2"`, `variable memory_mib is "65536"`} {
		if !strings.Contains(d, want) {
			t.Errorf("Differences %q lacks %q", d, want)
		}
	}
	if _, err := b.Update(ctx, id, spec()); err != nil {
		t.Fatal(err)
	}
	m, _ = ready(t, b, id)
	if m.CPU != 2 || m.MemoryMiB != 2048 || len(b.Differences(spec(), m)) != 0 {
		t.Errorf("after correcting drift %+v: %v", m, b.Differences(spec(), m))
	}
}

func TestVariableChangedBehindOurBack(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	createReady(t, b, id, spec())
	// Only the variable changes, no run: the outputs still match the spec.
	if err := rig.SetVariable("vm1", "zone", "c"); err != nil {
		t.Fatal(err)
	}
	m, err := b.Observe(ctx, id)
	if err != nil || m.Pending != "" {
		t.Fatalf("Observe: %+v, %v", m, err)
	}
	d := b.Differences(spec(), m)
	if len(d) != 1 || d[0] != `variable zone is "c" in the workspace, want "b"` {
		t.Fatalf("Differences %q", d)
	}
	if _, err := b.Update(ctx, id, spec()); err != nil {
		t.Fatal(err)
	}
	m, _ = ready(t, b, id)
	if v, _ := rig.Variable("vm1", "zone"); v != "b" || len(b.Differences(spec(), m)) != 0 || rig.Runs("vm1") != 2 {
		t.Errorf("zone %q after update, differences %v, %d runs", v, b.Differences(spec(), m), rig.Runs("vm1"))
	}
}

func TestModuleChangeUploadsConfiguration(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	createReady(t, b, id, spec())
	cfg := rig.ProviderConfig().Terraform
	cfg.Module.Version = "2.0.0"
	b2, err := New(cfg, rig.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	m, err := b2.Observe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d := b2.Differences(spec(), m)
	if len(d) != 1 || !strings.HasPrefix(d[0], "configuration ") {
		t.Fatalf("Differences after a module change: %v", d)
	}
	if _, err := b2.Update(ctx, id, spec()); err != nil {
		t.Fatal(err)
	}
	if main := rig.MainTF("vm1"); !strings.Contains(main, `version = "2.0.0"`) {
		t.Errorf("main.tf after the module change:\n%s", main)
	}
	m, _ = ready(t, b2, id)
	if d := b2.Differences(spec(), m); len(d) != 0 {
		t.Errorf("Differences after the upload: %v", d)
	}
}

func TestWaitsForApproval(t *testing.T) {
	b, rig := newBackend(t, false)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	if _, err := b.Create(ctx, id, spec()); err != nil {
		t.Fatal(err)
	}
	var m *machine.Machine
	for range 5 {
		var err error
		if m, err = b.Observe(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasSuffix(m.Pending, "waits for approval in Terraform") || !strings.HasPrefix(m.Pending, "run run-") {
		t.Fatalf("pending %q", m.Pending)
	}
	if got, _ := rig.Get("vm1"); got != nil {
		t.Fatal("an unapproved run made the machine")
	}
	if n := rig.ApproveRuns(); n != 1 {
		t.Fatalf("approved %d runs", n)
	}
	m, _ = ready(t, b, id)
	if m.CPU != 2 || m.Address == "" {
		t.Errorf("after approval %+v", m)
	}
}

func TestErroredRun(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	rig.FailNextRun()
	if _, err := b.Create(ctx, id, spec()); err != nil {
		t.Fatal(err)
	}
	var m *machine.Machine
	for range 5 {
		var err error
		if m, err = b.Observe(ctx, id); err != nil {
			t.Fatal(err)
		}
		if m.Failed != "" {
			break
		}
	}
	if m == nil || !strings.Contains(m.Failed, "errored") || !strings.Contains(m.Failed, "/runs/run-") {
		t.Fatalf("Observe of an errored run: want Failed naming the run, got %+v", m)
	}
	// Nothing the provider sets differs, so the failed run is not queued
	// again; a changed spec is.
	if d := b.Differences(spec(), m); len(d) != 0 {
		t.Errorf("Differences after a failed run with an unchanged spec: %v", d)
	}
	changed := spec()
	changed.CPU++
	if d := b.Differences(changed, m); len(d) == 0 {
		t.Error("Differences after a failed run with a changed spec: none")
	}
}

func TestUnknownOrganization(t *testing.T) {
	rig := tfefake.Start(t, true)
	cfg := rig.ProviderConfig().Terraform
	cfg.Organization = "nobody"
	b, err := New(cfg, rig.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Create(ctx, machine.ID{Namespace: "ns", Name: "vm1"}, spec())
	var missing *machine.MissingError
	if !errors.As(err, &missing) || missing.What != "organization" || missing.Name != "nobody" {
		t.Errorf("Create in an unknown organization: %v", err)
	}
}

func TestThrottled(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	rig.Throttle(5)
	var transient *machine.TransientError
	for i := range 5 {
		start := time.Now()
		_, err := b.Create(ctx, id, spec())
		if !errors.As(err, &transient) || transient.StatusCode != 429 || transient.RetryAfter != time.Second {
			t.Fatalf("Create %d while throttled: %v", i, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("a throttled Create blocked %s", d)
		}
	}
	if rig.Calls() > 6 { // the ping in New, and one request per throttled Create
		t.Errorf("%d calls: go-tfe retried a 429", rig.Calls())
	}
	if _, err := b.Create(ctx, id, spec()); err != nil {
		t.Fatalf("Create after the throttling: %v", err)
	}
	if n, _ := rig.Machines("vm1"); n != 1 {
		t.Errorf("%d workspaces, want 1", n)
	}
	if m, _ := ready(t, b, id); m.CPU != 2 {
		t.Errorf("machine %+v", m)
	}
}

func TestThrottledMidCreate(t *testing.T) {
	// Throttled after the workspace is made: the retry finds it and
	// finishes the create, with exactly one workspace and one run.
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "vm1"}
	calls := rig.Calls()
	if _, err := b.Create(ctx, id, spec()); err != nil {
		t.Fatal(err)
	}
	perCreate := rig.Calls() - calls
	// Cut a second machine's create short after the workspace and some
	// of its variables are made.
	id2 := machine.ID{Namespace: "ns", Name: "vm2"}
	rig.ThrottleAfter(3, 100)
	_, err := b.Create(ctx, id2, spec())
	var transient *machine.TransientError
	if !errors.As(err, &transient) {
		t.Fatalf("create cut short: %v (a create takes %d calls)", err, perCreate)
	}
	rig.Throttle(0)
	for range 3 {
		m, err := b.Observe(ctx, id2)
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			if _, err := b.Create(ctx, id2, spec()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if m.Pending == "" {
			if _, err := b.Update(ctx, id2, spec()); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, _ := ready(t, b, id2)
	if n, _ := rig.Machines("vm2"); n != 1 || m.CPU != 2 || rig.Runs("vm2") != 1 {
		t.Errorf("%d workspaces, %d runs, machine %+v", n, rig.Runs("vm2"), m)
	}
}

func TestRulesRefused(t *testing.T) {
	b, _ := newBackend(t, true)
	id := machine.ID{Namespace: "ns", Name: "r1"}
	want := "the terraform backend has no FirewallRule: express network rules in the workspace's module " + tfefake.ModuleSource
	if _, err := b.CreateRule(ctx, id, machine.RuleSpec{}); err == nil || err.Error() != want || !errors.Is(err, ErrNoFirewallRule) {
		t.Errorf("CreateRule: %v", err)
	}
	if _, err := b.UpdateRule(ctx, id, machine.RuleSpec{}); err == nil || err.Error() != want {
		t.Errorf("UpdateRule: %v", err)
	}
	if r, err := b.ObserveRule(ctx, id); r != nil || err != nil {
		t.Errorf("ObserveRule: %v, %v", r, err)
	}
	if err := b.DeleteRule(ctx, id); err != nil {
		t.Errorf("DeleteRule: %v", err)
	}
}
