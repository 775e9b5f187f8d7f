package databaseinstance

import (
	"context"
	"path"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/clients/safepath"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errSSHMemberDir = "the instance's directory name %q on the machines"
	errProvision    = "cannot prepare VirtualMachine %s for PostgreSQL"

	// sshEnginesDir is the directory below the play's mount point (the
	// data disk, when there is one) that holds the replicated engine's
	// instances on a machine, one directory per instance.
	sshEnginesDir = "dbaas"
)

// replicatedOverSSH reports whether the instance's members are engines of
// package postgresql on machines reached over SSH: a replicated instance
// whose provider config has spec.ssh. A single one over SSH keeps the play
// of package pgvm.
func replicatedOverSSH(pc *apisv1alpha1.ProviderConfigSpec, p v1alpha1.DatabaseInstanceParameters) bool {
	return pc.SSH != nil && p.Topology == v1alpha1.TopologyPrimary
}

// sshMembers logs in to each member's machine, one connection per member
// that the returned external closes in Disconnect, prepares the machine
// with the play's provisioning steps (binaries, extension packages, data
// disk) and returns the member's engine, which runs every command through
// that connection. The server listens on the machine's address, where the
// provider and the other members reach it. A machine that is gone while
// deleting took its member with it: nil instance. A machine that cannot be
// reached fails the reconcile: over SSH the provider cannot tell a machine
// that is off from one it is cut off from, so it changes nothing.
func (c *connector) sshMembers(ctx context.Context, cr *v1alpha1.DatabaseInstance, pc *apisv1alpha1.ProviderConfigSpec, adminUser string, deleting bool) ([]member, []executor.Executor, error) {
	p := cr.Spec.ForProvider
	name := cr.GetNamespace() + "-" + meta.GetExternalName(cr)
	if err := safepath.Segment(name); err != nil {
		return nil, nil, errors.Wrapf(err, errSSHMemberDir, name)
	}
	key, err := providerconfig.SSHKey(ctx, c.kube, pc.SSH)
	if err != nil {
		return nil, nil, err
	}
	members := make([]member, len(p.VirtualMachines))
	vms := make([]*computev1alpha1.VirtualMachine, len(p.VirtualMachines))
	var opened []executor.Executor
	fail := func(err error) ([]member, []executor.Executor, error) {
		for _, x := range opened {
			_ = x.Close()
		}
		return nil, nil, err
	}
	for n, vmName := range p.VirtualMachines {
		members[n].vm = vmName
		vm, err := c.playMachine(ctx, cr.GetNamespace(), vmName, deleting)
		if err != nil {
			return fail(err)
		}
		if vm == nil {
			continue
		}
		vms[n] = vm
		x, err := c.dial(ctx, cr, pc.SSH, vmName, vm.Status.AtProvider.Address, key)
		if err != nil {
			return fail(err)
		}
		opened = append(opened, x)
		o := sshProvisionOptions(pc, vm, p)
		if !deleting {
			if err := provision(ctx, x, o, vmName); err != nil {
				return fail(err)
			}
		}
		inst := postgresql.NewInstance(x, "", name, p.Version, int32(o.Port), adminUser)
		inst.Dir = path.Join(o.Root, o.MountPoint, sshEnginesDir, name)
		inst.Host = vm.Status.AtProvider.Address
		members[n].inst = inst
	}
	// Each member admits the others (replication, pg_rewind) and the
	// provider, which reaches every machine from the same address.
	for n := range members {
		if members[n].inst == nil {
			continue
		}
		for k := range members {
			if k != n && vms[k] != nil {
				members[n].inst.Peers = append(members[n].inst.Peers, vms[k].Status.AtProvider.Address)
			}
		}
		if ip := providerIP(members[n].inst.Exec); ip != "" {
			members[n].inst.Peers = append(members[n].inst.Peers, ip)
		}
	}
	return members, opened, nil
}

// sshProvisionOptions are the play's options for what a member's machine
// needs: the binaries, the extensions' packages and the data disk. On the
// local backend the machine lives below its directory and the server takes
// the machine's first port, as the play does there; on a VM it is the
// distribution's layout and PostgreSQL's port.
func sshProvisionOptions(pc *apisv1alpha1.ProviderConfigSpec, vm *computev1alpha1.VirtualMachine, p v1alpha1.DatabaseInstanceParameters) pgvm.Options {
	o := pgvm.Options{
		Version:         majorVersion(p.Version),
		OSUser:          playSuperuser,
		InstallPackages: pc.SSH.Packages != apisv1alpha1.PackagesPreinstalled,
		DataDisk:        p.DataDevice,
		Extensions:      p.Extensions,
		MountPoint:      pgvm.DefaultMountPoint,
		Port:            pgvm.DefaultPort,
		ServiceMode:     pgvm.ServicePgCtl,
	}
	if pc.Backend == apisv1alpha1.BackendLocal {
		at := vm.Status.AtProvider
		o.Root, o.Port = at.WorkDir, int(at.PortRangeStart)
	}
	return o
}

// provision runs the play's provisioning steps on a member's machine. They
// check before they change anything, so a machine that is ready costs a
// few commands.
func provision(ctx context.Context, x executor.Executor, o pgvm.Options, vm string) error {
	plan, err := pgvm.Provision(o)
	if err != nil {
		return errors.Wrapf(err, errProvision, vm)
	}
	if _, err := steps.Run(ctx, x, plan, nil); err != nil {
		return errors.Wrapf(err, errProvision, vm)
	}
	return nil
}

// majorVersion is the major part of a PostgreSQL version: "15" of "15.4".
func majorVersion(v string) string {
	for n := range len(v) {
		if v[n] == '.' {
			return v[:n]
		}
	}
	return v
}
