package databaseinstance

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

const (
	errStepName = "step %q"

	// The stages of the member of a single instance over SSH, as people
	// read them in its status after pgvm's provisioning steps (install,
	// extensions, mount). Initialise, start and password keep the names
	// the former single-instance play showed.
	stepInitialise = "initialise cluster"
	stepConfigure  = "write settings"
	stepStart      = "start postgresql"
	// stepPassword is the last stage: once the server is up to date and
	// takes the admin password, the member's configuration is done.
	stepPassword = "set superuser password"
)

// stage runs one stage of the primary member of a single instance over
// SSH, and shows in the member's status the stage that runs and, should it
// fail, which and why. Stages over SSH take long (initdb on a slow disk),
// so the status is written when the stage starts too, best effort: the
// reconciler writes it again at the end. Local members, and replicated
// ones whose status Observe rebuilds from the snapshot, show no stages.
func (e *external) stage(ctx context.Context, cr *v1alpha1.DatabaseInstance, name string, run func() error) error {
	if !e.steps {
		return run()
	}
	vm := e.primaryMember().vm
	setStep(cr, vm, name, v1alpha1.StepApplying, nil)
	_ = e.kube.Status().Update(ctx, cr)
	if err := run(); err != nil {
		err = errors.Wrapf(errors.Wrapf(err, errStepName, name), errPlayStep, vm)
		setStep(cr, vm, name, v1alpha1.StepFailed, err)
		_ = e.kube.Status().Update(ctx, cr)
		return err
	}
	return nil
}

// stepOf returns the configuration step the instance's status last
// recorded for the member on vm, which Observe keeps.
func stepOf(cr *v1alpha1.DatabaseInstance, vm string) (step, state, msg string) {
	for _, m := range cr.Status.AtProvider.Members {
		if m.VirtualMachine == vm {
			return m.Step, m.StepState, m.StepError
		}
	}
	return "", "", ""
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
