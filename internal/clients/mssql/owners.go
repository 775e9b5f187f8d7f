package mssql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Ownership markers of what this client makes (logins, contained users,
// databases) are kept as database-level extended properties of master, one
// per object, named after the object (ownerKey) and holding the marker of
// the managed resource that made it.
//
// Why there: logins are server principals, which take no extended
// properties, and a database can be marked only once it exists, which
// CREATE DATABASE (no transaction allowed) cannot do in one step. master's
// properties take one place for all three, which only an administrator can
// write (ALTER on master), so no tenant can forge a marker.
//
// A property is written before the object is made and dropped after the
// object is, so a crash between the two steps leaves at most a property
// without an object (harmless: it names only a resource that may make it);
// an object this client made never lacks its marker. When the create fails
// because the object appeared meanwhile, the property just written is
// dropped so that the newcomer is not taken for ours.

// Kinds of objects an owner key names.
const (
	ownedLogin    = "login"
	ownedUser     = "user"
	ownedDatabase = "database"
)

const (
	errReadOwner   = "cannot read the ownership marker"
	errWriteOwner  = "cannot write the ownership marker"
	errForgetOwner = "cannot remove the ownership marker"
	errOwnerElse   = "%s is already marked as another resource's"
)

// ownerDatabase keeps the markers.
const ownerDatabase = "master"

// ownerKey names the property of one object: a hash, because property
// names are sysname (128 characters) like the names they stand for, and
// kind and database must be part of the key.
func ownerKey(kind, database, name string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + database + "\x00" + name))
	return "dbaas.io/owner/" + kind + "/" + hex.EncodeToString(sum[:20])
}

// Statements run in master through inDatabase; @key and @value are bound.
const (
	selectOwnerSQL = `SELECT CAST(value AS nvarchar(3000)) FROM sys.extended_properties WHERE class = 0 AND name = @key`
	addOwnerSQL    = `EXEC sys.sp_addextendedproperty @name = @key, @value = @value`
	setOwnerSQL    = `IF EXISTS (SELECT 1 FROM sys.extended_properties WHERE class = 0 AND name = @key)
	EXEC sys.sp_updateextendedproperty @name = @key, @value = @value
ELSE
	EXEC sys.sp_addextendedproperty @name = @key, @value = @value`
	forgetOwnerSQL = `IF EXISTS (SELECT 1 FROM sys.extended_properties WHERE class = 0 AND name = @key)
	EXEC sys.sp_dropextendedproperty @name = @key`
)

func keyParam(key string) param { return param{name: "key", typ: "sysname", value: key} }

func valueParam(v string) param { return param{name: "value", typ: "nvarchar(3000)", value: v} }

// ownerOf returns the marker of an object, or "" when it has none.
func (c *Client) ownerOf(ctx context.Context, key string) (string, error) {
	q, args := inDatabase(ownerDatabase, selectOwnerSQL, skipIfMissing, keyParam(key))
	var m sql.NullString
	err := c.db.QueryRowContext(ctx, q, args...).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return m.String, errors.Wrap(err, errReadOwner)
}

// claimOwner marks an object about to be made. It fails when the object is
// marked as another's; fresh says whether the marker is new (and so is to
// be removed again if the object cannot be made).
func (c *Client) claimOwner(ctx context.Context, key, marker, what string) (fresh bool, err error) {
	got, err := c.ownerOf(ctx, key)
	switch {
	case err != nil:
		return false, err
	case got == marker:
		return false, nil
	case got != "":
		return false, errors.Errorf(errOwnerElse, what)
	}
	q, args := inDatabase(ownerDatabase, addOwnerSQL, failIfMissing, keyParam(key), valueParam(marker))
	if _, err := c.db.ExecContext(ctx, q, args...); err != nil {
		return false, errors.Wrap(err, errWriteOwner)
	}
	return true, nil
}

// setOwner marks an object, replacing any other marker (an import).
func (c *Client) setOwner(ctx context.Context, key, marker string) error {
	q, args := inDatabase(ownerDatabase, setOwnerSQL, failIfMissing, keyParam(key), valueParam(marker))
	_, err := c.db.ExecContext(ctx, q, args...)
	return errors.Wrap(err, errWriteOwner)
}

// forgetOwner removes the marker of an object that is gone.
func (c *Client) forgetOwner(ctx context.Context, key string) error {
	q, args := inDatabase(ownerDatabase, forgetOwnerSQL, skipIfMissing, keyParam(key))
	_, err := c.db.ExecContext(ctx, q, args...)
	return errors.Wrap(err, errForgetOwner)
}

// userKey is the owner key of a user: a contained user's in its database,
// a login's otherwise.
func userKey(name, database string, contained bool) string {
	if contained {
		return ownerKey(ownedUser, database, name)
	}
	return ownerKey(ownedLogin, "", name)
}
