package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const (
	errObserveRole   = "cannot observe role"
	errCreateRole    = "cannot create role"
	errUpdateRole    = "cannot update role"
	errSetPassword   = "cannot set the role's password"
	errEmptyPassword = "password must not be empty"
	errCheckLogin    = "cannot check the role's password"
	errCheckAccess   = "cannot check the role's access to its database"
	errGrantAccess   = "cannot grant the role access to its database"
	errDropOwned     = "cannot hand over what the role owns"
	errDropRole      = "cannot drop role"
)

// RoleParameters are the desired properties of a login role.
type RoleParameters struct {
	// ConnectionLimit; nil means the server's default (-1) at creation and
	// no change afterwards.
	ConnectionLimit *int32
	// Password; empty means none at creation and no change afterwards.
	Password string
}

// RoleObservation is the observed state of a role.
type RoleObservation struct {
	CanLogin        bool
	ConnectionLimit int32
}

// ObserveRole returns the role's state, or nil when it does not exist.
func (c *Client) ObserveRole(ctx context.Context, name string) (*RoleObservation, error) {
	o := &RoleObservation{}
	err := c.conn.QueryRow(ctx, observeRoleSQL, name).Scan(&o.CanLogin, &o.ConnectionLimit)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errObserveRole)
	}
	return o, nil
}

// RoleExists says whether the role exists.
func (c *Client) RoleExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := c.conn.QueryRow(ctx, roleExistsSQL, name).Scan(&ok)
	return ok, errors.Wrap(err, errObserveRole)
}

// CreateRole creates a login role and sets its password in one transaction,
// so that the role never exists without the password it was meant to have.
func (c *Client) CreateRole(ctx context.Context, name string, p RoleParameters) error {
	q, err := createRoleSQL(name, p.ConnectionLimit)
	if err != nil {
		return errors.Wrap(err, errCreateRole)
	}
	return c.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, q); err != nil {
			return errors.Wrap(err, errCreateRole)
		}
		if p.Password == "" {
			return nil
		}
		return setPassword(ctx, tx, name, p.Password)
	})
}

// UpdateRole makes the role a login role with the given connection limit
// and, when one is given, password.
func (c *Client) UpdateRole(ctx context.Context, name string, p RoleParameters) error {
	q, err := alterRoleSQL(name, p.ConnectionLimit)
	if err != nil {
		return errors.Wrap(err, errUpdateRole)
	}
	return c.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, q); err != nil {
			return errors.Wrap(err, errUpdateRole)
		}
		if p.Password == "" {
			return nil
		}
		return setPassword(ctx, tx, name, p.Password)
	})
}

// SetPassword sets the role's password.
func (c *Client) SetPassword(ctx context.Context, name, password string) error {
	return c.inTx(ctx, func(tx pgx.Tx) error { return setPassword(ctx, tx, name, password) })
}

// setPassword stores a SCRAM verifier computed here, so the plaintext never
// leaves the provider, and passes it to the server as a bound value, so
// neither appears in statement text (and so in server logs or
// pg_stat_activity).
func setPassword(ctx context.Context, tx pgx.Tx, name, password string) error {
	if password == "" {
		return errors.New(errEmptyPassword)
	}
	if _, err := quote(name); err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	v, err := NewSCRAMVerifier(password)
	if err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	if _, err := tx.Exec(ctx, bindPasswordSQL, name, v); err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	_, err = tx.Exec(ctx, setPasswordSQL)
	return errors.Wrap(err, errSetPassword)
}

// CanLogin says whether the role can log in with password, by trying it.
// Only a rejected password counts as false; being refused after the
// password was accepted (no CONNECT privilege, too many connections) means
// the password is right.
func (c *Client) CanLogin(ctx context.Context, name, password string) (bool, error) {
	cfg := c.cfg
	cfg.User, cfg.Password = name, password
	conn, err := connect(ctx, cfg)
	switch sqlState(err) {
	case "":
		if err != nil {
			return false, errors.Wrap(err, errCheckLogin)
		}
		return true, errors.Wrap(conn.Close(ctx), errCheckLogin)
	case codeInvalidPassword:
		return false, nil
	case codeInsufficientPrivilege, codeTooManyConnections, codeInvalidCatalogName:
		return true, nil
	default:
		return false, errors.Wrap(err, errCheckLogin)
	}
}

// HasDatabaseAccess says whether the role owns or was granted CONNECT on the
// database.
func (c *Client) HasDatabaseAccess(ctx context.Context, role, database string) (bool, error) {
	var ok bool
	err := c.conn.QueryRow(ctx, hasDatabaseAccessSQL, database, role).Scan(&ok)
	return ok, errors.Wrap(err, errCheckAccess)
}

// GrantDatabaseAccess lets the role connect to the database and create
// temporary tables in it.
func (c *Client) GrantDatabaseAccess(ctx context.Context, role, database string) error {
	q, err := grantDatabaseAccessSQL(role, database)
	if err != nil {
		return errors.Wrap(err, errGrantAccess)
	}
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errGrantAccess)
}

// DropRole drops the role. What it owns and its privileges are handed over
// or revoked first, in the connected database and in alsoIn (those that
// still exist), because DROP ROLE fails while anything depends on the role.
// A role that does not exist is not an error.
func (c *Client) DropRole(ctx context.Context, name string, alsoIn []string) error {
	stmts, err := dropOwnedSQL(name)
	if err != nil {
		return errors.Wrap(err, errDropRole)
	}
	drop, err := dropRoleSQL(name)
	if err != nil {
		return errors.Wrap(err, errDropRole)
	}
	exists, err := c.RoleExists(ctx, name)
	if err != nil || !exists {
		return err
	}
	for _, db := range alsoIn {
		if db == "" || db == c.connectedDatabase() {
			continue
		}
		if err := c.dropOwnedIn(ctx, db, stmts); err != nil {
			return err
		}
	}
	return c.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return errors.Wrap(err, errDropOwned)
			}
		}
		_, err := tx.Exec(ctx, drop)
		return errors.Wrap(err, errDropRole)
	})
}

func (c *Client) dropOwnedIn(ctx context.Context, db string, stmts []string) error {
	cfg := c.cfg
	cfg.Database = db
	conn, err := connect(ctx, cfg)
	if sqlState(err) == codeInvalidCatalogName {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, errDropOwned)
	}
	defer func() { _ = conn.Close(ctx) }()
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return errors.Wrap(err, errDropOwned)
		}
	}
	return nil
}

func (c *Client) connectedDatabase() string {
	if c.cfg.Database == "" {
		return defaultDBName
	}
	return c.cfg.Database
}

func (c *Client) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := c.conn.Begin(ctx)
	if err != nil {
		return errors.Wrap(err, errBeginTx)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	return errors.Wrap(tx.Commit(ctx), errCommitTx)
}
