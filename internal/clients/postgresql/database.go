package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const (
	errObserveDatabase = "cannot observe database"
	errCreateDatabase  = "cannot create database"
	errUpdateDatabase  = "cannot update database"
	errDropDatabase    = "cannot drop database"
	errLookupEncoding  = "cannot look up encoding"
	errUnknownEncoding = "unknown encoding"
)

// DatabaseParameters are the desired properties of a database.
type DatabaseParameters struct {
	// Owner role; empty means the connecting user at creation and no
	// change afterwards.
	Owner string
	// Encoding name, set at creation only; empty means the server's default.
	Encoding string
	// ConnectionLimit; nil means the server's default (-1) at creation and
	// no change afterwards.
	ConnectionLimit *int32
}

// DatabaseObservation is the observed state of a database.
type DatabaseObservation struct {
	Owner           string
	Encoding        string
	ConnectionLimit int32
}

// ObserveDatabase returns the database's state, or nil when it does not exist.
func (c *Client) ObserveDatabase(ctx context.Context, name string) (*DatabaseObservation, error) {
	o := &DatabaseObservation{}
	err := c.conn.QueryRow(ctx, observeDatabaseSQL, name).Scan(&o.Owner, &o.Encoding, &o.ConnectionLimit)
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
	q, err := createDatabaseSQL(name, p.Owner, enc, p.ConnectionLimit)
	if err != nil {
		return errors.Wrap(err, errCreateDatabase)
	}
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errCreateDatabase)
}

// UpdateDatabase sets the owner and connection limit when they are given.
// The encoding of an existing database cannot change.
func (c *Client) UpdateDatabase(ctx context.Context, name string, p DatabaseParameters) error {
	var stmts []string
	if p.Owner != "" {
		q, err := alterDatabaseOwnerSQL(name, p.Owner)
		if err != nil {
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
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errDropDatabase)
}
