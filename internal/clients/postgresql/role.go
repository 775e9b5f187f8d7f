package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/scram"
)

const (
	errObserveRole   = "cannot observe role"
	errCreateRole    = "cannot create role"
	errUpdateRole    = "cannot update role"
	errSetPassword   = "cannot set the role's password"
	errEmptyPassword = "password must not be empty"
	errCheckLogin    = "cannot check the role's password"
	errDropOwned     = "cannot hand over what the role owns"
	errDropRole      = "cannot drop role"
	errMarkRole      = "cannot write the role's ownership marker"
	errHost          = "host is a MySQL account setting; PostgreSQL roles have no host"
	errContained     = "contained users are a SQL Server setting; PostgreSQL roles are server-wide"
	errLimits        = "resource limits are MySQL settings; use connectionLimit on PostgreSQL"
)

// checkUser refuses what PostgreSQL roles do not have rather than ignoring
// what a user asked for. u.Database is not part of a role's identity: roles
// are cluster-wide.
func checkUser(u dbms.UserName, p dbms.UserParameters) error {
	l := p.Limits
	switch {
	case u.Host != "":
		return errors.New(errHost)
	case p.Contained:
		return errors.New(errContained)
	case l.MaxQueriesPerHour != nil || l.MaxUpdatesPerHour != nil || l.MaxConnectionsPerHour != nil || l.MaxUserConnections != nil:
		return errors.New(errLimits)
	}
	return nil
}

// ObserveUser returns the role's state, or nil when it does not exist.
func (c *Client) ObserveUser(ctx context.Context, u dbms.UserName) (*dbms.UserObservation, error) {
	o := &dbms.UserObservation{ConnectionLimit: new(int32)}
	err := c.conn.QueryRow(ctx, observeRoleSQL, u.Name).Scan(&o.CanLogin, o.ConnectionLimit, &o.Marker)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errObserveRole)
	}
	return o, nil
}

// roleExists says whether the role exists.
func (c *Client) roleExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := c.conn.QueryRow(ctx, roleExistsSQL, name).Scan(&ok)
	return ok, errors.Wrap(err, errObserveRole)
}

// CreateUser creates a login role, writes its ownership marker and sets its
// password in one transaction, so that the role never exists without the
// marker that says who made it (a crash leaves either nothing or all three)
// or without the password it was meant to have.
func (c *Client) CreateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	if err := checkUser(u, p); err != nil {
		return errors.Wrap(err, errCreateRole)
	}
	name := u.Name
	q, err := createRoleSQL(name, p.ConnectionLimit)
	if err != nil {
		return errors.Wrap(err, errCreateRole)
	}
	stmts := []string{q}
	if p.Marker != "" {
		cq, err := commentOnRoleSQL(name, p.Marker)
		if err != nil {
			return errors.Wrap(err, errCreateRole)
		}
		stmts = append(stmts, cq)
	}
	return c.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return errors.Wrap(err, errCreateRole)
			}
		}
		if p.Password == "" {
			return nil
		}
		return setPassword(ctx, tx, name, p.Password)
	})
}

// MarkUser writes marker as the role's comment, replacing any other.
func (c *Client) MarkUser(ctx context.Context, u dbms.UserName, marker string) error {
	q, err := commentOnRoleSQL(u.Name, marker)
	if err != nil {
		return errors.Wrap(err, errMarkRole)
	}
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errMarkRole)
}

// UpdateUser makes the role a login role with the given connection limit
// and, when one is given, password.
func (c *Client) UpdateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	if err := checkUser(u, p); err != nil {
		return errors.Wrap(err, errUpdateRole)
	}
	name := u.Name
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
	v, err := scram.NewVerifier(password)
	if err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	if _, err := tx.Exec(ctx, bindPasswordSQL, name, v); err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	_, err = tx.Exec(ctx, setPasswordSQL)
	return errors.Wrap(err, errSetPassword)
}

// CanLogin says whether password is the role's. Where the session can read
// the role's stored SCRAM verifier, the password is hashed with its salt
// and iteration count and compared here, so that a poll costs the server
// no login; whether the role may log in at all (rolcanlogin) is
// ObserveUser's. A role without a SCRAM verifier (none, or MD5) does not
// match: setting the password again stores one.
func (c *Client) CanLogin(ctx context.Context, u dbms.UserName, password string) (bool, error) {
	v, readable, err := c.storedVerifier(ctx, u.Name)
	if err != nil {
		return false, errors.Wrap(err, errCheckLogin)
	}
	if readable {
		return scram.Matches(v, password), nil
	}
	return c.tryLogin(ctx, u, password)
}

// storedVerifier returns the role's stored verifier ("" when it has none,
// or is no role the provider may read the verifier of), and whether this
// session can read verifiers at all.
func (c *Client) storedVerifier(ctx context.Context, name string) (string, bool, error) {
	var super, definer bool
	if err := c.conn.QueryRow(ctx, verifierSourceSQL, pgroles.Schema).Scan(&super, &definer); err != nil {
		return "", false, err
	}
	q := storedVerifierSQL
	switch {
	case super:
	case definer:
		q = definerVerifierSQL
	default:
		return "", false, nil
	}
	var v *string
	err := c.conn.QueryRow(ctx, q, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && v == nil) {
		return "", true, nil
	}
	if err != nil {
		return "", false, err
	}
	return *v, true, nil
}

// tryLogin says whether the role can log in with password, by trying it,
// for a session that cannot read verifiers. Only a rejected password
// counts as false; being refused after the password was accepted (no
// CONNECT privilege, too many connections) means the password is right.
func (c *Client) tryLogin(ctx context.Context, u dbms.UserName, password string) (bool, error) {
	cfg := c.cfg
	cfg.User, cfg.Password = u.Name, password
	if u.Database != "" {
		cfg.Database = u.Database
	}
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

// DropUser drops the role. What it owns and its privileges are handed over
// or revoked first, in the connected database and in alsoIn (those that
// still exist), because DROP ROLE fails while anything depends on the role.
// A role that does not exist is not an error.
func (c *Client) DropUser(ctx context.Context, u dbms.UserName, alsoIn []string) error {
	name := u.Name
	stmts, err := dropOwnedSQL(name)
	if err != nil {
		return errors.Wrap(err, errDropRole)
	}
	drop, err := dropRoleSQL(name)
	if err != nil {
		return errors.Wrap(err, errDropRole)
	}
	exists, err := c.roleExists(ctx, name)
	if err != nil || !exists {
		return err
	}
	// REASSIGN OWNED and DROP OWNED need the role's rights.
	if err := c.becomeMember(ctx, name); err != nil {
		return errors.Wrap(err, errDropRole)
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
