package databaseinstance

import (
	"context"
	"net"
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
	errLegacyCheck  = "cannot look for a server the former play made on VirtualMachine %s"
	errLegacyPlay   = "VirtualMachine %s holds this instance's server where the former single-instance play kept it (%s): the provider now keeps it in %s, and does not start an empty one beside it; move it there as the README says (Migrating single instances made by the play), or delete the instance"

	// Where applications come in from (see appNetworks).
	anyIPv4     = "0.0.0.0/0"
	anyIPv6     = "::/0"
	loopbackNet = "127.0.0.0/8"

	// sshEnginesDir is the directory below the play's mount point (the
	// data disk, when there is one) that holds the replicated engine's
	// instances on a machine, one directory per instance.
	sshEnginesDir = "dbaas"
)

// sshMembers logs in to each member's machine, one connection per member
// that the returned external closes in Disconnect, prepares the machine
// with pgvm's provisioning steps (binaries, extension packages, data disk)
// and returns the member's engine, which runs every command through that
// connection: the members of a replicated instance, or the one member of
// a single one. The server listens on the machine's address, where the
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
	// The logins run at once; what follows (pinning host keys, provisioning,
	// which may install packages) runs one machine after another.
	ls := c.logins(ctx, cr, pc.SSH, key, p.VirtualMachines, deleting)
	for n, vmName := range p.VirtualMachines {
		if members[n], addresses[n], err = c.sshMember(ctx, cr, pc, vmName, ls[n], adminUser, deleting, !deleting); err != nil {
			closeAll(opened)
			closeLogins(ls[n+1:])
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
		m, _, err := c.sshMember(ctx, cr, pc, vm, c.logins(ctx, cr, pc.SSH, key, []string{vm}, true)[0], adminUser, true, false)
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

// sshMember returns the member on the machine of vmName, which l logged in
// to, and the machine's address; it owns l's connection, which it closes
// when it fails. gone says a VirtualMachine that is gone yields a member
// without an instance, as while deleting; prepare runs the provisioning
// steps first, each failure named in the member's status.
func (c *connector) sshMember(ctx context.Context, cr *v1alpha1.DatabaseInstance, pc *apisv1alpha1.ProviderConfigSpec, vmName string, l login, adminUser string, gone, prepare bool) (member, string, error) {
	m := member{vm: vmName, systemd: pc.Backend != apisv1alpha1.BackendLocal}
	name := cr.GetNamespace() + "-" + meta.GetExternalName(cr)
	if err := safepath.Segment(name); err != nil {
		closeLogins([]login{l})
		return m, "", errors.Wrapf(err, errSSHMemberDir, name)
	}
	vm := l.vm
	if l.machineErr != nil || vm == nil {
		return m, "", l.machineErr
	}
	address := vm.Status.AtProvider.Address
	o := sshProvisionOptions(pc, vm, cr.Spec.ForProvider)
	x, err := c.pin(ctx, cr, vmName, l)
	// A single instance has no member to fail over to: a machine it cannot
	// log in to fails the reconcile with the login's error.
	replicated := cr.Spec.ForProvider.Topology == v1alpha1.TopologyPrimary
	if err != nil && (gone || !prepare || !replicated) {
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
		if err := provision(ctx, x, o, cr, vmName); err != nil {
			_ = x.Close()
			return m, "", err
		}
	}
	m.inst = postgresql.NewInstance(x, "", name, cr.Spec.ForProvider.Version, int32(o.Port), adminUser)
	m.inst.Dir = path.Join(o.Root, o.MountPoint, sshEnginesDir, name)
	m.inst.Host = address
	m.inst.Apps = appNetworks(pc.Backend == apisv1alpha1.BackendLocal, address)
	if pc.Backend != apisv1alpha1.BackendLocal {
		// A VM's address as the provider sees it may be a cloud's
		// public IP, on none of its interfaces: bind every address, as
		// pg_hba.conf still decides who gets in.
		m.inst.Listen = "*"
	}
	if prepare && !m.cut {
		// Deleting such an instance leaves the old server alone (the
		// README says so); anything else must not pass it by.
		if err := checkLegacyPlay(ctx, cr, m.inst, o, vmName); err != nil {
			_ = x.Close()
			return m, "", err
		}
	}
	if c.watchdog != "" && replicated {
		// The local backend's machines, and the test hosts, have no
		// systemd: the watchdog runs detached there. A single instance
		// gets none: with no replica to take over, fencing it would only
		// take it down while the provider is away.
		m.wd = &memberWatchdog{binary: path.Join(o.Root, watchdogBinaryDir, "dbaas-watchdog"), systemd: pc.Backend != apisv1alpha1.BackendLocal}
	}
	return m, address, nil
}

// appNetworks are where applications come in from to a member over SSH,
// with TLS and their password: on a VM every address; on the local
// backend, whose machines listen on loopback or on a test host's own
// address, the loopback network and that address.
func appNetworks(localBackend bool, address string) []string {
	if !localBackend {
		return []string{anyIPv4, anyIPv6}
	}
	apps := []string{loopbackNet}
	if ip := net.ParseIP(address); ip != nil && !ip.IsLoopback() {
		apps = append(apps, ip.String())
	}
	return apps
}

// legacyDataDir is where the former single-instance play (package pgvm
// before one engine ran every member) kept the data directory of the one
// server it made on a machine.
func legacyDataDir(o pgvm.Options) string {
	return path.Join(o.Root, pgvm.DefaultMountPoint, o.Version, "dbaas")
}

// checkLegacyPlay refuses a single instance that the former play created:
// it exists (its create succeeded), its member's directory was never
// initialized, and the play's data directory is on the machine. Going on
// would initialize an empty server beside the instance's data, on the port
// the old one still holds.
func checkLegacyPlay(ctx context.Context, cr *v1alpha1.DatabaseInstance, i *postgresql.Instance, o pgvm.Options, vm string) error {
	if cr.Spec.ForProvider.Topology == v1alpha1.TopologyPrimary || meta.GetExternalCreateSucceeded(cr).IsZero() {
		return nil
	}
	ok, err := i.Initialized(ctx)
	if err != nil || ok {
		return errors.Wrapf(err, errLegacyCheck, vm)
	}
	old := legacyDataDir(o)
	res, err := i.Exec.Run(ctx, executor.ShellCommand("test", "-e", path.Join(old, "PG_VERSION")), nil)
	if err != nil {
		return errors.Wrapf(err, errLegacyCheck, vm)
	}
	if res.ExitCode == 0 {
		return errors.Errorf(errLegacyPlay, vm, old, i.DataDir())
	}
	return nil
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

// sshProvisionOptions are pgvm's options for what a member's machine
// needs: the binaries, the extensions' packages and the data disk. On the
// local backend the machine lives below its directory and the server takes
// the machine's first port; on a VM it is the distribution's layout and
// PostgreSQL's port.
//
// The engine starts every member with pg_ctl, on VMs too, and writes no
// systemd unit: after a reboot the server comes back when the provider
// next looks (Update starts a member that does not run), not at boot. That
// is deliberate for replicated members, where a former primary that came
// back by itself after a failover would take writes beside the new one;
// the provider decides whether it starts, is fenced or rejoins. A single
// member is the same member code, and comes back the same way.
func sshProvisionOptions(pc *apisv1alpha1.ProviderConfigSpec, vm *computev1alpha1.VirtualMachine, p v1alpha1.DatabaseInstanceParameters) pgvm.Options {
	o := pgvm.Options{
		Version:         majorVersion(p.Version),
		InstallPackages: pc.SSH.Packages != apisv1alpha1.PackagesPreinstalled,
		DataDisk:        p.DataDevice,
		Extensions:      p.Extensions,
		MountPoint:      pgvm.DefaultMountPoint,
		Port:            pgvm.DefaultPort,
		Backup:          p.Backup != nil,
		Metrics:         metricsEnabled(p),
		NodeMetrics:     nodeMetricsEnabled(p),
	}
	if pc.Backend == apisv1alpha1.BackendLocal {
		at := vm.Status.AtProvider
		o.Root, o.Port = at.WorkDir, int(at.PortRangeStart)
	}
	return o
}

// provision runs pgvm's provisioning steps on a member's machine. They
// check before they change anything, so a machine that is ready costs a
// few commands. A step that fails is named in the member's status, which
// the reconciler writes with the error.
func provision(ctx context.Context, x executor.Executor, o pgvm.Options, cr *v1alpha1.DatabaseInstance, vm string) error {
	plan, err := pgvm.Provision(o)
	if err != nil {
		return errors.Wrapf(err, errProvision, vm)
	}
	if _, err := steps.Run(ctx, x, plan, func(s steps.StepStatus) {
		if s.State == steps.StateFailed {
			setStep(cr, vm, s.Step, v1alpha1.StepFailed, s.Err)
		}
	}); err != nil {
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
