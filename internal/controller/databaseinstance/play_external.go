package databaseinstance

import (
	"context"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errStepName    = "step %q"
	errPlayExists  = "cannot tell whether VirtualMachine %s holds the server"
	errPlayCheck   = "cannot check the configuration of VirtualMachine %s"
	errPlayRemove  = "cannot remove the server from VirtualMachine %s"
	errPlayHealthy = "the server on VirtualMachine %s is not healthy: %s"
)

// playExternal runs PostgreSQL on a machine reached over SSH, as the play
// of package pgvm describes it. exec is nil when the machine is gone, which
// happens only while deleting.
type playExternal struct {
	vm       string
	address  string
	exec     executor.Executor
	opts     pgvm.Options
	plan     []steps.Step
	password string
	// published is the admin password of the connection secret, which the
	// server keeps taking until the play's password step has run.
	published string
	// tls is what the server serves TLS with; the connection secret
	// carries its CA.
	tls  serverTLS
	kube client.Client
}

// Observe reports the server. It exists once initdb made its cluster; it is
// Ready when its health check passes, and up to date when every step of
// the play finds its check already met.
func (e *playExternal) Observe(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalObservation, error) {
	if e.exec == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	ok, err := pgvm.Exists(ctx, e.exec, e.opts)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errPlayExists, e.vm)
	}
	if !ok || meta.WasDeleted(cr) {
		return managed.ExternalObservation{ResourceExists: ok}, nil
	}
	health := pgvm.Health(ctx, e.exec, e.opts)
	var version string
	if health == nil {
		version, _ = pgvm.ServerVersion(ctx, e.exec, e.opts)
	}
	upToDate, err := e.checked(ctx)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errPlayCheck, e.vm)
	}

	m := e.member(cr)
	m.Running = health == nil
	if upToDate && health == nil {
		// Every check is met: whatever the last play left in the status,
		// the play is done.
		m.Step, m.StepState, m.StepError = e.plan[len(e.plan)-1].Name, v1alpha1.StepDone, ""
	}
	cr.Status.AtProvider = v1alpha1.DatabaseInstanceObservation{
		Endpoint:      e.address,
		Port:          int32(e.port()),
		EngineVersion: version,
		Primary:       e.vm,
		Members:       []v1alpha1.Member{m},
		SSHHostKeys:   cr.Status.AtProvider.SSHHostKeys,
	}
	if health != nil {
		cr.SetConditions(xpv2.Unavailable().WithMessage(errors.Errorf(errPlayHealthy, e.vm, health.Error()).Error()))
	} else {
		cr.SetConditions(xpv2.Available())
	}
	if err := e.observeExtensions(ctx, cr); err != nil {
		return managed.ExternalObservation{}, err
	}
	cd := e.connectionDetails()
	if !upToDate && e.published != "" {
		// A step is still to run, perhaps the one that sets a changed
		// admin password: until it has, the server takes the published
		// one, which stays published. Update publishes the new one.
		cd[ConnectionPassword] = []byte(e.published)
	}
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  upToDate && health == nil,
		ConnectionDetails: cd,
	}, nil
}

// checked reports whether every step's check is met, running no change.
func (e *playExternal) checked(ctx context.Context) (bool, error) {
	for _, s := range e.plan {
		done, err := s.Check(ctx, e.exec)
		if err != nil {
			return false, errors.Wrapf(err, errStepName, s.Name)
		}
		if !done {
			return false, nil
		}
	}
	return true, nil
}

// Create runs the play. It is idempotent, so a create cut short is finished
// by the next one.
func (e *playExternal) Create(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	if err := e.play(ctx, cr); err != nil {
		return managed.ExternalCreation{}, err
	}
	return managed.ExternalCreation{ConnectionDetails: e.connectionDetails()}, nil
}

// Update runs the play again, which changes only what drifted.
func (e *playExternal) Update(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{ConnectionDetails: e.connectionDetails()}, e.play(ctx, cr)
}

// Delete stops the server and removes its data directory.
func (e *playExternal) Delete(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	if e.exec == nil {
		return managed.ExternalDelete{}, nil
	}
	return managed.ExternalDelete{}, errors.Wrapf(pgvm.Remove(ctx, e.exec, e.opts), errPlayRemove, e.vm)
}

// Disconnect closes the SSH connection.
func (e *playExternal) Disconnect(_ context.Context) error {
	if e.exec == nil {
		return nil
	}
	return e.exec.Close()
}

// play runs the steps, showing in the member's status the step that runs
// and, should one fail, which and why.
func (e *playExternal) play(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	_, err := steps.Run(ctx, e.exec, e.plan, func(s steps.StepStatus) {
		switch s.State {
		case steps.StateApplying:
			setStep(cr, e.vm, s.Step, v1alpha1.StepApplying, nil)
		case steps.StateFailed:
			setStep(cr, e.vm, s.Step, v1alpha1.StepFailed, s.Err)
		default:
			return
		}
		// Written now, not only when the reconcile ends: a step such as
		// installing packages takes minutes, and after a failed create the
		// managed reconciler reloads the object when it records the
		// failure, which would drop a status kept only in memory. Best
		// effort: the reconciler writes the status again at the end.
		_ = e.kube.Status().Update(ctx, cr)
	})
	if err != nil {
		return errors.Wrapf(err, errPlayStep, e.vm)
	}
	setStep(cr, e.vm, e.plan[len(e.plan)-1].Name, v1alpha1.StepDone, nil)
	return nil
}

// member is the status of the instance's member, as last recorded.
func (e *playExternal) member(cr *v1alpha1.DatabaseInstance) v1alpha1.Member {
	for _, m := range cr.Status.AtProvider.Members {
		if m.VirtualMachine == e.vm {
			m.Role, m.Address, m.Port = v1alpha1.RolePrimary, e.address, int32(e.port())
			return m
		}
	}
	return v1alpha1.Member{VirtualMachine: e.vm, Role: v1alpha1.RolePrimary, Address: e.address, Port: int32(e.port())}
}

func (e *playExternal) port() int {
	if e.opts.Port == 0 {
		return pgvm.DefaultPort
	}
	return e.opts.Port
}

func (e *playExternal) connectionDetails() managed.ConnectionDetails {
	return managed.ConnectionDetails{
		ConnectionUsername:  []byte(playSuperuser),
		ConnectionPassword:  []byte(e.password),
		ConnectionEndpoint:  []byte(e.address),
		ConnectionPort:      []byte(strconv.Itoa(e.port())),
		instance.KeyCACert:  e.tls.ca,
		instance.KeySSLMode: []byte(SSLModeVerifyFull),
	}
}

// setStep records a member's configuration step in the instance's status.
func setStep(cr *v1alpha1.DatabaseInstance, vm, step, state string, err error) {
	ms := cr.Status.AtProvider.Members
	i := len(ms)
	for n := range ms {
		if ms[n].VirtualMachine == vm {
			i = n
			break
		}
	}
	if i == len(ms) {
		ms = append(ms, v1alpha1.Member{VirtualMachine: vm, Role: v1alpha1.RolePrimary})
		cr.Status.AtProvider.Members = ms
	}
	m := &cr.Status.AtProvider.Members[i]
	m.Step, m.StepState, m.StepError = step, state, ""
	if err != nil {
		m.StepError = err.Error()
	}
}
