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

package mysql

import (
	"context"
	"crypto/subtle"
	"math"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/go-sql-driver/mysql"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// nativePasswordPlugin is the plugin of the accounts this client makes.
const nativePasswordPlugin = "mysql_native_password"

const (
	errObserveUser   = "cannot observe user"
	errCreateUser    = "cannot create user"
	errUpdateUser    = "cannot update user"
	errDropUser      = "cannot drop user"
	errMarkUser      = "cannot record the user's ownership marker"
	errCheckLogin    = "cannot check the user's password"
	errUserConnLimit = "connectionLimit is a PostgreSQL setting; %s users take resourceLimits.maxUserConnections instead"
	errContained     = "contained users are a SQL Server setting; %s has none"
)

// Server error numbers that CanLogin tells apart.
const (
	codeDBAccessDenied       = 1044 // ER_DBACCESS_DENIED_ERROR
	codeAccessDenied         = 1045 // ER_ACCESS_DENIED_ERROR
	codeBadDB                = 1049 // ER_BAD_DB_ERROR
	codeTooManyUserConns     = 1203 // ER_TOO_MANY_USER_CONNECTIONS
	codeUserLimitReached     = 1226 // ER_USER_LIMIT_REACHED
	codeAccessDeniedNoPass   = 1698 // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
	codeMustChangePassword   = 1862 // ER_MUST_CHANGE_PASSWORD_LOGIN
	codeMySQLAccountLocked   = 3118 // ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL)
	codeMariaDBAccountLocked = 4151 // ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB)
)

// ObserveUser returns the account's resource limits and whether it is
// unlocked, or nil when it does not exist.
func (c *Client) ObserveUser(ctx context.Context, u dbms.UserName) (*dbms.UserObservation, error) {
	if _, err := account(u.Name, u.Host, c.engine.maxUserChars); err != nil {
		return nil, errors.Wrap(err, errObserveUser)
	}
	host := hostOf(u.Host)
	rows, err := c.db.QueryContext(ctx, c.engine.observeUserSQL, u.Name, host)
	if err != nil {
		return nil, errors.Wrap(err, errObserveUser)
	}
	defer func() { _ = rows.Close() }()
	var o *dbms.UserObservation
	for rows.Next() {
		var name, h string
		var q, up, conns, userConns int64
		var locked bool
		if err := rows.Scan(&name, &h, &q, &up, &conns, &userConns, &locked); err != nil {
			return nil, errors.Wrap(err, errObserveUser)
		}
		// The columns compare with padding (bob = 'bob '); only the
		// account of exactly this name is ours.
		if name != u.Name || h != host {
			continue
		}
		o = &dbms.UserObservation{
			CanLogin: !locked,
			Limits: dbms.ResourceLimits{
				MaxQueriesPerHour:     clamp(q),
				MaxUpdatesPerHour:     clamp(up),
				MaxConnectionsPerHour: clamp(conns),
				MaxUserConnections:    clamp(userConns),
			},
		}
	}
	if err := rows.Err(); err != nil || o == nil {
		return o, errors.Wrap(err, errObserveUser)
	}
	m, err := c.ownerOf(ctx, ownedAccount, u.Name, host)
	if err != nil {
		return nil, errors.Wrap(err, errObserveUser)
	}
	o.Marker = m
	return o, nil
}

// CreateUser creates the account, unlocked, with the password and the limits
// given. A password is required. u.Database plays no part: accounts belong
// to the server and reach databases through grants.
func (c *Client) CreateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	if err := c.checkUserParameters(p); err != nil {
		return errors.Wrap(err, errCreateUser)
	}
	q, err := createUserSQL(u, p, c.engine.maxUserChars)
	if err != nil {
		return errors.Wrap(err, errCreateUser)
	}
	if p.Marker == "" {
		_, err = c.db.ExecContext(ctx, q)
		return errors.Wrap(err, errCreateUser)
	}
	// The record first, so that an account made here never lacks one (see
	// owners.go).
	host := hostOf(u.Host)
	fresh, err := c.claimOwner(ctx, ownedAccount, u.Name, host, p.Marker, "account "+quoteString(u.Name)+"@"+quoteString(host))
	if err != nil {
		return errors.Wrap(err, errCreateUser)
	}
	if _, err := c.db.ExecContext(ctx, q); err != nil {
		if fresh {
			_ = c.forgetOwner(ctx, ownedAccount, u.Name, host)
		}
		return errors.Wrap(err, errCreateUser)
	}
	return nil
}

// MarkUser records marker as the account's owner, replacing any other.
func (c *Client) MarkUser(ctx context.Context, u dbms.UserName, marker string) error {
	if _, err := account(u.Name, u.Host, c.engine.maxUserChars); err != nil {
		return errors.Wrap(err, errMarkUser)
	}
	return errors.Wrap(c.setOwner(ctx, ownedAccount, u.Name, hostOf(u.Host), marker), errMarkUser)
}

// UpdateUser unlocks the account and sets the limits given and, when one is
// given, the password.
func (c *Client) UpdateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	if err := c.checkUserParameters(p); err != nil {
		return errors.Wrap(err, errUpdateUser)
	}
	q, err := alterUserSQL(u, p, c.engine.maxUserChars)
	if err != nil {
		return errors.Wrap(err, errUpdateUser)
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errUpdateUser)
}

// DropUser drops the account and its privileges. MySQL ties no objects to
// accounts (routines and views only name theirs as definer), so alsoIn has
// nothing to do. An account that does not exist is not an error. Sessions
// the account has open go on until they end; the server does not end them.
func (c *Client) DropUser(ctx context.Context, u dbms.UserName, _ []string) error {
	q, err := dropUserSQL(u, c.engine.maxUserChars)
	if err != nil {
		return errors.Wrap(err, errDropUser)
	}
	if _, err := c.db.ExecContext(ctx, q); err != nil {
		return errors.Wrap(err, errDropUser)
	}
	// The record goes after the account, so that an account never lacks
	// its record.
	return errors.Wrap(c.forgetOwner(ctx, ownedAccount, u.Name, hostOf(u.Host)), errDropUser)
}

// CanLogin says whether password is the account's. For an account with a
// mysql_native_password hash (every account this client makes) it compares
// the stored hash with the password's, rather than logging in: an account
// for another host (app@'10.0.%') cannot log in from the provider's address,
// and every login spends one of the account's MAX_CONNECTIONS_PER_HOUR.
// Accounts using another plugin are checked by logging in.
func (c *Client) CanLogin(ctx context.Context, u dbms.UserName, password string) (bool, error) {
	if _, err := account(u.Name, u.Host, c.engine.maxUserChars); err != nil {
		return false, errors.Wrap(err, errCheckLogin)
	}
	plugin, stored, err := c.auth(ctx, u)
	if err != nil {
		return false, err
	}
	if plugin != nativePasswordPlugin || stored == "" {
		return c.canLoginByConnecting(ctx, u, password)
	}
	want, err := nativePasswordHash(password)
	if err != nil {
		return false, errors.Wrap(err, errCheckLogin)
	}
	return subtle.ConstantTimeCompare([]byte(strings.ToUpper(stored)), []byte(strings.ToUpper(want))) == 1, nil
}

// auth reads the account's authentication plugin and stored hash; both are
// empty when the account does not exist.
func (c *Client) auth(ctx context.Context, u dbms.UserName) (plugin, stored string, err error) {
	host := hostOf(u.Host)
	rows, err := c.db.QueryContext(ctx, c.engine.authSQL, u.Name, host)
	if err != nil {
		return "", "", errors.Wrap(err, errCheckLogin)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var name, h, p, s string
		if err := rows.Scan(&name, &h, &p, &s); err != nil {
			return "", "", errors.Wrap(err, errCheckLogin)
		}
		// The columns compare with padding; only this exact account counts.
		if name == u.Name && h == host {
			plugin, stored = p, s
		}
	}
	return plugin, stored, errors.Wrap(rows.Err(), errCheckLogin)
}

// canLoginByConnecting says whether u can log in with password, by trying.
func (c *Client) canLoginByConnecting(ctx context.Context, u dbms.UserName, password string) (bool, error) {
	cfg := c.cfg
	cfg.User, cfg.Password, cfg.Database = u.Name, password, u.Database
	mc, err := loginConfig(cfg)
	if err != nil {
		return false, errors.Wrap(err, errCheckLogin)
	}
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return false, errors.Wrap(err, errCheckLogin)
	}
	lctx, cancel := context.WithTimeout(ctx, cfg.Timeout())
	defer cancel()
	conn, err := connector.Connect(lctx)
	if err == nil {
		return true, errors.Wrap(conn.Close(), errCheckLogin)
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false, errors.Wrap(connectError(lctx, err, c.engine, cfg.Timeout()), errCheckLogin)
	}
	switch me.Number {
	case codeAccessDenied, codeAccessDeniedNoPass, codeMySQLAccountLocked, codeMariaDBAccountLocked, codeMustChangePassword:
		return false, nil
	case codeDBAccessDenied, codeBadDB, codeTooManyUserConns, codeUserLimitReached:
		return true, nil
	default:
		return false, errors.Wrap(err, errCheckLogin)
	}
}

// checkUserParameters refuses the settings of other engines.
func (c *Client) checkUserParameters(p dbms.UserParameters) error {
	switch {
	case p.ConnectionLimit != nil:
		return errors.Errorf(errUserConnLimit, c.engine.label)
	case p.Contained:
		return errors.Errorf(errContained, c.engine.label)
	}
	return nil
}

// clamp converts a stored limit, which the server keeps as a 64-bit number,
// to the contract's; one beyond int32 (set by other means) reads as the
// largest int32.
func clamp(v int64) *int32 {
	switch {
	case v > math.MaxInt32:
		v = math.MaxInt32
	case v < math.MinInt32:
		v = math.MinInt32
	}
	n := int32(v)
	return &n
}
