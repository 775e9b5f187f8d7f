package databaseinstance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/clients/safepath"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
	"github.com/dbaas-io/dbaas/internal/engine/pgparams"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errTrackUsage     = "cannot track ProviderConfig usage"
	errResolvePC      = "cannot resolve provider config"
	errBackend        = "cannot set up the machine backend"
	errEngine         = "unsupported engine %q"
	errTopology       = "topology %q needs exactly %d virtual machine(s), got %d"
	errUnknownTopo    = "unsupported topology %q"
	errGetVM          = "cannot get VirtualMachine %s"
	errVMNotReady     = "VirtualMachine %s is not ready yet"
	errVMOff          = "VirtualMachine %s is powered off"
	errObserveMachine = "cannot observe the machine of VirtualMachine %s"
	errNoMachine      = "the machine of VirtualMachine %s does not exist"
	errReplicas       = "topology %q needs replicas between 1 and %d"
	errQuorum         = "replication.syncQuorum %d cannot exceed replicas %d"
	errPrimaryNotVM   = "primary %q is not one of virtualMachines"
	errExternalName   = "the crossplane.io/external-name annotation cannot name the instance's directory"
	errStopWaiting    = "stopped waiting after %s for %s to be deleted first; what they made on the server goes with the instance, their objects are left behind"

	defaultAdminUser = "postgres"
	maxReplicas      = 5
)

type connector struct {
	kube client.Client
	// live reads from the API server, past the manager's cache.
	live   client.Reader
	record event.Recorder
	log    logging.Logger
	usage  *resource.ProviderConfigUsageTracker
	// backends reach the machines members run on, and say what
	// namespaced ProviderConfigs may reach.
	backends backend.Options
	hooks    hooks
	// deleteBound is how long a delete waits for the instance's
	// dependents before it goes on without them.
	deleteBound time.Duration
	// watchdog is the dbaas-watchdog binary installed beside every member
	// of a replicated instance over SSH; empty installs none.
	watchdog string
	// backupRoot is where posix BackupStores live on the machines; memos
	// what the provider remembers of each instance's backups.
	backupRoot string
	memos      *backupMemos
	// sightings are when each instance's primary was last seen answering.
	sightings *sightings
}

// Connect resolves where the instance's members run and its passwords.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.TypedExternalClient[*v1alpha1.DatabaseInstance], error) {
	if err := c.usage.Track(ctx, cr); err != nil {
		return nil, errors.Wrap(err, errTrackUsage)
	}
	// The external name becomes a directory on each machine, made and
	// removed as root: it must be one plain name. One that is not never
	// named an instance, so there is nothing to delete.
	if err := safepath.Segment(meta.GetExternalName(cr)); err != nil {
		if meta.WasDeleted(cr) {
			return deletion.Nothing[*v1alpha1.DatabaseInstance]{Reason: err.Error()}, nil
		}
		return nil, errors.Wrap(err, errExternalName)
	}
	p := cr.Spec.ForProvider
	if p.Engine != v1alpha1.EnginePostgreSQL {
		return nil, errors.Errorf(errEngine, p.Engine)
	}
	// Refused before anything is reached, so a parameter that is not in
	// the version's allow-list never gets near a server, whichever engine
	// runs it. A delete does not need them.
	if !meta.WasDeleted(cr) {
		if err := pgparams.Check(p.Version, p.Parameters); err != nil {
			return nil, err
		}
	}
	pc, err := providerconfig.Resolve(ctx, c.kube, cr, c.backends.Policy)
	if err != nil {
		return nil, errors.Wrap(err, errResolvePC)
	}
	ssh := overSSH(pc)
	if ssh {
		if err := checkOverSSH(pc, p); err != nil {
			return nil, err
		}
	}
	// Without SSH the provider config is a local one (see overSSH):
	// members run as processes in the machines' directories, which
	// Observe reports with their ports. Over SSH they run on the machines
	// the VirtualMachines' addresses reach, single and replicated alike.
	var b machine.Machines
	if !ssh {
		if b, err = backend.Connect(ctx, c.kube, pc, c.backends); err != nil {
			return nil, errors.Wrap(err, errBackend)
		}
	}
	if err := checkTopology(p); err != nil {
		return nil, err
	}
	deleting := meta.WasDeleted(cr)
	if !deleting {
		if err := checkMemberChange(p, cr.Status.AtProvider); err != nil {
			return nil, err
		}
	}
	if deleting {
		names, err := dependents.OnInstance(ctx, c.kube, cr.GetNamespace(), cr.GetName())
		if err != nil {
			return nil, err
		}
		if err := dependents.WaitError(v1alpha1.DatabaseInstanceKind, names); err != nil {
			if !deletion.GiveUp(cr, c.deleteBound, time.Now()) {
				return nil, err
			}
			// Dependents that cannot go (their instance is not Ready, or
			// they are stuck) do not hold the instance forever: their
			// objects on the server go with it.
			c.record.Event(cr, event.Warning(deletion.ReasonAbandoned, errors.Errorf(errStopWaiting, c.deleteBound, strings.Join(names, ", "))))
		}
	}
	adminUser := p.AdminUser
	if adminUser == "" {
		adminUser = defaultAdminUser
	}

	// One member per VirtualMachine, in the spec's order. A machine that
	// is gone while deleting took its member with it: nil instance.
	var members []member
	var closers []executor.Executor
	if ssh {
		if members, closers, err = c.sshMembers(ctx, cr, pc, adminUser, deleting); err != nil {
			return nil, err
		}
	} else {
		members = make([]member, len(p.VirtualMachines))
		for n, vmName := range p.VirtualMachines {
			m, off, err := c.machine(ctx, b, cr.GetNamespace(), vmName, deleting)
			if err != nil {
				return nil, err
			}
			members[n].vm, members[n].off = vmName, off
			if m != nil {
				members[n].inst = postgresql.NewInstance(executor.Local{}, m.WorkDir, meta.GetExternalName(cr), p.Version, m.PortRangeStart, adminUser)
				members[n].inst.ShareRoot = c.hooks.shareRoot
			}
		}
	}
	e, err := c.newExternal(ctx, cr, b, members, adminUser)
	if err != nil {
		for _, x := range closers {
			_ = x.Close()
		}
		return nil, err
	}
	// The member of a single instance over SSH shows its stages, as the
	// play did.
	e.closers, e.steps = closers, ssh && !e.replicated
	e.watchdogPath = c.watchdog
	e.restore = c.restoringOf(cr)
	if ssh {
		departing, opened, err := c.sshDeparting(ctx, cr, pc, adminUser)
		if err != nil {
			_ = e.Disconnect(ctx)
			return nil, err
		}
		e.departing, e.closers = departing, append(e.closers, opened...)
	}
	if deleting || e.primaryMember().inst == nil {
		// Deleting needs no password; do not generate one now.
		return e, nil
	}
	if err := c.secure(ctx, cr, pc, e); err != nil {
		_ = e.Disconnect(ctx)
		return nil, err
	}
	if err := c.resolveBackup(ctx, cr, e); err != nil {
		_ = e.Disconnect(ctx)
		return nil, err
	}
	return e, nil
}

// newExternal checks that the members can run and finds the departing
// ones on local machines (b); over SSH Connect finds them (sshDeparting).
func (c *connector) newExternal(ctx context.Context, cr *v1alpha1.DatabaseInstance, b machine.Machines, members []member, adminUser string) (*external, error) {
	p := cr.Spec.ForProvider
	if err := membersUsable(ctx, p, members); err != nil {
		return nil, err
	}
	var departing []member
	if b != nil {
		var err error
		if departing, err = c.departing(ctx, b, cr, adminUser); err != nil {
			return nil, err
		}
	}
	rec, err := readEpoch(cr)
	if err != nil {
		return nil, err
	}
	return &external{
		members: members,
		// The member spec.forProvider.primary names, or the first one.
		primary:    max(slices.Index(p.VirtualMachines, p.Primary), 0),
		replicated: p.Topology == v1alpha1.TopologyPrimary,
		departing:  departing,
		hooks:      c.hooks,
		kube:       c.kube,
		live:       c.live,
		log:        c.log,
		record:     c.record,
		rec:        rec,
		fenceAfter: fenceAfter(p),
		sightings:  c.sightings,
	}, nil
}

// secure gives the members the instance's certificate and e the
// passwords.
func (c *connector) secure(ctx context.Context, cr *v1alpha1.DatabaseInstance, pc *apisv1alpha1.ProviderConfigSpec, e *external) error {
	// Every member serves TLS with the instance's certificate, which names
	// the addresses they listen on: the loopback address on the local
	// backend, the machines' addresses over SSH.
	var hosts []string
	for _, m := range e.present() {
		hosts = append(hosts, memberHost(m.inst))
	}
	var err error
	if e.tls, err = c.serverCertificate(ctx, cr, pc, certHosts(hosts...)); err != nil {
		return err
	}
	for _, m := range e.present() {
		m.inst.TLS = &postgresql.TLS{Cert: e.tls.server.Cert, Key: e.tls.server.Key, CA: e.tls.ca}
	}
	if e.password, err = c.adminPassword(ctx, cr); err != nil {
		return err
	}
	if e.published, err = c.publishedPassword(ctx, cr); err != nil {
		return err
	}
	if e.replicated {
		if e.replPassword, err = c.replicationPassword(ctx, cr); err != nil {
			return err
		}
	}
	return nil
}

func checkTopology(p v1alpha1.DatabaseInstanceParameters) error {
	switch p.Topology {
	case v1alpha1.TopologySingle, "":
		if len(p.VirtualMachines) != 1 {
			return errors.Errorf(errTopology, v1alpha1.TopologySingle, 1, len(p.VirtualMachines))
		}
		return nil
	case v1alpha1.TopologyPrimary:
		// The API server checks the same; a spec written before these
		// rules existed, or by a client that skipped them, is refused here.
		if p.Replicas == nil || *p.Replicas < 1 || *p.Replicas > maxReplicas {
			return errors.Errorf(errReplicas, p.Topology, maxReplicas)
		}
		if want := int(*p.Replicas) + 1; len(p.VirtualMachines) != want {
			return errors.Errorf(errTopology, p.Topology, want, len(p.VirtualMachines))
		}
		if k := syncQuorum(p); k > *p.Replicas {
			return errors.Errorf(errQuorum, k, *p.Replicas)
		}
		if p.Primary != "" && !slices.Contains(p.VirtualMachines, p.Primary) {
			return errors.Errorf(errPrimaryNotVM, p.Primary)
		}
		return nil
	default:
		return errors.Errorf(errUnknownTopo, p.Topology)
	}
}

// getVM returns the named VirtualMachine; while deleting, one that is gone
// yields nil.
func (c *connector) getVM(ctx context.Context, ns, name string, deleting bool) (*computev1alpha1.VirtualMachine, error) {
	vm := &computev1alpha1.VirtualMachine{}
	if err := c.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, vm); err != nil {
		if deleting && kerrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, errors.Wrapf(err, errGetVM, name)
	}
	return vm, nil
}

// machine returns the local machine of the named VirtualMachine and, unless
// the instance is being deleted, why its member cannot run there: the
// machine is powered off or the VirtualMachine is not Ready. While
// deleting, a VirtualMachine or machine that is gone yields nil.
func (c *connector) machine(ctx context.Context, b machine.Machines, ns, name string, deleting bool) (*machine.Machine, string, error) {
	vm, err := c.getVM(ctx, ns, name, deleting)
	if err != nil || vm == nil {
		return nil, "", err
	}
	ready := vm.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
	m, err := b.Observe(ctx, machine.ID{Namespace: ns, Name: meta.GetExternalName(vm)})
	if err != nil {
		return nil, "", errors.Wrapf(err, errObserveMachine, name)
	}
	switch {
	case deleting:
		return m, "", nil
	case m == nil && !ready:
		return nil, "", errors.Errorf(errVMNotReady, name)
	case m == nil:
		return nil, "", errors.Errorf(errNoMachine, name)
	case m.PowerState == machine.PowerOff:
		// The machine says so before its VirtualMachine does: it is
		// written once its engines are stopped, while the VirtualMachine
		// is Ready until it is next observed.
		return m, fmt.Sprintf(errVMOff, name), nil
	case !ready:
		return m, fmt.Sprintf(errVMNotReady, name), nil
	}
	return m, "", nil
}

// membersUsable refuses members whose machine is off or not Ready, unless
// the instance is replicated and already exists (a member on a machine
// that is up holds its data): then such a member is down, as one whose
// server stopped, and the others go on without it. A new instance waits
// for all of its machines.
func membersUsable(ctx context.Context, p v1alpha1.DatabaseInstanceParameters, members []member) error {
	exists := false
	for _, m := range members {
		if m.off == "" && m.inst != nil && p.Topology == v1alpha1.TopologyPrimary {
			exists = exists || initialized(ctx, m.inst)
		}
	}
	for _, m := range members {
		if m.off != "" && !exists {
			return errors.New(m.off)
		}
	}
	return nil
}

// primaryFirst returns the VirtualMachines with the one that should run
// the primary first: spec.forProvider.primary, or the first one.
func primaryFirst(p v1alpha1.DatabaseInstanceParameters) []string {
	if p.Primary == "" || !slices.Contains(p.VirtualMachines, p.Primary) {
		return p.VirtualMachines
	}
	out := []string{p.Primary}
	for _, vm := range p.VirtualMachines {
		if vm != p.Primary {
			out = append(out, vm)
		}
	}
	return out
}
