package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

const errObserveRoles = "cannot read the provider's roles"

// RolesState is what the primary holds of the provider's roles.
type RolesState struct {
	// Missing: a role the provider makes is not there yet; the instance
	// is not Ready before it is.
	Missing bool
	// Current: every role is there with the password the admin password
	// Secret gives it, its attributes and its grants, and the extension
	// functions are there for the instance's allow-list. A changed Secret
	// makes it false with Missing false: the instance stays Ready while
	// the passwords follow.
	Current bool
}

// ObserveRoles reads the provider's roles (pgroles.Provider) on the primary
// over the admin session. Passwords are compared with the SCRAM verifiers
// in pg_authid, so nothing logs in over TCP to check them and no password
// reaches the server.
func (i *Instance) ObserveRoles(ctx context.Context, adminPassword string) (RolesState, error) {
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return RolesState{}, errors.Wrap(err, errObserveRoles)
	}
	defer c.Close(context.Background())
	return i.readRoles(ctx, c, adminPassword)
}

// readRoles is ObserveRoles over a session the caller holds, so that a
// look at a primary (see Look) reads its roles without a second login.
func (i *Instance) readRoles(ctx context.Context, c *pgx.Conn, adminPassword string) (RolesState, error) {
	s := RolesState{Current: true}
	for _, r := range pgroles.Provider(i.AdminUser, adminPassword) {
		exists, current, err := pgroles.Current(ctx, c, r)
		if err != nil {
			return RolesState{}, errors.Wrap(err, errObserveRoles)
		}
		s.Missing = s.Missing || !exists
		s.Current = s.Current && current
	}
	if s.Current {
		ok, err := pgroles.ExtensionFunctionsCurrent(ctx, c, pgextensions.Names(i.Version))
		if err != nil {
			return RolesState{}, errors.Wrap(err, errObserveRoles)
		}
		s.Current = ok
	}
	return s, nil
}

// EnsureRoles makes the provider's roles on the running primary as
// ObserveRoles wants them, changing only what differs: a changed admin
// password Secret gives the superuser and every derived role their new
// passwords here. The roles and their grants (some of which, on functions
// and the public schema, are the database's) are made in postgres; then
// the extension functions in template1, then in postgres, so that postgres
// having them (what ObserveRoles looks at) means template1 has them too.
// The sessions' commits are local: a synchronous primary whose replicas
// do not exist yet (they are made after this) would wait for them forever.
func (i *Instance) EnsureRoles(ctx context.Context, adminPassword string) error {
	c, err := i.localAdmin(ctx, adminPassword, "postgres")
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if err := pgroles.EnsureAll(ctx, c, pgroles.Provider(i.AdminUser, adminPassword)); err != nil {
		return err
	}
	t, err := i.localAdmin(ctx, adminPassword, "template1")
	if err != nil {
		return err
	}
	defer t.Close(context.Background())
	for _, c := range []*pgx.Conn{t, c} {
		if err := ensureExtensionFunctions(ctx, c, pgextensions.Names(i.Version)); err != nil {
			return err
		}
	}
	return nil
}

// localAdmin is the admin session on database with local commits.
func (i *Instance) localAdmin(ctx context.Context, adminPassword, database string) (*pgx.Conn, error) {
	c, err := i.connectAdminTo(ctx, adminPassword, database)
	if err != nil {
		return nil, errors.Wrap(err, errObserveRoles)
	}
	if _, err := c.Exec(ctx, "SET synchronous_commit TO local"); err != nil {
		_ = c.Close(context.Background())
		return nil, errors.Wrap(err, errLocal)
	}
	return c, nil
}

// ensureExtensionFunctions makes the extension functions in c's database
// unless they are current.
func ensureExtensionFunctions(ctx context.Context, c *pgx.Conn, allowed []string) error {
	if ok, err := pgroles.ExtensionFunctionsCurrent(ctx, c, allowed); err != nil || ok {
		return err
	}
	return pgroles.EnsureExtensionFunctions(ctx, c, allowed)
}
