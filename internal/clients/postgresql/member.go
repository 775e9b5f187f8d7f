package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const (
	errMember = "cannot make the admin account a member of role %q"

	// needMemberSQL says whether the session's account lacks the rights
	// of role $1 and could be given them: role $1 exists, is no superuser
	// and the account is no superuser (which has every role's rights).
	needMemberSQL = `SELECT NOT pg_catalog.pg_has_role(current_user, r.oid, 'USAGE')
FROM pg_catalog.pg_roles r WHERE r.rolname = $1 AND NOT r.rolsuper`

	// databaseOwnerSQL names database $1's owner.
	databaseOwnerSQL = `SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = $1`
)

// becomeMember gives the session's account the rights of role when it has
// not got them. A DatabaseInstance's SQL controllers log in as dbaas_admin,
// which has CREATEROLE but is no superuser: since PostgreSQL 15 the
// creator of a role is not made its member, and only a member may create a
// database owned by it, hand a database over to it, or act as the owner
// of its databases (drop, comment on, grant on them). CREATEROLE lets it
// grant itself any role that is no superuser, which it could take over by
// its password anyway; a superuser's or a missing role is left for the
// statement that needs it to refuse with PostgreSQL's own message.
func (c *Client) becomeMember(ctx context.Context, role string) error {
	var need bool
	err := c.conn.QueryRow(ctx, needMemberSQL, role).Scan(&need)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !need) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, errMember, role)
	}
	q, err := quote(role)
	if err != nil {
		return errors.Wrapf(err, errMember, role)
	}
	_, err = c.conn.Exec(ctx, "GRANT "+q+" TO CURRENT_USER")
	return errors.Wrapf(err, errMember, role)
}

// becomeOwnerMember is becomeMember for database's owner; a database that
// does not exist is left for the statement to find.
func (c *Client) becomeOwnerMember(ctx context.Context, database string) error {
	var owner string
	err := c.conn.QueryRow(ctx, databaseOwnerSQL, database).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, errMember, "owner of "+database)
	}
	return c.becomeMember(ctx, owner)
}
