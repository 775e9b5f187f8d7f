// Package virtualmachine reconciles VirtualMachines with the backend their
// provider config names.
package virtualmachine

import (
	"context"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/cloudinit"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
	"github.com/dbaas-io/dbaas/internal/controller/machineowner"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
)

const (
	errObserve   = "cannot observe machine"
	errCreate    = "cannot create machine"
	errUpdate    = "cannot update machine"
	errDelete    = "cannot delete machine"
	errMark      = "cannot mark the imported machine as this resource's"
	errPublicKey = "cannot derive the public key of the SSH private key in Secret %s/%s key %s"
	errUserData  = "cannot add the provider's SSH user to spec.forProvider.userData"
)

// Setup adds a controller that reconciles VirtualMachines.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.VirtualMachine]{
		Kind: v1alpha1.VirtualMachineGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.VirtualMachine] {
			return &connector{Connector: machineowner.Connector{Kube: mgr.GetClient(), Usage: s.Usage, Backends: o.Backends()}, record: s.Recorder}
		},
	})
}

type connector struct {
	machineowner.Connector
	record event.Recorder
}

var _ managed.TypedExternalConnector[*v1alpha1.VirtualMachine] = &connector{}

// Connect resolves the provider config and picks its backend. A machine
// that is being deleted waits for the engines on it to go first. When the
// provider config has an ssh block, the public key of its private key is
// read for cloud-init to authorise; not for a machine that is being
// deleted, so that a Secret gone first does not hold the deletion up.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.VirtualMachine) (managed.TypedExternalClient[*v1alpha1.VirtualMachine], error) {
	b, pc, done, err := machineowner.Connect(ctx, c.Connector, owner, cr)
	if done != nil || err != nil {
		return done, err
	}
	if meta.WasDeleted(cr) {
		names, err := dependents.OnMachine(ctx, c.Kube, cr.GetNamespace(), cr.GetName())
		if err != nil {
			return nil, err
		}
		if err := dependents.WaitError(v1alpha1.VirtualMachineKind, names); err != nil {
			return nil, err
		}
	}
	e := &external{machines: b, record: c.record}
	if c.record == nil {
		e.record = event.NewNopRecorder()
	}
	if pc.SSH != nil && !meta.WasDeleted(cr) {
		u, err := loginUser(ctx, c.Kube, pc.SSH)
		if err != nil {
			return nil, err
		}
		e.login = u
	}
	return e, nil
}

// loginUser is the user the ssh block says the provider logs in as, with
// the public key of its private key.
func loginUser(ctx context.Context, kube client.Reader, s *apisv1alpha1.SSHConfig) (*cloudinit.User, error) {
	data, err := providerconfig.SSHKey(ctx, kube, s)
	if err != nil {
		return nil, err
	}
	key, err := cloudinit.AuthorizedKey(data)
	if err != nil {
		ref := s.PrivateKeySecretRef
		return nil, errors.Wrapf(err, errPublicKey, ref.Namespace, ref.Name, ref.Key)
	}
	return &cloudinit.User{Name: s.User, AuthorizedKey: key}, nil
}

type external struct {
	machines machine.Machines
	record   event.Recorder

	// adopt is set by an Observe that found a machine to import: the
	// Update that follows marks it before anything else.
	adopt bool

	// login is the user cloud-init makes for the provider on the
	// machines it creates; nil when the provider config has no ssh block.
	login *cloudinit.User
}

var _ managed.TypedExternalClient[*v1alpha1.VirtualMachine] = &external{}

// spec is the machine spec of cr, with the provider's login user added to
// its cloud-init user data. The provider's key is also the machine's own
// key when cr names none (Azure wants one); a machine with its own key
// gets the provider's through cloud-init only. Observe, Create and Update
// all use it, so that a backend that compares what it was given (the
// Terraform workspace's ssh_public_key variable) finds nothing changed; the
// merge gives the same bytes every time.
func (e *external) spec(cr *v1alpha1.VirtualMachine) (machine.Spec, error) {
	s := spec(cr.Spec.ForProvider)
	if e.login == nil {
		return s, nil
	}
	ud, err := cloudinit.WithUser(s.UserData, *e.login)
	if err != nil {
		return s, errors.Wrap(err, errUserData)
	}
	s.UserData = ud
	if s.SSHPublicKey == "" {
		s.SSHPublicKey = e.login.AuthorizedKey
	}
	return s, nil
}

func machineID(cr *v1alpha1.VirtualMachine) machine.ID {
	return machine.ID{Namespace: cr.GetNamespace(), Name: meta.GetExternalName(cr)}
}

// Observe reports the machine and whether it matches the spec. A machine
// the backend is still working on is neither Available nor updated: the
// work in flight would race an update.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.VirtualMachine) (managed.ExternalObservation, error) {
	m, err := e.machines.Observe(ctx, machineID(cr))
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, errObserve)
	}
	if m == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	// Nothing of a machine that is not the resource's reaches its status.
	switch action, err := owner.Decide(cr, m.Owner); action {
	case machine.Refuse:
		return managed.ExternalObservation{}, err
	case machine.LeaveBehind:
		owner.LeaveBehind(e.record, cr, err)
		return managed.ExternalObservation{ResourceExists: false}, nil
	case machine.Adopt:
		e.adopt = true
	}
	cr.Status.AtProvider = observation(m)
	s, err := e.spec(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	diff := e.machines.Differences(s, m)
	switch {
	case m.Failed != "" && !meta.WasDeleted(cr) && len(diff) == 0:
		// Nothing to apply that could put it right: say what failed.
		cr.SetConditions(xpv2.Unavailable().WithMessage(m.Failed))
		return managed.ExternalObservation{}, errors.New(m.Failed)
	case m.Failed != "":
		cr.SetConditions(xpv2.Unavailable().WithMessage(m.Failed))
	case m.Pending != "":
		cr.SetConditions(xpv2.Unavailable().WithMessage(m.Pending))
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	case meta.WasDeleted(cr):
		cr.SetConditions(xpv2.Deleting())
	case m.PowerState == machine.PowerOn && m.Waiting != "":
		cr.SetConditions(xpv2.Unavailable().WithMessage(m.Waiting))
	case m.PowerState == machine.PowerOn:
		cr.SetConditions(xpv2.Available())
	default:
		cr.SetConditions(xpv2.Unavailable().WithMessage("the machine is powered off"))
	}
	if e.adopt {
		diff = append(diff, "imported: the owner marker is not written yet")
	}
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: len(diff) == 0,
		Diff:             strings.Join(diff, "; "),
	}, nil
}

// Create makes the machine.
func (e *external) Create(ctx context.Context, cr *v1alpha1.VirtualMachine) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	s, err := e.spec(cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	s.Owner = ownership.Of(cr)
	m, err := e.machines.Create(ctx, machineID(cr), s)
	if err != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, errCreate)
	}
	// A machine of the name may have appeared since Observe: backends
	// return what they find, and only the resource's own is kept.
	switch action, err := owner.Decide(cr, m.Owner); action {
	case machine.Refuse, machine.LeaveBehind:
		return managed.ExternalCreation{}, err
	case machine.Adopt:
		if err := e.machines.Mark(ctx, machineID(cr), ownership.Of(cr)); err != nil {
			return managed.ExternalCreation{}, errors.Wrap(err, errMark)
		}
	}
	cr.Status.AtProvider = observation(m)
	return managed.ExternalCreation{}, nil
}

// Update brings the machine to the spec.
func (e *external) Update(ctx context.Context, cr *v1alpha1.VirtualMachine) (managed.ExternalUpdate, error) {
	s, err := e.spec(cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	s.Owner = ownership.Of(cr)
	if e.adopt {
		if err := e.machines.Mark(ctx, machineID(cr), s.Owner); err != nil {
			return managed.ExternalUpdate{}, errors.Wrap(err, errMark)
		}
		owner.Imported(e.record, cr)
	}
	m, err := e.machines.Update(ctx, machineID(cr), s)
	if err != nil {
		return managed.ExternalUpdate{}, errors.Wrap(err, errUpdate)
	}
	cr.Status.AtProvider = observation(m)
	return managed.ExternalUpdate{}, nil
}

// Delete removes the machine and stops whatever ran on it. Observe has
// just found the machine to be the resource's own; it is looked at once
// more right before, so that a machine put in its place since is not
// destroyed.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.VirtualMachine) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	m, err := e.machines.Observe(ctx, machineID(cr))
	if err != nil {
		return managed.ExternalDelete{}, errors.Wrap(err, errDelete)
	}
	if m == nil {
		return managed.ExternalDelete{}, nil
	}
	if action, err := owner.Decide(cr, m.Owner); action != machine.Manage {
		owner.LeaveBehind(e.record, cr, err)
		return managed.ExternalDelete{}, nil
	}
	return managed.ExternalDelete{}, errors.Wrap(e.machines.Delete(ctx, machineID(cr)), errDelete)
}

// Disconnect does nothing: backends keep their sessions for the next
// reconcile.
func (e *external) Disconnect(_ context.Context) error { return nil }
