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
	errMarkDatabase    = "cannot write the database's ownership marker"
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
	q := observeDatabaseSQL
	if c.engine.databaseComments {
		q = observeCommentedDatabaseSQL
	}
	rows, err := c.db.QueryContext(ctx, q, name)
	if err != nil {
		return nil, errors.Wrap(err, errObserveDatabase)
	}
	defer func() { _ = rows.Close() }()
	var o *dbms.DatabaseObservation
	for rows.Next() {
		var n, cs, co, comment string
		if err := rows.Scan(&n, &cs, &co, &comment); err != nil {
			return nil, errors.Wrap(err, errObserveDatabase)
		}
		// SCHEMA_NAME compares case- and accent-insensitively (App = app,
		// é = e); only the database of exactly this name is ours.
		if n == name {
			o = &dbms.DatabaseObservation{CharacterSet: cs, Collation: co, Marker: comment}
		}
	}
	if err := rows.Err(); err != nil || o == nil || c.engine.databaseComments {
		return o, errors.Wrap(err, errObserveDatabase)
	}
	m, err := c.ownerOf(ctx, ownedDatabase, name, "")
	if err != nil {
		return nil, errors.Wrap(err, errObserveDatabase)
	}
	o.Marker = m
	return o, nil
}

// CreateDatabase creates the database with the character set and collation
// given, the server's defaults otherwise.
func (c *Client) CreateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) error {
	if err := c.checkDatabaseParameters(p); err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	if c.engine.databaseComments || p.Marker == "" {
		q, err := createDatabaseSQL(name, p.CharacterSet, p.Collation, p.Marker)
		if err != nil {
			return errors.Wrap(err, errCreateDatabase)
		}
		_, err = c.db.ExecContext(ctx, q)
		return errors.Wrap(err, errCreateDatabase)
	}
	// MySQL: the record first, as for accounts (see owners.go).
	q, err := createDatabaseSQL(name, p.CharacterSet, p.Collation, "")
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	fresh, err := c.claimOwner(ctx, ownedDatabase, name, "", p.Marker, "database "+quoteString(name))
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	if _, err := c.db.ExecContext(ctx, q); err != nil {
		if fresh {
			_ = c.forgetOwner(ctx, ownedDatabase, name, "")
		}
		return errors.Wrap(err, errCreateDatabase)
	}
	return nil
}

// MarkDatabase writes marker as the database's comment (MariaDB) or records
// it (MySQL), replacing any other.
func (c *Client) MarkDatabase(ctx context.Context, name, marker string) error {
	if !c.engine.databaseComments {
		if _, err := quoteManagedDatabase(name); err != nil {
			return errors.Wrap(err, errMarkDatabase)
		}
		return errors.Wrap(c.setOwner(ctx, ownedDatabase, name, "", marker), errMarkDatabase)
	}
	q, err := alterDatabaseSQL(name, "", "", marker)
	if err != nil {
		return errors.Wrap(err, errMarkDatabase)
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errMarkDatabase)
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
	comment := ""
	if c.engine.databaseComments {
		// Restated so that no ALTER can leave the database without it.
		comment = p.Marker
	}
	q, err := alterDatabaseSQL(name, p.CharacterSet, p.Collation, comment)
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
	if _, err := c.db.ExecContext(ctx, q); err != nil {
		return errors.Wrap(err, errDropDatabase)
	}
	if c.engine.databaseComments {
		return nil
	}
	return errors.Wrap(c.forgetOwner(ctx, ownedDatabase, name, ""), errDropDatabase)
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
