package mysql

import (
	"context"
	"database/sql"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/go-sql-driver/mysql"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// Ownership markers of accounts (both engines) and of MySQL databases are
// kept in a small table of the provider's own, dbaas_provider.owners, one row
// per object with the marker of the managed resource that made it.
//
// Why a table: MariaDB 10.11 has no place on an account for free text.
// MySQL 8's CREATE USER ... COMMENT/ATTRIBUTE does not exist there, and the
// JSON of mysql.global_priv is rewritten from the server's in-memory account
// by every ALTER USER, so a key added to it by hand would vanish at the next
// password change (and writing the grant tables directly is unsupported).
// MySQL has no database comment either. MariaDB databases carry their marker
// as a COMMENT instead (10.5+), which is made in the CREATE DATABASE itself.
//
// The table lives in a database no tenant can make, adopt or grant on
// (dbms.ProviderDatabase is reserved), because whoever could write to it
// could claim any account.
//
// A row is written before the object is made and removed after it is
// dropped, so a crash between the two steps leaves at most a row without an
// object, which is harmless (it names only a resource that may make it); an
// object the provider made never lacks its row. When the create fails
// because the object appeared meanwhile, the row just written is removed so
// that the newcomer is not taken for ours.

// Kinds of objects in the owners table.
const (
	ownedAccount  = "account"
	ownedDatabase = "database"
)

const (
	errReadOwner    = "cannot read the ownership record"
	errWriteOwner   = "cannot write the ownership record"
	errForgetOwner  = "cannot remove the ownership record"
	errOwnerElse    = "%s is already recorded as another resource's in " + dbms.ProviderDatabase + ".owners"
	errEnsureOwners = "cannot make the provider's ownership table " + dbms.ProviderDatabase + ".owners"
)

// Statements on the owners table; every value is bound.
const (
	createOwnersDatabaseSQL = "CREATE DATABASE IF NOT EXISTS `" + dbms.ProviderDatabase + "`"
	// utf8mb4_bin compares names exactly, as the server does for account
	// names (bob is not Bob, nor 'bob ').
	createOwnersTableSQL = "CREATE TABLE IF NOT EXISTS `" + dbms.ProviderDatabase + "`.`owners` (" +
		"kind VARCHAR(16) NOT NULL, name VARCHAR(128) NOT NULL, host VARCHAR(255) NOT NULL, " +
		"owner VARCHAR(255) NOT NULL, PRIMARY KEY (kind, name, host)) " +
		"CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	selectOwnerSQL = "SELECT owner FROM `" + dbms.ProviderDatabase + "`.`owners` WHERE kind = ? AND name = ? AND host = ?"
	claimOwnerSQL  = "INSERT IGNORE INTO `" + dbms.ProviderDatabase + "`.`owners` (kind, name, host, owner) VALUES (?, ?, ?, ?)"
	setOwnerSQL    = "INSERT INTO `" + dbms.ProviderDatabase + "`.`owners` (kind, name, host, owner) VALUES (?, ?, ?, ?) " +
		"ON DUPLICATE KEY UPDATE owner = VALUES(owner)"
	forgetOwnerSQL = "DELETE FROM `" + dbms.ProviderDatabase + "`.`owners` WHERE kind = ? AND name = ? AND host = ?"
)

// codeNoSuchTable (ER_NO_SUCH_TABLE) and codeBadDB mean the owners table is
// not there yet, so nothing is recorded.
const codeNoSuchTable = 1146

func noOwnersTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == codeBadDB || me.Number == codeNoSuchTable)
}

// ownerOf returns the marker recorded for an object, or "" when none is.
func (c *Client) ownerOf(ctx context.Context, kind, name, host string) (string, error) {
	var m string
	err := c.db.QueryRowContext(ctx, selectOwnerSQL, kind, name, host).Scan(&m)
	switch {
	case errors.Is(err, sql.ErrNoRows), noOwnersTable(err):
		return "", nil
	case err != nil:
		return "", errors.Wrap(err, errReadOwner)
	}
	return m, nil
}

func (c *Client) ensureOwners(ctx context.Context) error {
	for _, q := range []string{createOwnersDatabaseSQL, createOwnersTableSQL} {
		if _, err := c.db.ExecContext(ctx, q); err != nil {
			return errors.Wrap(err, errEnsureOwners)
		}
	}
	return nil
}

// claimOwner records marker for an object about to be made. It fails when
// another marker is recorded for it; fresh says whether the row is new (and
// so is to be removed again if the object cannot be made).
func (c *Client) claimOwner(ctx context.Context, kind, name, host, marker, what string) (fresh bool, err error) {
	if err := c.ensureOwners(ctx); err != nil {
		return false, err
	}
	r, err := c.db.ExecContext(ctx, claimOwnerSQL, kind, name, host, marker)
	if err != nil {
		return false, errors.Wrap(err, errWriteOwner)
	}
	if n, _ := r.RowsAffected(); n == 1 {
		return true, nil
	}
	got, err := c.ownerOf(ctx, kind, name, host)
	if err != nil {
		return false, err
	}
	if got != marker {
		return false, errors.Errorf(errOwnerElse, what)
	}
	return false, nil
}

// setOwner records marker for an object, replacing any other (an import).
func (c *Client) setOwner(ctx context.Context, kind, name, host, marker string) error {
	if err := c.ensureOwners(ctx); err != nil {
		return err
	}
	_, err := c.db.ExecContext(ctx, setOwnerSQL, kind, name, host, marker)
	return errors.Wrap(err, errWriteOwner)
}

// forgetOwner removes the record of an object that is gone.
func (c *Client) forgetOwner(ctx context.Context, kind, name, host string) error {
	_, err := c.db.ExecContext(ctx, forgetOwnerSQL, kind, name, host)
	if noOwnersTable(err) {
		return nil
	}
	return errors.Wrap(err, errForgetOwner)
}
