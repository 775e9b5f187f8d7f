// Package firewallrule reconciles FirewallRules with the backend their
// provider config names.
package firewallrule

import (
	"context"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/controller/machineowner"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
)

const (
	errObserve = "cannot observe firewall rule"
	errCreate  = "cannot create firewall rule"
	errUpdate  = "cannot update firewall rule"
	errDelete  = "cannot delete firewall rule"
)

// Setup adds a controller that reconciles FirewallRules.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.FirewallRule]{
		Kind: v1alpha1.FirewallRuleGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.FirewallRule] {
			return &connector{Connector: machineowner.Connector{Kube: mgr.GetClient(), Usage: s.Usage, Backends: o.Backends()}, record: s.Recorder}
		},
	})
}

type connector struct {
	machineowner.Connector
	record event.Recorder
}

var _ managed.TypedExternalConnector[*v1alpha1.FirewallRule] = &connector{}

// Connect resolves the provider config and picks its backend.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.FirewallRule) (managed.TypedExternalClient[*v1alpha1.FirewallRule], error) {
	b, pc, done, err := machineowner.Connect(ctx, c.Connector, owner, cr)
	if done != nil || err != nil {
		return done, err
	}
	e := &external{rules: b, record: c.record, acceptUnenforced: pc.AcceptUnenforcedFirewallRules, backend: string(pc.Backend)}
	if e.record == nil {
		e.record = event.NewNopRecorder()
	}
	return e, nil
}

type external struct {
	rules  machine.Rules
	record event.Recorder

	// acceptUnenforced is the provider config's
	// acceptUnenforcedFirewallRules; backend names its backend for
	// messages.
	acceptUnenforced bool
	backend          string

	// adopt is set by an Observe that found a rule to import: the Update
	// that follows writes the marker with the spec.
	adopt bool
}

var _ managed.TypedExternalClient[*v1alpha1.FirewallRule] = &external{}

func ruleID(cr *v1alpha1.FirewallRule) machine.ID {
	return machine.ID{Namespace: cr.GetNamespace(), Name: meta.GetExternalName(cr)}
}

// Observe reports the rule and whether it matches the spec.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.FirewallRule) (managed.ExternalObservation, error) {
	r, err := e.rules.ObserveRule(ctx, ruleID(cr))
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, errObserve)
	}
	if r == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	switch action, err := owner.Decide(cr, r.Owner); action {
	case machine.Refuse:
		return managed.ExternalObservation{}, err
	case machine.LeaveBehind:
		owner.LeaveBehind(e.record, cr, err)
		return managed.ExternalObservation{ResourceExists: false}, nil
	case machine.Adopt:
		e.adopt = true
	}
	cr.Status.AtProvider = observation(r)
	cr.SetConditions(enforcement(r.Enforced, e.acceptUnenforced, e.backend))
	switch {
	case r.Pending != "":
		cr.SetConditions(xpv2.Unavailable().WithMessage(r.Pending))
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	case meta.WasDeleted(cr):
		cr.SetConditions(xpv2.Deleting())
	case !r.Enforced && !e.acceptUnenforced:
		cr.SetConditions(xpv2.Unavailable().WithMessage(unenforcedMessage(e.backend)))
	default:
		cr.SetConditions(xpv2.Available())
	}
	diff := machine.RuleDifferences(spec(cr.Spec.ForProvider), r)
	if e.adopt {
		diff = append(diff, "imported: the owner marker is not written yet")
	}
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: len(diff) == 0, Diff: strings.Join(diff, "; ")}, nil
}

// Create makes the rule.
func (e *external) Create(ctx context.Context, cr *v1alpha1.FirewallRule) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	s := spec(cr.Spec.ForProvider)
	s.Owner = ownership.Of(cr)
	r, err := e.rules.CreateRule(ctx, ruleID(cr), s)
	if err != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, errCreate)
	}
	// A rule of the name may have been there: backends return it as it
	// is, and only the resource's own is kept.
	switch action, err := owner.Decide(cr, r.Owner); action {
	case machine.Refuse, machine.LeaveBehind:
		return managed.ExternalCreation{}, err
	case machine.Adopt:
		if r, err = e.rules.UpdateRule(ctx, ruleID(cr), s); err != nil {
			return managed.ExternalCreation{}, errors.Wrap(err, errUpdate)
		}
	}
	cr.Status.AtProvider = observation(r)
	return managed.ExternalCreation{}, nil
}

// Update brings the rule to the spec.
func (e *external) Update(ctx context.Context, cr *v1alpha1.FirewallRule) (managed.ExternalUpdate, error) {
	// The rule is written whole with its owner marker, which is how an
	// import is marked.
	s := spec(cr.Spec.ForProvider)
	s.Owner = ownership.Of(cr)
	r, err := e.rules.UpdateRule(ctx, ruleID(cr), s)
	if err != nil {
		return managed.ExternalUpdate{}, errors.Wrap(err, errUpdate)
	}
	if e.adopt {
		owner.Imported(e.record, cr)
	}
	cr.Status.AtProvider = observation(r)
	return managed.ExternalUpdate{}, nil
}

// Delete removes the rule, when it is still the resource's own right
// before.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.FirewallRule) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	r, err := e.rules.ObserveRule(ctx, ruleID(cr))
	if err != nil {
		return managed.ExternalDelete{}, errors.Wrap(err, errDelete)
	}
	if r == nil {
		return managed.ExternalDelete{}, nil
	}
	if action, err := owner.Decide(cr, r.Owner); action != machine.Manage {
		owner.LeaveBehind(e.record, cr, err)
		return managed.ExternalDelete{}, nil
	}
	return managed.ExternalDelete{}, errors.Wrap(e.rules.DeleteRule(ctx, ruleID(cr)), errDelete)
}

// Disconnect does nothing: backends keep their sessions.
func (e *external) Disconnect(_ context.Context) error { return nil }
