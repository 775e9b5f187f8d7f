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

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errObserveDatabase = "cannot observe database"
	errCreateDatabase  = "cannot create database"
	errUpdateDatabase  = "cannot update database"
	errDropDatabase    = "cannot drop database"
	errOwner           = "owner is a PostgreSQL setting; %s databases have no owner"
	errEncoding        = "encoding is a PostgreSQL setting; %s databases take a characterSet instead"
	errDBConnLimit     = "connectionLimit is a PostgreSQL setting; %s databases have none (limit a user's connections with maxUserConnections)"
)

// ObserveDatabase returns the database's character set and collation, or nil
// when it does not exist.
func (c *Client) ObserveDatabase(ctx context.Context, name string) (*dbms.DatabaseObservation, error) {
	if err := checkName(name, maxIdentifierChars); err != nil {
		return nil, errors.Wrap(errors.Wrap(err, "database name"), errObserveDatabase)
	}
	rows, err := c.db.QueryContext(ctx, observeDatabaseSQL, name)
	if err != nil {
		return nil, errors.Wrap(err, errObserveDatabase)
	}
	defer func() { _ = rows.Close() }()
	var o *dbms.DatabaseObservation
	for rows.Next() {
		var n, cs, co string
		if err := rows.Scan(&n, &cs, &co); err != nil {
			return nil, errors.Wrap(err, errObserveDatabase)
		}
		// SCHEMA_NAME compares case- and accent-insensitively (App = app,
		// é = e); only the database of exactly this name is ours.
		if n == name {
			o = &dbms.DatabaseObservation{CharacterSet: cs, Collation: co}
		}
	}
	return o, errors.Wrap(rows.Err(), errObserveDatabase)
}

// CreateDatabase creates the database with the character set and collation
// given, the server's defaults otherwise.
func (c *Client) CreateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) error {
	if err := c.checkDatabaseParameters(p); err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	q, err := createDatabaseSQL(name, p.CharacterSet, p.Collation)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errCreateDatabase)
}

// UpdateDatabase sets the character set and collation when either is given.
// They are defaults for new tables; existing tables keep theirs.
func (c *Client) UpdateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) error {
	if err := c.checkDatabaseParameters(p); err != nil {
		return errors.Wrap(err, errUpdateDatabase)
	}
	if p.CharacterSet == "" && p.Collation == "" {
		return nil
	}
	q, err := alterDatabaseSQL(name, p.CharacterSet, p.Collation)
	if err != nil {
		return errors.Wrap(err, errUpdateDatabase)
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errUpdateDatabase)
}

// DropDatabase drops the database and everything in it. A database that
// does not exist is not an error.
func (c *Client) DropDatabase(ctx context.Context, name string) error {
	q, err := dropDatabaseSQL(name)
	if err != nil {
		return errors.Wrap(err, errDropDatabase)
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errDropDatabase)
}

// checkDatabaseParameters refuses the PostgreSQL settings, which this engine
// cannot honour; ignoring them would report a database as it was asked for
// when it is not.
func (c *Client) checkDatabaseParameters(p dbms.DatabaseParameters) error {
	switch {
	case p.Owner != "":
		return errors.Errorf(errOwner, c.engine.label)
	case p.Encoding != "":
		return errors.Errorf(errEncoding, c.engine.label)
	case p.ConnectionLimit != nil:
		return errors.Errorf(errDBConnLimit, c.engine.label)
	}
	return nil
}
