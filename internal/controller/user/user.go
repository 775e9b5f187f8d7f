package user

import (
	"context"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
)

const (
	errNoName   = "the User has no external name"
	errGenerate = "cannot generate a password"
)

// Connection secret keys.
const (
	keyUsername = "username"
	keyPassword = "password"
	keyEndpoint = "endpoint"
	keyPort     = "port"
	keyDatabase = "database"
)

// A connector connects to the server of a User's DatabaseInstance.
type connector struct {
	instance.Connector
}

// Connect tracks the ProviderConfig usage and connects as the instance's admin.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.User) (managed.TypedExternalClient[*v1alpha1.User], error) {
	db, cfg, err := c.Connector.Connect(ctx, cr, cr.Spec.ForProvider.Instance)
	if errors.Is(err, instance.ErrGone) {
		return dependents.Gone[*v1alpha1.User]{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &external{db: db, passwords: &passwords{kube: c.Kube}, endpoint: cfg.Host, port: cfg.Port, defaultDB: "postgres"}, nil
}

// external maps a User to a PostgreSQL login role named by its external
// name.
type external struct {
	db        postgresql.DB
	passwords *passwords
	endpoint  string
	port      int
	// defaultDB is the connection secret's database when the User names
	// none: the one every role may connect to by default.
	defaultDB string
}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.User) (managed.ExternalObservation, error) {
	name := meta.GetExternalName(cr)
	if name == "" {
		return managed.ExternalObservation{}, errors.New(errNoName)
	}
	o, err := e.db.ObserveRole(ctx, name)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if o == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	cr.Status.AtProvider = v1alpha1.UserObservation{ConnectionLimit: &o.ConnectionLimit, CanLogin: o.CanLogin}
	cr.SetConditions(xpv2.Available())

	pw, err := e.passwords.known(ctx, cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	upToDate, err := e.upToDate(ctx, cr, o, pw)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  upToDate,
		ConnectionDetails: e.details(cr, pw),
	}, nil
}

func (e *external) upToDate(ctx context.Context, cr *v1alpha1.User, o *postgresql.RoleObservation, pw string) (bool, error) {
	p := cr.Spec.ForProvider
	if !o.CanLogin || (p.ConnectionLimit != nil && *p.ConnectionLimit != o.ConnectionLimit) {
		return false, nil
	}
	if pw == "" {
		// A generated password that was never published (or whose Secret
		// was deleted) is lost: Update makes and publishes a new one. With
		// nowhere to publish it there is nothing to fix.
		return !e.passwords.canKeepGenerated(cr), nil
	}
	ok, err := e.db.CanLogin(ctx, meta.GetExternalName(cr), pw)
	if err != nil || !ok {
		return false, err
	}
	if db := database(cr); db != "" {
		return e.db.HasDatabaseAccess(ctx, meta.GetExternalName(cr), db)
	}
	return true, nil
}

func (e *external) Create(ctx context.Context, cr *v1alpha1.User) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	pw, err := e.passwords.known(ctx, cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	if pw == "" {
		if pw, err = e.passwords.generate(); err != nil {
			return managed.ExternalCreation{}, err
		}
	}
	p := postgresql.RoleParameters{ConnectionLimit: cr.Spec.ForProvider.ConnectionLimit, Password: pw}
	if err := e.db.CreateRole(ctx, meta.GetExternalName(cr), p); err != nil {
		return managed.ExternalCreation{}, err
	}
	// Access to the database is granted by the next Update: the database may
	// not exist yet, and a failed Create would lose the password it made.
	return managed.ExternalCreation{ConnectionDetails: e.details(cr, pw)}, nil
}

func (e *external) Update(ctx context.Context, cr *v1alpha1.User) (managed.ExternalUpdate, error) {
	name := meta.GetExternalName(cr)
	pw, err := e.passwords.known(ctx, cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	p := postgresql.RoleParameters{ConnectionLimit: cr.Spec.ForProvider.ConnectionLimit}
	switch {
	case pw == "" && e.passwords.canKeepGenerated(cr):
		if pw, err = e.passwords.generate(); err != nil {
			return managed.ExternalUpdate{}, err
		}
		p.Password = pw
	case pw != "":
		ok, err := e.db.CanLogin(ctx, name, pw)
		if err != nil {
			return managed.ExternalUpdate{}, err
		}
		if !ok {
			p.Password = pw
		}
	}
	if err := e.db.UpdateRole(ctx, name, p); err != nil {
		return managed.ExternalUpdate{}, err
	}
	if db := database(cr); db != "" {
		ok, err := e.db.HasDatabaseAccess(ctx, name, db)
		if err != nil {
			return managed.ExternalUpdate{}, err
		}
		if !ok {
			if err := e.db.GrantDatabaseAccess(ctx, name, db); err != nil {
				return managed.ExternalUpdate{}, err
			}
		}
	}
	return managed.ExternalUpdate{ConnectionDetails: e.details(cr, pw)}, nil
}

func (e *external) Delete(ctx context.Context, cr *v1alpha1.User) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	return managed.ExternalDelete{}, e.db.DropRole(ctx, meta.GetExternalName(cr), []string{database(cr)})
}

func (e *external) Disconnect(ctx context.Context) error {
	return e.db.Close(ctx)
}

// details are the connection secret's keys. The password is left out while
// it is unknown, so that publishing does not blank a stored one.
func (e *external) details(cr *v1alpha1.User, pw string) managed.ConnectionDetails {
	db := database(cr)
	if db == "" {
		db = e.defaultDB
	}
	d := managed.ConnectionDetails{
		keyUsername: []byte(meta.GetExternalName(cr)),
		keyEndpoint: []byte(e.endpoint),
		keyPort:     []byte(strconv.Itoa(e.port)),
		keyDatabase: []byte(db),
	}
	if pw != "" {
		d[keyPassword] = []byte(pw)
	}
	return d
}

func database(cr *v1alpha1.User) string {
	if cr.Spec.ForProvider.Database == nil {
		return ""
	}
	return *cr.Spec.ForProvider.Database
}
