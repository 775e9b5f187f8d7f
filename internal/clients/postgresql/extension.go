package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errServerVersion     = "cannot read the server's version"
	errAvailable         = "cannot list the server's available extensions"
	errObserveExtensions = "cannot list the extensions of database %q"
	errCreateExtension   = "cannot create extension %q in database %q"
	errDropExtension     = "cannot drop extension %q from database %q"
	errNoMarker          = "the marker must not be empty: an extension the provider creates always says who created it"
	errInDatabase        = "cannot connect to database %q"
)

var _ dbms.ExtensionServer = &Client{}

// ServerVersion returns the server's version, such as "15.4".
func (c *Client) ServerVersion(ctx context.Context) (string, error) {
	var v string
	err := c.conn.QueryRow(ctx, serverVersionSQL).Scan(&v)
	return v, errors.Wrap(err, errServerVersion)
}

// AvailableExtensions returns which of names have their control file in the
// server's share directory, so that CREATE EXTENSION can succeed.
func (c *Client) AvailableExtensions(ctx context.Context, names []string) (map[string]bool, error) {
	rows, err := c.conn.Query(ctx, availableExtensionsSQL, names)
	if err != nil {
		return nil, errors.Wrap(err, errAvailable)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, errors.Wrap(err, errAvailable)
	}
	out := make(map[string]bool, len(found))
	for _, n := range found {
		out[n] = true
	}
	return out, nil
}

// Extensions returns the extensions created in database, by name. Unlike
// databases and roles, extensions live inside one database, which the
// client's own connection is not in: a connection of the same account to
// database reads them.
func (c *Client) Extensions(ctx context.Context, database string) ([]dbms.Extension, error) {
	var out []dbms.Extension
	err := c.inDatabase(ctx, database, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, extensionsSQL)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dbms.Extension, error) {
			var e dbms.Extension
			err := r.Scan(&e.Name, &e.Version, &e.Marker)
			return e, err
		})
		return err
	})
	return out, errors.Wrapf(err, errObserveExtensions, database)
}

// CreateExtension creates the extension and writes marker as its comment
// in one transaction, so that an extension the provider made always says
// so. One that exists already (an application's, or another resource's) is
// left as it is and never marked: it is not the provider's to drop.
func (c *Client) CreateExtension(ctx context.Context, database, name, marker string) error {
	if marker == "" {
		return errors.Wrapf(errors.New(errNoMarker), errCreateExtension, name, database)
	}
	create, err := createExtensionSQL(name)
	if err != nil {
		return errors.Wrapf(err, errCreateExtension, name, database)
	}
	comment, err := commentOnExtensionSQL(name, marker)
	if err != nil {
		return errors.Wrapf(err, errCreateExtension, name, database)
	}
	err = c.inDatabase(ctx, database, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var existing string
			switch err := tx.QueryRow(ctx, extensionMarkerSQL, name).Scan(&existing); {
			case err == nil:
				return nil
			case !errors.Is(err, pgx.ErrNoRows):
				return err
			}
			// dbaas_admin of a DatabaseInstance is no superuser: the
			// instance's functions create the allow-listed extensions
			// that only a superuser may.
			if definer, err := useDefiner(ctx, tx); err != nil || definer {
				if err == nil {
					_, err = tx.Exec(ctx, definerCreateSQL, name, marker)
				}
				return err
			}
			for _, q := range []string{create, comment} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return errors.Wrapf(err, errCreateExtension, name, database)
}

// DropExtension drops the extension when its comment is marker, checked in
// the same transaction; one without the marker, or already gone, is left
// alone. Objects that depend on it make the drop fail.
func (c *Client) DropExtension(ctx context.Context, database, name, marker string) error {
	if marker == "" {
		return errors.Wrapf(errors.New(errNoMarker), errDropExtension, name, database)
	}
	drop, err := dropExtensionSQL(name)
	if err != nil {
		return errors.Wrapf(err, errDropExtension, name, database)
	}
	err = c.inDatabase(ctx, database, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var found string
			switch err := tx.QueryRow(ctx, extensionMarkerSQL, name).Scan(&found); {
			case errors.Is(err, pgx.ErrNoRows):
				return nil
			case err != nil:
				return err
			case found != marker:
				return nil
			}
			if definer, err := useDefiner(ctx, tx); err != nil || definer {
				if err == nil {
					_, err = tx.Exec(ctx, definerDropSQL, name, marker)
				}
				return err
			}
			_, err := tx.Exec(ctx, drop)
			return err
		})
	})
	return errors.Wrapf(err, errDropExtension, name, database)
}

// inDatabase runs fn on a connection of the client's account to database,
// closed afterwards.
func (c *Client) inDatabase(ctx context.Context, database string, fn func(*pgx.Conn) error) error {
	if _, err := quote(database); err != nil {
		return err
	}
	cfg := c.cfg
	cfg.Database = database
	conn, err := connect(ctx, cfg)
	if err != nil {
		return errors.Wrapf(err, errInDatabase, database)
	}
	defer func() { _ = conn.Close(ctx) }()
	return fn(conn)
}
