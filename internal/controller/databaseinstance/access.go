package databaseinstance

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/clients/safepath"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errAccessNoKey   = "VirtualMachine %s has no pinned SSH host key yet: wait for the instance to become Ready"
	errAccessMachine = "VirtualMachine %s: %s"
)

// A Member is one of an instance's servers as another controller reaches
// it, such as the Backup controller running pgBackRest beside it.
type Member struct {
	// VM is the VirtualMachine the member runs on.
	VM string
	// Role is v1alpha1.RolePrimary or v1alpha1.RoleReplica, as the
	// instance's status last recorded it.
	Role string
	// Instance runs commands on the member's machine, as the instance
	// controller does: locally, or over SSH with the pinned host key.
	Instance *postgresql.Instance
}

// OpenMembers reaches every member of the instance cr the way its own
// controller does, and returns them in the spec's order with a function
// that closes their connections. It changes nothing on the machines and
// nothing of cr: it provisions nothing, and refuses a machine whose host
// key the instance controller has not pinned yet rather than pinning one
// itself. The caller should ask only of an instance that is Ready.
func OpenMembers(ctx context.Context, kube client.Client, o options.Options, cr *v1alpha1.DatabaseInstance) ([]Member, func(), error) {
	c := &connector{kube: kube, backends: o.Backends()}
	cr = cr.DeepCopy()
	if err := safepath.Segment(meta.GetExternalName(cr)); err != nil {
		return nil, nil, errors.Wrap(err, errExternalName)
	}
	p := cr.Spec.ForProvider
	pc, err := providerconfig.Resolve(ctx, kube, cr, c.backends.Policy)
	if err != nil {
		return nil, nil, errors.Wrap(err, errResolvePC)
	}
	adminUser := p.AdminUser
	if adminUser == "" {
		adminUser = defaultAdminUser
	}
	primary := cr.Status.AtProvider.Primary
	if primary == "" && len(p.VirtualMachines) > 0 {
		primary = primaryFirst(p)[0]
	}
	var opened []executor.Executor
	closeFn := func() { closeAll(opened) }
	out := make([]Member, 0, len(p.VirtualMachines))
	var key []byte
	var b machine.Machines
	if overSSH(pc) {
		if key, err = providerconfig.SSHKey(ctx, kube, pc.SSH); err != nil {
			return nil, nil, err
		}
	} else if b, err = backend.Connect(ctx, kube, pc, c.backends); err != nil {
		return nil, nil, errors.Wrap(err, errBackend)
	}
	for _, vm := range p.VirtualMachines {
		m := Member{VM: vm, Role: v1alpha1.RoleReplica}
		if vm == primary {
			m.Role = v1alpha1.RolePrimary
		}
		if key != nil {
			if cr.Status.AtProvider.SSHHostKeys[vm] == "" {
				closeFn()
				return nil, nil, errors.Errorf(errAccessNoKey, vm)
			}
			l := c.logins(ctx, cr, pc.SSH, key, []string{vm}, false)[0]
			sm, _, err := c.sshMember(ctx, cr, pc, vm, l, adminUser, false, false)
			if err != nil {
				closeFn()
				return nil, nil, err
			}
			opened = append(opened, sm.inst.Exec)
			m.Instance = sm.inst
		} else {
			lm, off, err := c.machine(ctx, b, cr.GetNamespace(), vm, false)
			if err != nil {
				closeFn()
				return nil, nil, err
			}
			if off != "" {
				closeFn()
				return nil, nil, errors.Errorf(errAccessMachine, vm, off)
			}
			m.Instance = postgresql.NewInstance(executor.Local{}, lm.WorkDir, meta.GetExternalName(cr), p.Version, lm.PortRangeStart, adminUser)
		}
		out = append(out, m)
	}
	return out, closeFn, nil
}
