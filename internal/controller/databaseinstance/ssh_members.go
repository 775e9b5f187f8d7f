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
	key, err := providerconfig.SSHKey(ctx, c.kube, pc.SSH)
	if err != nil {
		return nil, nil, err
	}
	members := make([]member, len(p.VirtualMachines))
	addresses := make([]string, len(p.VirtualMachines))
	var opened []executor.Executor
	for n, vmName := range p.VirtualMachines {
		if members[n], addresses[n], err = c.sshMember(ctx, cr, pc, key, vmName, adminUser, deleting, !deleting); err != nil {
			closeAll(opened)
			return nil, nil, err
		}
		if members[n].inst != nil {
			opened = append(opened, members[n].inst.Exec)
		}
	}
	// Each member admits the others (replication, pg_rewind), itself
	// (its watchdog connects to its own address) and the provider, which
	// reaches every machine from the same address.
	for n := range members {
		if members[n].inst == nil {
			continue
		}
		for k := range members {
			if addresses[k] != "" {
				members[n].inst.Peers = append(members[n].inst.Peers, addresses[k])
			}
		}
		if ip := providerIP(members[n].inst.Exec); ip != "" {
			members[n].inst.Peers = append(members[n].inst.Peers, ip)
		}
	}
	return members, opened, nil
}

// sshDeparting returns the members of the machines the spec no longer
// lists that still have the instance's directory, each on its own SSH
// connection, for removal (see departing).
func (c *connector) sshDeparting(ctx context.Context, cr *v1alpha1.DatabaseInstance, pc *apisv1alpha1.ProviderConfigSpec, adminUser string) ([]member, []executor.Executor, error) {
	var out []member
	var opened []executor.Executor
	for _, vm := range departed(cr.Spec.ForProvider.VirtualMachines, cr.Status.AtProvider) {
		key, err := providerconfig.SSHKey(ctx, c.kube, pc.SSH)
		if err != nil {
			closeAll(opened)
			return nil, nil, err
		}
		m, _, err := c.sshMember(ctx, cr, pc, key, vm, adminUser, true, false)
		if err != nil {
			closeAll(opened)
			return nil, nil, err
		}
		if m.inst == nil {
			continue
		}
		opened = append(opened, m.inst.Exec)
		ok, err := dirExists(ctx, m.inst)
		if err != nil {
			closeAll(opened)
			return nil, nil, errors.Wrapf(err, errRemoveReplica, vm)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, opened, nil
}

// sshMember logs in to the machine of vmName and returns the member there
// and the machine's address. gone says a VirtualMachine that is gone
// yields a member without an instance, as while deleting; prepare runs
// the play's provisioning steps first.
func (c *connector) sshMember(ctx context.Context, cr *v1alpha1.DatabaseInstance, pc *apisv1alpha1.ProviderConfigSpec, key []byte, vmName, adminUser string, gone, prepare bool) (member, string, error) {
	m := member{vm: vmName}
	name := cr.GetNamespace() + "-" + meta.GetExternalName(cr)
	if err := safepath.Segment(name); err != nil {
		return m, "", errors.Wrapf(err, errSSHMemberDir, name)
	}
	vm, err := c.playMachine(ctx, cr.GetNamespace(), vmName, gone)
	if err != nil || vm == nil {
		return m, "", err
	}
	address := vm.Status.AtProvider.Address
	o := sshProvisionOptions(pc, vm, cr.Spec.ForProvider)
	x, err := c.dial(ctx, cr, pc.SSH, vmName, address, key)
	if err != nil && (gone || !prepare) {
		return m, "", err
	}
	if err != nil {
		// A machine the provider cannot log in to is a member that is
		// down, not a failed reconcile: the others are still looked at,
		// and a primary cut off from the provider may be replaced once
		// its watchdog has fenced it (see failoverDecision).
		m.off, m.cut, x = err.Error(), true, cutOff{err: err}
	}
	if prepare && !m.cut {
		if err := provision(ctx, x, o, vmName); err != nil {
			_ = x.Close()
			return m, "", err
		}
	}
	m.inst = postgresql.NewInstance(x, "", name, cr.Spec.ForProvider.Version, int32(o.Port), adminUser)
	m.inst.Dir = path.Join(o.Root, o.MountPoint, sshEnginesDir, name)
	m.inst.Host = address
	if c.watchdog != "" {
		// The local backend's machines, and the test hosts, have no
		// systemd: the watchdog runs detached there.
		m.wd = &memberWatchdog{binary: path.Join(o.Root, watchdogBinaryDir, "dbaas-watchdog"), systemd: pc.Backend != apisv1alpha1.BackendLocal}
	}
	return m, address, nil
}

// dirExists reports whether the member's directory exists on its machine,
// asked through its executor.
func dirExists(ctx context.Context, i *postgresql.Instance) (bool, error) {
	res, err := i.Exec.Run(ctx, executor.ShellCommand("test", "-e", i.Dir), nil)
	if err != nil {
		return false, err
	}
	return res.ExitCode == 0, nil
}

// closeAll closes the connections opened before a failure.
func closeAll(xs []executor.Executor) {
	for _, x := range xs {
		_ = x.Close()
	}
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
