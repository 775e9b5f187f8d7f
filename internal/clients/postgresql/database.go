package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errObserveDatabase = "cannot observe database"
	errCreateDatabase  = "cannot create database"
	errUpdateDatabase  = "cannot update database"
	errDropDatabase    = "cannot drop database"
	errMarkDatabase    = "cannot write the database's ownership marker"
	errLookupEncoding  = "cannot look up encoding"
	errUnknownEncoding = "unknown encoding"
	errCharacterSet    = "characterSet is a MySQL setting; PostgreSQL databases have an encoding"
	errCollation       = "collation is a MySQL and SQL Server setting; this provider does not set it on PostgreSQL"
)

// DatabaseParameters are the desired properties of a database.
type DatabaseParameters = dbms.DatabaseParameters

// DatabaseObservation is the observed state of a database.
type DatabaseObservation = dbms.DatabaseObservation

// checkDatabaseParameters refuses settings PostgreSQL does not have rather
// than ignoring what a user asked for.
func checkDatabaseParameters(p DatabaseParameters) error {
	switch {
	case p.CharacterSet != "":
		return errors.New(errCharacterSet)
	case p.Collation != "":
		return errors.New(errCollation)
	}
	return nil
}

// ObserveDatabase returns the database's state, or nil when it does not exist.
func (c *Client) ObserveDatabase(ctx context.Context, name string) (*DatabaseObservation, error) {
	o := &DatabaseObservation{ConnectionLimit: new(int32)}
	err := c.conn.QueryRow(ctx, observeDatabaseSQL, name).Scan(&o.Owner, &o.Encoding, o.ConnectionLimit, &o.Marker)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errObserveDatabase)
	}
	return o, nil
}

// CreateDatabase creates the database.
func (c *Client) CreateDatabase(ctx context.Context, name string, p DatabaseParameters) error {
	if err := checkDatabaseParameters(p); err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	enc := int32(-1)
	if p.Encoding != "" {
		if err := validEncoding(p.Encoding); err != nil {
			return errors.Wrap(err, errCreateDatabase)
		}
		if err := c.conn.QueryRow(ctx, encodingIDSQL, p.Encoding).Scan(&enc); err != nil {
			return errors.Wrap(err, errLookupEncoding)
		}
		if enc < 0 {
			return errors.Errorf("%s: %s %q", errCreateDatabase, errUnknownEncoding, p.Encoding)
		}
	}
	if p.Owner != "" {
		if err := c.becomeMember(ctx, p.Owner); err != nil {
			return errors.Wrap(err, errCreateDatabase)
		}
	}
	if p.Marker == "" {
		q, err := createDatabaseSQL(name, p.Owner, enc, p.ConnectionLimit)
		if err != nil {
			return errors.Wrap(err, errCreateDatabase)
		}
		_, err = c.conn.Exec(ctx, q)
		return errors.Wrap(err, errCreateDatabase)
	}
	return c.createMarkedDatabase(ctx, name, enc, p)
}

// createMarkedDatabase makes a database that never exists under its own
// name without its ownership marker. CREATE DATABASE cannot run in a
// transaction, so it cannot be made and commented at once; instead it is made
// under a pending name of its owner's (pendingDatabaseName), then commented
// and renamed in one transaction. A crash in between leaves a pending
// database no one else can claim, which the next attempt picks up; a
// database of the name that appeared meanwhile makes the rename fail, and
// the pending one is dropped again.
func (c *Client) createMarkedDatabase(ctx context.Context, name string, enc int32, p DatabaseParameters) error {
	if _, err := quote(name); err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	pending := pendingDatabaseName(p.Marker)
	create, err := createDatabaseSQL(pending, p.Owner, enc, p.ConnectionLimit)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	comment, err := commentOnDatabaseSQL(pending, p.Marker)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	rename, err := renameDatabaseSQL(pending, name)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	drop, err := dropDatabaseSQL(pending)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	found, err := c.ObserveDatabase(ctx, pending)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	switch {
	case found == nil:
		if _, err := c.conn.Exec(ctx, create); err != nil {
			return errors.Wrap(err, errCreateDatabase)
		}
	case found.Marker != "" && found.Marker != p.Marker:
		return errors.Errorf("%s: %s exists with another owner's marker", errCreateDatabase, pending)
	}
	err = c.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{comment, rename} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return errors.Wrap(err, errCreateDatabase)
			}
		}
		return nil
	})
	if err != nil {
		// The pending database is this owner's and empty: nothing is lost.
		_, _ = c.conn.Exec(ctx, drop)
	}
	return err
}

// MarkDatabase writes marker as the database's comment, replacing any other.
func (c *Client) MarkDatabase(ctx context.Context, name, marker string) error {
	q, err := commentOnDatabaseSQL(name, marker)
	if err != nil {
		return errors.Wrap(err, errMarkDatabase)
	}
	if err := c.becomeOwnerMember(ctx, name); err != nil {
		return errors.Wrap(err, errMarkDatabase)
	}
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errMarkDatabase)
}

// UpdateDatabase sets the owner and connection limit when they are given.
// The encoding of an existing database cannot change.
func (c *Client) UpdateDatabase(ctx context.Context, name string, p DatabaseParameters) error {
	if err := checkDatabaseParameters(p); err != nil {
		return errors.Wrap(err, errUpdateDatabase)
	}
	if err := c.becomeOwnerMember(ctx, name); err != nil {
		return errors.Wrap(err, errUpdateDatabase)
	}
	var stmts []string
	if p.Owner != "" {
		q, err := alterDatabaseOwnerSQL(name, p.Owner)
		if err != nil {
			return errors.Wrap(err, errUpdateDatabase)
		}
		if err := c.becomeMember(ctx, p.Owner); err != nil {
			return errors.Wrap(err, errUpdateDatabase)
		}
		stmts = append(stmts, q)
	}
	if p.ConnectionLimit != nil {
		q, err := alterDatabaseConnLimitSQL(name, *p.ConnectionLimit)
		if err != nil {
			return errors.Wrap(err, errUpdateDatabase)
		}
		stmts = append(stmts, q)
	}
	for _, q := range stmts {
		if _, err := c.conn.Exec(ctx, q); err != nil {
			return errors.Wrap(err, errUpdateDatabase)
		}
	}
	return nil
}

// DropDatabase drops the database, ending its sessions. A database that does
// not exist is not an error.
func (c *Client) DropDatabase(ctx context.Context, name string) error {
	q, err := dropDatabaseSQL(name)
	if err != nil {
		return errors.Wrap(err, errDropDatabase)
	}
	if err := c.becomeOwnerMember(ctx, name); err != nil {
		return errors.Wrap(err, errDropDatabase)
	}
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errDropDatabase)
}
