package databaseinstance

import (
	"context"
	"os"
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const errRemoveReplica = "cannot remove the replica on %s, which spec.forProvider.virtualMachines no longer lists"

// departed returns the members the last observation recorded whose
// VirtualMachine the spec no longer lists, in the recorded order: replicas
// being removed. The primary's member is never one of them, whatever the
// spec says; checkMemberChange refuses a spec that drops it.
func departed(vms []string, recorded v1alpha1.DatabaseInstanceObservation) []string {
	var out []string
	for _, m := range recorded.Members {
		if m.VirtualMachine == recorded.Primary || slices.Contains(vms, m.VirtualMachine) || slices.Contains(out, m.VirtualMachine) {
			continue
		}
		out = append(out, m.VirtualMachine)
	}
	return out
}

// departing returns the members of the departed machines that still have
// something on them. A VirtualMachine or machine that is gone took its
// member with it, as when the instance is deleted: nothing is left to stop.
func (c *connector) departing(ctx context.Context, b machine.Machines, cr *v1alpha1.DatabaseInstance, adminUser string) ([]member, error) {
	p := cr.Spec.ForProvider
	var out []member
	for _, vm := range departed(p.VirtualMachines, cr.Status.AtProvider) {
		m, _, err := c.machine(ctx, b, cr.GetNamespace(), vm, true)
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue
		}
		inst := postgresql.NewInstance(executor.Local{}, m.WorkDir, meta.GetExternalName(cr), p.Version, m.PortRangeStart, adminUser)
		if _, err := os.Stat(inst.Dir); err != nil {
			continue
		}
		out = append(out, member{vm: vm, inst: inst})
	}
	return out, nil
}

// observeDeparting keeps the members being removed in the status until
// they are gone, so that a removal cut short is found again by the next
// Connect. They take no reads: they are not among the read-only
// endpoints.
func observeDeparting(ctx context.Context, ap *v1alpha1.DatabaseInstanceObservation, departing []member) {
	for _, d := range departing {
		ap.Members = append(ap.Members, v1alpha1.Member{
			VirtualMachine: d.vm, Role: v1alpha1.RoleReplica, Address: memberHost(d.inst), Port: d.inst.Port, Running: running(ctx, d.inst),
		})
	}
}

// removeDeparting stops the replicas of machines taken off the instance
// and removes their data directories. The primary has stopped counting
// them for commits before (its synchronous_standby_names follows the
// spec), and drops their slots after, once their senders are gone
// (EnsureReplication drops inactive slots nobody needs). The data go: a
// replica is only a copy of the primary's, and without its slot the
// primary no longer keeps the WAL it would need to resume streaming; a
// machine listed again later gets a fresh copy.
func (e *external) removeDeparting(ctx context.Context) error {
	for _, d := range e.departing {
		if err := stopWatchdog(ctx, d); err != nil {
			return err
		}
		if err := stopExporters(ctx, d, exporterKinds...); err != nil {
			return err
		}
		if err := stopBackupRuns(ctx, d); err != nil {
			return err
		}
		if err := d.inst.Remove(ctx); err != nil {
			return errors.Wrapf(err, errRemoveReplica, d.vm)
		}
	}
	return nil
}
