package databaseinstance

import (
	"context"
	"os"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errStatus    = "cannot get the server's status"
	errConfig    = "cannot check the server's configuration"
	errInit      = "cannot initialize the data directory"
	errConfigure = "cannot configure the server"
	errStart     = "cannot start the server"
	errApply     = "cannot apply the configuration"
	errRemove    = "cannot remove the instance"
)

// Connection detail keys of an instance's connection secret.
const (
	ConnectionUsername = "username"
	ConnectionPassword = "password"
	ConnectionEndpoint = "endpoint"
	ConnectionPort     = "port"
)

type external struct {
	vm       string
	inst     *postgresql.Instance
	password string
	hooks    hooks
}

func settings(i *postgresql.Instance, p v1alpha1.DatabaseInstanceParameters) postgresql.Settings {
	return i.Settings(p.MaxConnections, p.SharedBuffersMB, p.Parameters)
}

// Observe reports the server. It exists once initdb completed; it is Ready
// when it answers the admin user.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalObservation, error) {
	if e.inst == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if meta.WasDeleted(cr) {
		// Whatever is left, even a half-done create, is to be removed.
		_, err := os.Stat(e.inst.Dir)
		return managed.ExternalObservation{ResourceExists: err == nil}, nil
	}
	if !e.inst.Initialized() {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	s, err := e.inst.Status(ctx, e.password)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, errStatus)
	}
	current, err := e.inst.ConfigCurrent(settings(e.inst, cr.Spec.ForProvider))
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, errConfig)
	}

	cr.Status.AtProvider = v1alpha1.DatabaseInstanceObservation{
		Endpoint:      postgresql.Address,
		Port:          e.inst.Port,
		EngineVersion: s.Version,
		Members: []v1alpha1.Member{{
			VirtualMachine: e.vm,
			Role:           v1alpha1.RolePrimary,
			Address:        postgresql.Address,
			Port:           e.inst.Port,
			Running:        s.Ready,
		}},
	}
	if s.Ready {
		cr.SetConditions(xpv2.Available())
	} else {
		cr.SetConditions(xpv2.Creating())
	}
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  s.Running && current && len(s.PendingRestart) == 0,
		ConnectionDetails: e.connectionDetails(),
	}, nil
}

func (e *external) connectionDetails() managed.ConnectionDetails {
	return managed.ConnectionDetails{
		ConnectionUsername: []byte(e.inst.AdminUser),
		ConnectionPassword: []byte(e.password),
		ConnectionEndpoint: []byte(postgresql.Address),
		ConnectionPort:     []byte(strconv.Itoa(int(e.inst.Port))),
	}
}

// Create initializes, configures and starts the server. Every step is
// idempotent, so a create cut short is finished by the next one.
func (e *external) Create(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	if err := e.inst.Init(ctx, e.password); err != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, errInit)
	}
	if e.hooks.afterInit != nil {
		if err := e.hooks.afterInit(ctx); err != nil {
			return managed.ExternalCreation{}, err
		}
	}
	if _, err := e.inst.Configure(settings(e.inst, cr.Spec.ForProvider)); err != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, errConfigure)
	}
	if err := e.inst.Start(ctx); err != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, errStart)
	}
	return managed.ExternalCreation{ConnectionDetails: e.connectionDetails()}, nil
}

// Update writes configuration drift and makes the server take it up, and
// starts a server that is not running.
func (e *external) Update(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalUpdate, error) {
	changed, err := e.inst.Configure(settings(e.inst, cr.Spec.ForProvider))
	if err != nil {
		return managed.ExternalUpdate{}, errors.Wrap(err, errConfigure)
	}
	if !e.inst.Running() {
		return managed.ExternalUpdate{}, errors.Wrap(e.inst.Start(ctx), errStart)
	}
	return managed.ExternalUpdate{}, errors.Wrap(e.inst.Apply(ctx, e.password, changed), errApply)
}

// Delete stops the server and removes its directory.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	if e.inst == nil {
		return managed.ExternalDelete{}, nil
	}
	return managed.ExternalDelete{}, errors.Wrap(e.inst.Remove(ctx), errRemove)
}

// Disconnect does nothing: connections are opened per call.
func (e *external) Disconnect(_ context.Context) error { return nil }
