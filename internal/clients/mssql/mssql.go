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

// Package mssql is the SQL Server client behind dbms.Server. SQL Server
// takes no parameters for identifiers or for the password in CREATE LOGIN,
// so statements are built in one of two ways: names the client must write
// itself (databases, procedures) are checked and bracket-quoted here; and
// statements that carry a password or run in another database are built on
// the server, with QUOTENAME and string escaping, from values the client
// binds as parameters. Either way no name or value chosen by a user can
// change what a statement does, and a password never appears in the text
// the client sends.
package mssql

import (
	"context"
	"database/sql"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errConnect   = "cannot connect to SQL Server"
	errCloseConn = "cannot close the connections to SQL Server"
	errEngine    = "the configuration is for %s, not SQL Server"
)

// SQL Server error numbers the client tells apart.
const (
	// numLoginFailed is sent for a wrong password and for an unknown user
	// alike, so that a client cannot probe which logins exist.
	numLoginFailed = 18456
	// numPasswordExpired and numMustChange refuse a login whose password
	// matched but may no longer be used.
	numPasswordExpired = 18487
	numMustChange      = 18488
	// numLoginDisabled refuses a disabled login.
	numLoginDisabled = 18470
	// numCannotOpenDatabase comes before 18456 when the password matched
	// but the database asked for cannot be opened.
	numCannotOpenDatabase = 4060
)

// A Client is a dbms.Server backed by a pool of connections to one server.
type Client struct {
	db *sql.DB
	// cfg is how the pool connects; CanLogin reuses it with other
	// credentials.
	cfg dbms.Config
	// login opens and closes one connection with cfg, so that tests can
	// stand in for a server.
	login func(ctx context.Context, cfg dbms.Config) error
}

var _ dbms.Server = &Client{}

// Connect opens a pool for cfg and checks that it can log in.
func Connect(ctx context.Context, cfg dbms.Config) (*Client, error) {
	if cfg.Engine != "" && cfg.Engine != dbms.SQLServer {
		return nil, errors.Errorf(errEngine, cfg.Engine)
	}
	conn, err := newConnector(cfg)
	if err != nil {
		return nil, errors.Wrap(err, errConnect)
	}
	db := sql.OpenDB(conn)
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout())
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, errors.Wrapf(err, "%s: %s", errConnect, cfg)
	}
	c := newClient(db)
	c.cfg = cfg
	return c, nil
}

// newClient returns a Client that sends its statements to db.
func newClient(db *sql.DB) *Client {
	return &Client{db: db, login: login}
}

// Close closes the pool.
func (c *Client) Close(_ context.Context) error {
	return errors.Wrap(c.db.Close(), errCloseConn)
}

// hasErrorNumber says whether err carries a server error numbered num. A
// server may send several errors for one request (a failed login sends
// two); the driver reports the last and keeps them all.
func hasErrorNumber(err error, num int32) bool {
	var me mssql.Error
	if !errors.As(err, &me) {
		return false
	}
	if me.Number == num {
		return true
	}
	for _, e := range me.All {
		if e.Number == num {
			return true
		}
	}
	return false
}
