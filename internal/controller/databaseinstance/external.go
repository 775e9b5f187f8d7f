package databaseinstance

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errStatus       = "cannot get the server's status"
	errConfig       = "cannot check the server's configuration"
	errInit         = "cannot initialize the data directory"
	errConfigure    = "cannot configure the server"
	errStart        = "cannot start the server"
	errApply        = "cannot apply the configuration"
	errRemoveMember = "cannot remove the member on %s"
)

// Connection detail keys of an instance's connection secret.
const (
	ConnectionUsername = "username"
	ConnectionPassword = "password"
	ConnectionEndpoint = "endpoint"
	ConnectionPort     = "port"
	// ConnectionReadOnlyEndpoints are the replicas' comma-separated
	// host:port addresses.
	ConnectionReadOnlyEndpoints = "readOnlyEndpoints"
)

// A member is one engine process of an instance on its VirtualMachine. Its
// inst is nil when the machine is gone, which only happens while deleting.
// off says why its machine cannot run it (powered off, not Ready): such a
// member is down, and nothing is started or configured on its machine.
type member struct {
	vm   string
	inst *postgresql.Instance
	off  string
	// cut is true for a member over SSH whose machine the provider could
	// not log in to (off says why): a machine that is off, or one cut off
	// from the provider only. Nothing reaches it, so it cannot be fenced
	// by the provider either.
	cut bool
	// wd is how the self-fencing watchdog runs beside the member; nil
	// when it runs none.
	wd *memberWatchdog
	// systemd is true on a machine whose daemons systemd runs (a VM over
	// SSH); false on the local backend and the test hosts.
	systemd bool
}

type external struct {
	// members are one per VirtualMachine, in the spec's order; primary is
	// the index of the one that runs the primary (or the single member).
	// A promotion only moves the index.
	members    []member
	primary    int
	replicated bool
	// departing are the replicas of machines the spec no longer lists,
	// which are being removed.
	departing []member

	password     string
	replPassword string
	// published is dbaas_admin's password in the connection secret;
	// rolesStale says the primary's roles do not have the admin password
	// Secret's passwords yet, so that it is still the one to publish (see
	// observeRoles).
	published  string
	rolesStale bool
	// tls is what the members serve TLS with; the connection secret
	// carries its CA.
	tls   serverTLS
	hooks hooks
	// closers are the members' SSH connections, one per member, which
	// Disconnect closes.
	closers []executor.Executor
	// steps says the single member's stages are shown in its status (see
	// stage): over SSH.
	steps bool

	// kube writes the instance's epoch record and failover annotations;
	// record emits its events.
	kube   client.Client
	record event.Recorder
	// live reads the instance from the API server rather than the cache
	// (see writeDecision); nil never does.
	live client.Reader
	// rec is the latest promotion, as recorded on the instance.
	rec epochRecord
	// primaryDown is how long the primary has not answered, when Observe
	// tracks it.
	primaryDown time.Duration
	// primaryAnswered is whether the primary answered when this
	// reconcile's Observe asked it.
	primaryAnswered bool
	// next is what Observe decided about a primary that stopped
	// answering, which Update carries out, and seen the snapshot it
	// decided on.
	next decision
	seen snapshot
	// decidedOn is the policy that decision was made with.
	decidedOn failoverPolicy
	// phases are what this pass's steps took, which a failover logs to
	// log.
	phases phases
	log    logging.Logger
	// sightings are when the provider last saw each instance's primary
	// answer; nil remembers none.
	sightings *sightings
	// watchdogPath is the dbaas-watchdog binary the provider copies to
	// the members' machines.
	watchdogPath string
	// fenceAfter is spec.forProvider.failover.fenceAfter, which the
	// members' watchdogs run with.
	fenceAfter time.Duration
	// backup is spec.forProvider.backup resolved; nil without one.
	backup *instanceBackup
	// restore is spec.forProvider.bootstrap.recovery; nil without one.
	restore *restoring
	// stopExporters are the kinds of exporters Update stops on every
	// member: the spec turned them off while the status still named one.
	stopExporters []exporterKind
}

func settings(i *postgresql.Instance, p v1alpha1.DatabaseInstanceParameters) postgresql.Settings {
	return i.Settings(p.MaxConnections, p.SharedBuffersMB, p.Parameters)
}

// Observe reports the server. It exists once initdb completed; it is Ready
// when it answers the admin user.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalObservation, error) {
	if meta.WasDeleted(cr) {
		// Whatever is left of any member, even a half-done create, is to
		// be removed.
		for _, m := range e.present() {
			// Asked on the member's machine, through its executor.
			ok, err := dirExists(ctx, m.inst)
			if err != nil {
				return managed.ExternalObservation{}, errors.Wrapf(err, errRemoveMember, m.vm)
			}
			if ok {
				return managed.ExternalObservation{ResourceExists: true}, nil
			}
		}
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if e.primaryMember().inst == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if e.restore != nil {
		if o, done, err := e.observeRestore(ctx, cr); !done || err != nil {
			return o, err
		}
	}
	// A primary whose machine is off belongs to an instance that exists
	// (Connect says so): it is down, not to be created.
	if e.primaryMember().off == "" && !initialized(ctx, e.primaryMember().inst) {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	had := exportersShown(cr.Status.AtProvider)
	if e.replicated {
		o, err := e.observeReplicated(ctx, cr)
		if err == nil {
			e.observeExporters(ctx, cr, had, &o)
			err = e.observeExtensions(ctx, cr)
		}
		if err == nil {
			err = e.observeBackup(ctx, cr, &o)
		}
		return o, err
	}
	s, err := e.primaryMember().inst.Status(ctx, e.password)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, errStatus)
	}
	current, err := e.primaryMember().inst.ConfigCurrent(ctx, settings(e.primaryMember().inst, cr.Spec.ForProvider))
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, errConfig)
	}

	missing := false
	if s.Ready && !s.InRecovery {
		if missing, err = e.observeRoles(ctx, nil); err != nil {
			return managed.ExternalObservation{}, err
		}
	}
	upToDate := s.Running && current && len(s.PendingRestart) == 0 && !missing && !e.rolesStale
	m := v1alpha1.Member{
		VirtualMachine: e.primaryMember().vm,
		Role:           v1alpha1.RolePrimary,
		Address:        memberHost(e.primaryMember().inst),
		Port:           e.primaryMember().inst.Port,
		Running:        s.Ready,
	}
	if e.steps {
		// The stage last shown stays until every stage is done.
		m.Step, m.StepState, m.StepError = stepOf(cr, m.VirtualMachine)
		if upToDate && s.Ready {
			m.Step, m.StepState, m.StepError = stepPassword, v1alpha1.StepDone, ""
		}
	}
	cr.Status.AtProvider = v1alpha1.DatabaseInstanceObservation{
		Endpoint:      memberHost(e.primaryMember().inst),
		Port:          e.primaryMember().inst.Port,
		EngineVersion: s.Version,
		// The machine that holds the data: a later spec that drops it is
		// refused (checkMemberChange).
		Primary: e.primaryMember().vm,
		Members: []v1alpha1.Member{m},
		// The host key pinned at first contact over SSH (see dial).
		SSHHostKeys: cr.Status.AtProvider.SSHHostKeys,
	}
	switch {
	case s.Ready && missing:
		cr.SetConditions(xpv2.Creating().WithMessage(rolesMissing))
	case s.Ready:
		cr.SetConditions(xpv2.Available())
	case s.Unanswered != "":
		cr.SetConditions(xpv2.Creating().WithMessage(unansweredNote("member "+e.primaryMember().vm, s)))
	default:
		cr.SetConditions(xpv2.Creating())
	}
	if err := e.observeExtensions(ctx, cr); err != nil {
		return managed.ExternalObservation{}, err
	}
	o := managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  upToDate,
		ConnectionDetails: e.connectionDetails(),
	}
	e.observeExporters(ctx, cr, had, &o)
	return o, e.observeBackup(ctx, cr, &o)
}

func (e *external) connectionDetails() managed.ConnectionDetails {
	cd := managed.ConnectionDetails{
		ConnectionUsername:  []byte(pgroles.Admin),
		ConnectionPassword:  []byte(e.connectionPassword()),
		ConnectionEndpoint:  []byte(memberHost(e.primaryMember().inst)),
		ConnectionPort:      []byte(strconv.Itoa(int(e.primaryMember().inst.Port))),
		instance.KeyCACert:  e.tls.ca,
		instance.KeySSLMode: []byte(SSLModeVerifyFull),
	}
	if e.replicated {
		ro := make([]string, len(e.replicas()))
		for n, r := range e.replicas() {
			ro[n] = hostPort(r.inst)
		}
		cd[ConnectionReadOnlyEndpoints] = []byte(strings.Join(ro, ","))
	}
	return cd
}

// Create initializes, configures and starts the server. Every step is
// idempotent, so a create cut short is finished by the next one.
func (e *external) Create(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	if e.restore != nil {
		return managed.ExternalCreation{}, e.createRestored(ctx, cr)
	}
	if err := e.stage(ctx, cr, stepInitialise, func() error {
		return errors.Wrap(e.primaryMember().inst.Init(ctx, e.password), errInit)
	}); err != nil {
		return managed.ExternalCreation{}, err
	}
	if e.hooks.afterInit != nil {
		if err := e.hooks.afterInit(ctx); err != nil {
			return managed.ExternalCreation{}, err
		}
	}
	if e.replicated {
		// The replicas follow in the same call; should it be cut short, the
		// primary exists and Update finishes the rest.
		if err := e.ensureReplicated(ctx, cr); err != nil {
			return managed.ExternalCreation{}, err
		}
		return managed.ExternalCreation{ConnectionDetails: e.connectionDetails()}, e.ensureBackup(ctx)
	}
	if err := e.stage(ctx, cr, stepConfigure, func() error {
		_, err := e.primaryMember().inst.Configure(ctx, settings(e.primaryMember().inst, cr.Spec.ForProvider))
		return errors.Wrap(err, errConfigure)
	}); err != nil {
		return managed.ExternalCreation{}, err
	}
	if err := e.stage(ctx, cr, stepStart, func() error { return errors.Wrap(e.primaryMember().inst.Start(ctx), errStart) }); err != nil {
		return managed.ExternalCreation{}, err
	}
	if err := e.ensureRoles(ctx, cr); err != nil {
		return managed.ExternalCreation{}, err
	}
	return managed.ExternalCreation{ConnectionDetails: e.connectionDetails()}, e.ensureBackup(ctx)
}

// Update writes configuration drift and makes the server take it up, and
// starts a server that is not running.
func (e *external) Update(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalUpdate, error) {
	if e.restore != nil {
		if done, err := e.updateRestore(ctx, cr); !done || err != nil {
			return managed.ExternalUpdate{}, err
		}
	}
	if e.replicated {
		if e.next.Action == actPromote || e.next.Action == actRestart {
			// Without a replica to promote, the primary is started again.
			if done, err := e.failover(ctx, cr); done || err != nil {
				return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, err
			}
		}
		if err := e.ensureReplicated(ctx, cr); err != nil {
			return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, err
		}
		if err := e.ensureExporters(ctx, cr); err != nil {
			return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, err
		}
		return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, e.ensureBackup(ctx)
	}
	var changed []string
	if err := e.stage(ctx, cr, stepConfigure, func() error {
		var err error
		changed, err = e.primaryMember().inst.Configure(ctx, settings(e.primaryMember().inst, cr.Spec.ForProvider))
		return errors.Wrap(err, errConfigure)
	}); err != nil {
		return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, err
	}
	if !running(ctx, e.primaryMember().inst) {
		if err := e.stage(ctx, cr, stepStart, func() error {
			return errors.Wrap(e.primaryMember().inst.Start(ctx), errStart)
		}); err != nil {
			return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, err
		}
	} else if err := e.primaryMember().inst.Apply(ctx, e.password, changed); err != nil {
		return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, errors.Wrap(err, errApply)
	}
	// A changed admin password Secret reaches the roles here, and the
	// connection secret publishes the new password once they have it.
	if err := e.ensureRoles(ctx, cr); err != nil {
		return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, err
	}
	if err := e.ensureExporters(ctx, cr); err != nil {
		return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, err
	}
	return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, e.ensureBackup(ctx)
}

// Delete stops the servers and removes their directories, the replicas
// first so that none of them is left following a primary that is gone.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	ms := e.present()
	for n := len(ms) - 1; n >= 0; n-- {
		// The watchdog goes first: it would take its server's stop for
		// nothing, but it has no member to watch once the directory is gone.
		if err := stopWatchdog(ctx, ms[n]); err != nil {
			return managed.ExternalDelete{}, err
		}
		if err := stopExporters(ctx, ms[n], exporterKinds...); err != nil {
			return managed.ExternalDelete{}, err
		}
		if err := stopBackupRuns(ctx, ms[n]); err != nil {
			return managed.ExternalDelete{}, err
		}
		if err := ms[n].inst.Remove(ctx); err != nil {
			return managed.ExternalDelete{}, errors.Wrapf(err, errRemoveMember, ms[n].vm)
		}
	}
	e.sightings.forget(cr.GetUID())
	return managed.ExternalDelete{}, nil
}

// primaryMember is the member that runs the primary (or the single
// member).
func (e *external) primaryMember() member { return e.members[e.primary] }

// replicas are the members other than the primary, in the spec's order.
func (e *external) replicas() []member {
	out := make([]member, 0, len(e.members))
	out = append(out, e.members[:e.primary]...)
	return append(out, e.members[e.primary+1:]...)
}

// present returns the members whose machine exists, the primary first and
// the departing ones last.
func (e *external) present() []member {
	var out []member
	all := append([]member{e.primaryMember()}, e.replicas()...)
	for _, m := range append(all, e.departing...) {
		if m.inst != nil {
			out = append(out, m)
		}
	}
	return out
}

// Disconnect closes the members' SSH connections; local members open
// their connections per call.
func (e *external) Disconnect(_ context.Context) error {
	var errs []error
	for _, x := range e.closers {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}
