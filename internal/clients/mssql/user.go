/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package mssql

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errObserveUser     = "cannot observe user"
	errCreateUser      = "cannot create user"
	errUpdateUser      = "cannot update user"
	errDropUser        = "cannot drop user"
	errMarkUser        = "cannot write the user's ownership marker"
	errCheckLogin      = "cannot check the user's password"
	errEmptyPassword   = "password must not be empty"
	errPasswordNUL     = "password must not contain NUL"
	errPasswordUTF8    = "password must be valid UTF-8"
	errHost            = "host is part of a MySQL/MariaDB account name; SQL Server users have none: leave it empty"
	errContainedNoDB   = "a contained user lives in a database: give its database"
	errUserLimit       = "%s is a %s setting, which the SQL Server client does not take: leave it empty"
	errObserveDBUser   = "cannot observe the user in database %q"
	errDropInDatabase  = errDropUser + " in database %q"
	errCreateLoginUser = "cannot create the login's user in database %q"
	errBackslash       = "a name with a backslash is a Windows account (DOMAIN\\user); a user with a password cannot have one"
)

// Login failures that setting the password again would cure: a wrong
// password (or an unknown user: the server does not say which), an expired
// one, one that must be changed, and a disabled login (UpdateUser enables
// it).
var passwordRefused = []int32{numLoginFailed, numPasswordExpired, numMustChange, numLoginDisabled}

// A dbUser is a user as its database has it.
type dbUser struct {
	contained bool
	// mapped is true when the user is the login of its name's user.
	mapped     bool
	canConnect bool
}

// ObserveUser returns the user's state, or nil when it does not exist. A
// contained user is found in u.Database; any other is a login, and when
// u.Database is set it can log in only if the login has a user there that
// may connect.
func (c *Client) ObserveUser(ctx context.Context, u dbms.UserName) (*dbms.UserObservation, error) {
	if err := validUserName(u); err != nil {
		return nil, errors.Wrap(err, errObserveUser)
	}
	var du *dbUser
	if u.Database != "" {
		var err error
		if du, err = c.observeDatabaseUser(ctx, u.Database, u.Name); err != nil {
			return nil, errors.Wrap(err, errObserveUser)
		}
		if du != nil && du.contained {
			m, err := c.ownerOf(ctx, userKey(u.Name, u.Database, true))
			if err != nil {
				return nil, errors.Wrap(err, errObserveUser)
			}
			return &dbms.UserObservation{Contained: true, CanLogin: du.canConnect, Marker: m}, nil
		}
	}
	var disabled bool
	err := c.db.QueryRowContext(ctx, observeLoginSQL, u.Name).Scan(&disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errObserveUser)
	}
	o := &dbms.UserObservation{CanLogin: !disabled}
	if u.Database != "" {
		o.CanLogin = o.CanLogin && du != nil && du.mapped && du.canConnect
	}
	if o.Marker, err = c.ownerOf(ctx, userKey(u.Name, "", false)); err != nil {
		return nil, errors.Wrap(err, errObserveUser)
	}
	return o, nil
}

// observeDatabaseUser returns the user called name in database, or nil when
// there is none or no such database.
func (c *Client) observeDatabaseUser(ctx context.Context, database, name string) (*dbUser, error) {
	q, args := inDatabase(database, observeDatabaseUserSQL, skipIfMissing, nameParam(name))
	var authType int64
	du := &dbUser{}
	err := c.db.QueryRowContext(ctx, q, args...).Scan(&authType, &du.mapped, &du.canConnect)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, errObserveDBUser, database)
	}
	// 2 is DATABASE: the user has its own password.
	du.contained = authType == 2
	return du, nil
}

// CreateUser creates a contained user in u.Database, or a login and, when
// u.Database is set, its user there.
func (c *Client) CreateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	if err := validUser(u, p); err != nil {
		return errors.Wrap(err, errCreateUser)
	}
	if err := validPassword(p.Password); err != nil {
		return errors.Wrap(err, errCreateUser)
	}
	if p.Marker == "" {
		return c.createUser(ctx, u, p)
	}
	// The marker first, so that a user made here never lacks one (see
	// owners.go).
	key := userKey(u.Name, u.Database, p.Contained)
	fresh, err := c.claimOwner(ctx, key, p.Marker, "user "+strconv.Quote(u.Name))
	if err != nil {
		return errors.Wrap(err, errCreateUser)
	}
	if err := c.createUser(ctx, u, p); err != nil {
		if fresh {
			_ = c.forgetOwner(ctx, key)
		}
		return err
	}
	return nil
}

// MarkUser marks the user as marker's, replacing any other marker.
func (c *Client) MarkUser(ctx context.Context, u dbms.UserName, marker string) error {
	if err := validUserName(u); err != nil {
		return errors.Wrap(err, errMarkUser)
	}
	contained := false
	if u.Database != "" {
		du, err := c.observeDatabaseUser(ctx, u.Database, u.Name)
		if err != nil {
			return errors.Wrap(err, errMarkUser)
		}
		contained = du != nil && du.contained
	}
	return errors.Wrap(c.setOwner(ctx, userKey(u.Name, u.Database, contained), marker), errMarkUser)
}

func (c *Client) createUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	if p.Contained {
		q, args := inDatabase(u.Database, createContainedUserSQL, failIfMissing, nameParam(u.Name), passwordParam(p.Password))
		_, err := c.db.ExecContext(ctx, q, args...)
		return errors.Wrap(err, errCreateUser)
	}
	if _, err := c.db.ExecContext(ctx, createLoginSQL, sql.Named("name", u.Name), sql.Named("password", p.Password)); err != nil {
		return errors.Wrap(err, errCreateUser)
	}
	return c.ensureLoginUser(ctx, u)
}

// UpdateUser sets the password when one is given and lets the user log in:
// a login is enabled and given its user in u.Database; a contained user is
// granted CONNECT.
func (c *Client) UpdateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	if err := validUser(u, p); err != nil {
		return errors.Wrap(err, errUpdateUser)
	}
	if p.Password != "" {
		if err := validPassword(p.Password); err != nil {
			return errors.Wrap(err, errUpdateUser)
		}
	}
	if p.Contained {
		if p.Password != "" {
			q, args := inDatabase(u.Database, alterContainedPasswordSQL, failIfMissing, nameParam(u.Name), passwordParam(p.Password))
			if _, err := c.db.ExecContext(ctx, q, args...); err != nil {
				return errors.Wrap(err, errUpdateUser)
			}
		}
		q, args := inDatabase(u.Database, grantConnectSQL, failIfMissing, nameParam(u.Name))
		_, err := c.db.ExecContext(ctx, q, args...)
		return errors.Wrap(err, errUpdateUser)
	}
	if _, err := c.db.ExecContext(ctx, enableLoginSQL, sql.Named("name", u.Name)); err != nil {
		return errors.Wrap(err, errUpdateUser)
	}
	if p.Password != "" {
		if _, err := c.db.ExecContext(ctx, alterLoginPasswordSQL, sql.Named("name", u.Name), sql.Named("password", p.Password)); err != nil {
			return errors.Wrap(err, errUpdateUser)
		}
	}
	return errors.Wrap(c.ensureLoginUser(ctx, u), errUpdateUser)
}

// ensureLoginUser gives a login its user in u.Database, when that is set.
func (c *Client) ensureLoginUser(ctx context.Context, u dbms.UserName) error {
	if u.Database == "" {
		return nil
	}
	q, args := inDatabase(u.Database, ensureLoginUserSQL, failIfMissing, nameParam(u.Name))
	_, err := c.db.ExecContext(ctx, q, args...)
	return errors.Wrapf(err, errCreateLoginUser, u.Database)
}

// CanLogin says whether the user can log in with password, by trying it, to
// u.Database when it is set. Only a refused password (or one that may not be
// used any more) counts as false: being refused after the password was
// accepted, because the database cannot be opened, means it is right.
func (c *Client) CanLogin(ctx context.Context, u dbms.UserName, password string) (bool, error) {
	if err := validUserName(u); err != nil {
		return false, errors.Wrap(err, errCheckLogin)
	}
	cfg := c.cfg
	cfg.User, cfg.Password, cfg.Database = u.Name, password, u.Database
	err := c.login(ctx, cfg)
	switch {
	case err == nil:
		return true, nil
	case hasErrorNumber(err, numCannotOpenDatabase):
		return true, nil
	}
	for _, n := range passwordRefused {
		if hasErrorNumber(err, n) {
			return false, nil
		}
	}
	return false, errors.Wrap(err, errCheckLogin)
}

// DropUser drops the user in u.Database and in alsoIn (in those that still
// exist), handing the schemas it owns there to dbo, and then its login,
// ending the login's sessions. A contained user has no login; one is not
// dropped when the user in u.Database is contained. A user that does not
// exist is not an error.
func (c *Client) DropUser(ctx context.Context, u dbms.UserName, alsoIn []string) error {
	if err := validUserName(u); err != nil {
		return errors.Wrap(err, errDropUser)
	}
	contained := false
	if u.Database != "" {
		du, err := c.observeDatabaseUser(ctx, u.Database, u.Name)
		if err != nil {
			return errors.Wrap(err, errDropUser)
		}
		contained = du != nil && du.contained
	}
	seen := map[string]bool{}
	for _, db := range append([]string{u.Database}, alsoIn...) {
		if db == "" || seen[db] {
			continue
		}
		seen[db] = true
		if err := validName(db); err != nil {
			return errors.Wrapf(err, errDropInDatabase, db)
		}
		q, args := inDatabase(db, dropDatabaseUserSQL, skipIfMissing, nameParam(u.Name))
		if _, err := c.db.ExecContext(ctx, q, args...); err != nil {
			return errors.Wrapf(err, errDropInDatabase, db)
		}
	}
	if contained {
		return errors.Wrap(c.forgetOwner(ctx, userKey(u.Name, u.Database, true)), errDropUser)
	}
	if _, err := c.db.ExecContext(ctx, dropLoginSQL, sql.Named("name", u.Name)); err != nil {
		return errors.Wrap(err, errDropUser)
	}
	return errors.Wrap(c.forgetOwner(ctx, userKey(u.Name, "", false)), errDropUser)
}

// validUserName checks the parts of a SQL Server user's name.
func validUserName(u dbms.UserName) error {
	if u.Host != "" {
		return errors.New(errHost)
	}
	if err := validName(u.Name); err != nil {
		return errors.Wrap(err, "user")
	}
	// The server refuses such a name for a login with a password, and the
	// driver would log in with one through Windows authentication
	// (CanLogin) instead.
	if strings.ContainsRune(u.Name, '\\') {
		return errors.New(errBackslash)
	}
	if u.Database != "" {
		if err := validName(u.Database); err != nil {
			return errors.Wrap(err, "database")
		}
	}
	return nil
}

// validUser checks the name and refuses settings of other engines.
func validUser(u dbms.UserName, p dbms.UserParameters) error {
	if err := validUserName(u); err != nil {
		return err
	}
	if p.Contained && u.Database == "" {
		return errors.New(errContainedNoDB)
	}
	l := p.Limits
	switch {
	case p.ConnectionLimit != nil:
		return errors.Errorf(errUserLimit, "connectionLimit", "PostgreSQL")
	case l.MaxQueriesPerHour != nil, l.MaxUpdatesPerHour != nil, l.MaxConnectionsPerHour != nil, l.MaxUserConnections != nil:
		return errors.Errorf(errUserLimit, "resourceLimits", "MySQL/MariaDB")
	}
	return nil
}

// validPassword refuses what the server would not store as given: the
// driver sends UTF-16, so an invalid byte would become U+FFFD, and NUL has
// no place in a login's password.
func validPassword(pw string) error {
	switch {
	case pw == "":
		return errors.New(errEmptyPassword)
	case strings.IndexByte(pw, 0) >= 0:
		return errors.New(errPasswordNUL)
	case !utf8.ValidString(pw):
		return errors.New(errPasswordUTF8)
	}
	return nil
}
