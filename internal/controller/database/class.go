package database

import (
	"context"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/procedure"
	"github.com/dbaas-io/dbaas/internal/controller/rotation"
)

const (
	errNotCreated       = "DatabaseClass %q: %s returned, but no database %q exists; the create procedure must create the database named by {{ .ExternalName }}"
	errNotDeleted       = "DatabaseClass %q: %s returned, but database %q still exists"
	errNoDelete         = "DatabaseClass %q has no delete procedure: the database can only be orphaned, by managementPolicies without Delete"
	errNoRotate         = "DatabaseClass %q has no rotate procedure, so credentials cannot be rotated"
	errMissingSecretKey = "the connection secret lacks %s and DatabaseClass %q has no rotate procedure to make new credentials"
	errGetSecret        = "cannot get the connection secret"
	errClassCall        = "DatabaseClass %q"
)

// keyDatabase is the connection secret's key for the database's name.
const keyDatabase = "database"

// classExternal maps a Database to a database that the administrators'
// procedures, named by a DatabaseClass, create, delete and rotate. The
// provider itself only reads the server's catalog, to see whether the
// database exists.
type classExternal struct {
	db    dbms.Server
	class *v1alpha1.DatabaseClass
	kube  client.Reader
	// server is the server's part of the connection secret
	// (server.Details): what an application needs besides the class's
	// credentials to reach the database, as a native User's secret has it.
	server managed.ConnectionDetails
}

var _ managed.TypedExternalClient[*v1alpha1.Database] = &classExternal{}

func (e *classExternal) Observe(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalObservation, error) {
	name := meta.GetExternalName(cr)
	if name == "" {
		return managed.ExternalObservation{}, errors.New(errNoName)
	}
	if len(cr.Spec.ForProvider.Extensions) > 0 && !meta.WasDeleted(cr) {
		return managed.ExternalObservation{}, errors.New(errClassExtensions)
	}
	o, err := e.db.ObserveDatabase(ctx, name)
	if err != nil || o == nil {
		return managed.ExternalObservation{}, err
	}
	cr.Status.AtProvider.Owner = o.Owner
	cr.Status.AtProvider.Encoding = o.Encoding
	cr.Status.AtProvider.CharacterSet = o.CharacterSet
	cr.Status.AtProvider.Collation = o.Collation
	cr.SetConditions(xpv2.Available())

	upToDate := !rotation.Pending(cr, cr.Spec.ForProvider.CredentialRotation, cr.Status.AtProvider.CredentialRotation)
	if upToDate {
		missing, err := e.missingSecretKeys(ctx, cr)
		if err != nil {
			return managed.ExternalObservation{}, err
		}
		upToDate = len(missing) == 0
	}
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: upToDate, ConnectionDetails: e.serverDetails(cr)}, nil
}

// serverDetails are the keys of the connection secret that the provider
// knows without calling a procedure: the server's part and the database's
// name. Observe publishes them, so that a secret follows its server (a
// DatabaseInstance's new primary) and secrets published before they
// existed get them. Keys the class's procedures publish are left out: they
// are the DBAs' to set (an endpoint of their pooler, say), and only a call
// changes them.
func (e *classExternal) serverDetails(cr *v1alpha1.Database) managed.ConnectionDetails {
	d := managed.ConnectionDetails{keyDatabase: []byte(meta.GetExternalName(cr))}
	for k, v := range e.server {
		d[k] = v
	}
	calls := []*v1alpha1.ProcedureCall{&e.class.Spec.Create, e.class.Spec.Rotate}
	for _, c := range calls {
		if c == nil {
			continue
		}
		for _, o := range c.Outputs {
			delete(d, procedure.SecretKey(o))
		}
	}
	return d
}

// published are the connection details of a call that returned out: the
// procedure's outputs beside the server's part.
func (e *classExternal) published(cr *v1alpha1.Database, out managed.ConnectionDetails) managed.ConnectionDetails {
	d := e.serverDetails(cr)
	for k, v := range out {
		d[k] = v
	}
	return d
}

// missingSecretKeys lists the keys the create procedure published that the
// connection secret no longer holds: credentials that were never published
// (a create whose result was refused) or were deleted. Rotation makes them
// anew.
func (e *classExternal) missingSecretKeys(ctx context.Context, cr *v1alpha1.Database) ([]string, error) {
	ref := cr.GetWriteConnectionSecretToReference()
	if ref == nil || len(e.class.Spec.Create.Outputs) == 0 {
		return nil, nil
	}
	s := &corev1.Secret{}
	err := e.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}, s)
	if err != nil && !kerrors.IsNotFound(err) {
		return nil, errors.Wrap(err, errGetSecret)
	}
	var missing []string
	for _, o := range e.class.Spec.Create.Outputs {
		if _, ok := s.Data[procedure.SecretKey(o)]; !ok {
			missing = append(missing, procedure.SecretKey(o))
		}
	}
	sort.Strings(missing)
	return missing, nil
}

func (e *classExternal) Create(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	c := e.class.Spec.Create
	details, err := e.call(ctx, cr, c)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	name := meta.GetExternalName(cr)
	o, err := e.db.ObserveDatabase(ctx, name)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	if o == nil {
		return managed.ExternalCreation{}, errors.Errorf(errNotCreated, e.class.GetName(), c.Procedure, name)
	}
	rotation.Created(cr, cr.Spec.ForProvider.CredentialRotation)
	return managed.ExternalCreation{ConnectionDetails: e.published(cr, details)}, nil
}

// Update rotates the credentials: when asked to, or when the connection
// secret lacks keys the create procedure returned.
func (e *classExternal) Update(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalUpdate, error) {
	r := e.class.Spec.Rotate
	if r == nil {
		missing, err := e.missingSecretKeys(ctx, cr)
		if err != nil {
			return managed.ExternalUpdate{}, err
		}
		if len(missing) > 0 {
			return managed.ExternalUpdate{}, errors.Errorf(errMissingSecretKey, strings.Join(missing, ", "), e.class.GetName())
		}
		return managed.ExternalUpdate{}, errors.Errorf(errNoRotate, e.class.GetName())
	}
	details, err := e.call(ctx, cr, *r)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	cr.Status.AtProvider.CredentialRotation = cr.Spec.ForProvider.CredentialRotation
	return managed.ExternalUpdate{ConnectionDetails: e.published(cr, details)}, nil
}

func (e *classExternal) Delete(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	d := e.class.Spec.Delete
	if d == nil {
		return managed.ExternalDelete{}, errors.Errorf(errNoDelete, e.class.GetName())
	}
	if _, err := e.call(ctx, cr, *d); err != nil {
		return managed.ExternalDelete{}, err
	}
	name := meta.GetExternalName(cr)
	o, err := e.db.ObserveDatabase(ctx, name)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	if o != nil {
		return managed.ExternalDelete{}, errors.Errorf(errNotDeleted, e.class.GetName(), d.Procedure, name)
	}
	return managed.ExternalDelete{}, nil
}

func (e *classExternal) Disconnect(ctx context.Context) error {
	return e.db.Close(ctx)
}

// call renders c's inputs for cr, calls the procedure and maps its result.
// Errors, including the procedure's own, name the class; the reconciler
// shows them in the Synced condition and retries with back-off.
func (e *classExternal) call(ctx context.Context, cr *v1alpha1.Database, c v1alpha1.ProcedureCall) (managed.ConnectionDetails, error) {
	in, err := procedure.Render(c, procedure.DataFor(cr, meta.GetExternalName(cr)))
	if err != nil {
		return nil, errors.Wrapf(err, errClassCall, e.class.GetName())
	}
	res, err := e.db.CallProcedure(ctx, in)
	if err != nil {
		return nil, errors.Wrapf(err, errClassCall, e.class.GetName())
	}
	out, err := procedure.Outputs(c, res)
	if err != nil {
		return nil, errors.Wrapf(err, errClassCall, e.class.GetName())
	}
	return out, nil
}
