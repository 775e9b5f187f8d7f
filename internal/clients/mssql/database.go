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

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errObserveDatabase = "cannot observe database"
	errCreateDatabase  = "cannot create database"
	errUpdateDatabase  = "cannot update database"
	errDropDatabase    = "cannot drop database"
	errMarkDatabase    = "cannot write the database's ownership marker"
	errNoDatabase      = "database %q does not exist"
	errNotSQLServer    = "%s is a %s setting, which the SQL Server client does not take: leave it empty"
)

// ObserveDatabase returns the database's collation, or nil when it does not
// exist.
func (c *Client) ObserveDatabase(ctx context.Context, name string) (*dbms.DatabaseObservation, error) {
	o, err := c.observeCollation(ctx, name)
	if err != nil || o == nil {
		return o, err
	}
	if o.Marker, err = c.ownerOf(ctx, ownerKey(ownedDatabase, "", name)); err != nil {
		return nil, errors.Wrap(err, errObserveDatabase)
	}
	return o, nil
}

// observeCollation returns the database's collation, or nil when it does not
// exist.
func (c *Client) observeCollation(ctx context.Context, name string) (*dbms.DatabaseObservation, error) {
	var coll sql.NullString
	err := c.db.QueryRowContext(ctx, observeDatabaseSQL, name).Scan(&coll)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errObserveDatabase)
	}
	return &dbms.DatabaseObservation{Collation: coll.String}, nil
}

// MarkDatabase marks the database as marker's, replacing any other marker.
func (c *Client) MarkDatabase(ctx context.Context, name, marker string) error {
	if err := validName(name); err != nil {
		return errors.Wrap(err, errMarkDatabase)
	}
	return errors.Wrap(c.setOwner(ctx, ownerKey(ownedDatabase, "", name), marker), errMarkDatabase)
}

// CreateDatabase creates the database, with the collation when one is given,
// marked as p.Marker's when that is set: the marker first (see owners.go).
func (c *Client) CreateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) error {
	if err := sqlServerDatabaseParameters(p); err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	q, err := createDatabaseSQL(name, p.Collation)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	if p.Marker == "" {
		_, err = c.db.ExecContext(ctx, q)
		return errors.Wrap(err, errCreateDatabase)
	}
	key := ownerKey(ownedDatabase, "", name)
	fresh, err := c.claimOwner(ctx, key, p.Marker, "database "+strconv.Quote(name))
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	if _, err := c.db.ExecContext(ctx, q); err != nil {
		if fresh {
			_ = c.forgetOwner(ctx, key)
		}
		return errors.Wrap(err, errCreateDatabase)
	}
	return nil
}

// UpdateDatabase sets the collation when one is given and the database has
// another. Changing it needs the database to itself, so the statement is not
// sent when there is nothing to change.
func (c *Client) UpdateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) error {
	if err := sqlServerDatabaseParameters(p); err != nil {
		return errors.Wrap(err, errUpdateDatabase)
	}
	if p.Collation == "" {
		return nil
	}
	q, err := alterDatabaseCollationSQL(name, p.Collation)
	if err != nil {
		return errors.Wrap(err, errUpdateDatabase)
	}
	o, err := c.observeCollation(ctx, name)
	if err != nil {
		return errors.Wrap(err, errUpdateDatabase)
	}
	if o == nil {
		return errors.Errorf("%s: "+errNoDatabase, errUpdateDatabase, name)
	}
	// Collation names compare without regard to case.
	if strings.EqualFold(o.Collation, p.Collation) {
		return nil
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errUpdateDatabase)
}

// DropDatabase drops the database, ending its sessions. A database that does
// not exist is not an error.
func (c *Client) DropDatabase(ctx context.Context, name string) error {
	q, err := dropDatabaseSQL(name)
	if err != nil {
		return errors.Wrap(err, errDropDatabase)
	}
	if _, err := c.db.ExecContext(ctx, q, name); err != nil {
		return errors.Wrap(err, errDropDatabase)
	}
	return errors.Wrap(c.forgetOwner(ctx, ownerKey(ownedDatabase, "", name)), errDropDatabase)
}

// sqlServerDatabaseParameters refuses the settings of other engines, rather
// than ignoring what was asked for.
func sqlServerDatabaseParameters(p dbms.DatabaseParameters) error {
	switch {
	case p.Owner != "":
		return errors.Errorf(errNotSQLServer, "owner", "PostgreSQL")
	case p.Encoding != "":
		return errors.Errorf(errNotSQLServer, "encoding", "PostgreSQL")
	case p.ConnectionLimit != nil:
		return errors.Errorf(errNotSQLServer, "connectionLimit", "PostgreSQL")
	case p.CharacterSet != "":
		return errors.Errorf(errNotSQLServer, "characterSet", "MySQL/MariaDB")
	}
	return nil
}
