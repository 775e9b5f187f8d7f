package postgresql

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errObservePrivileges = "cannot observe privileges"
	errGrant             = "cannot grant privileges"
	errRevoke            = "cannot revoke privileges"
	errUnknownPrivilege  = "%q is not a PostgreSQL database privilege: use %s or ALL"
)

// databasePrivileges are every privilege PostgreSQL has on a database; ALL
// expands to them.
var databasePrivileges = []string{"CONNECT", "CREATE", "TEMPORARY"}

// Privileges returns the privileges granted to the role on the database
// itself. Those it has as the database's owner are not grants and are not
// listed.
func (c *Client) Privileges(ctx context.Context, u dbms.UserName, database string) ([]string, error) {
	rows, err := c.conn.Query(ctx, observePrivilegesSQL, database, u.Name)
	if err != nil {
		return nil, errors.Wrap(err, errObservePrivileges)
	}
	privs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, errors.Wrap(err, errObservePrivileges)
	}
	return dbms.NormalizePrivileges(privs, databasePrivileges), nil
}

// Grant grants the privileges on the database to the role.
func (c *Client) Grant(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	q, err := privilegeSQL("GRANT", " TO ", u.Name, database, privileges)
	if err != nil {
		return errors.Wrap(err, errGrant)
	}
	if err := c.becomeOwnerMember(ctx, database); err != nil {
		return errors.Wrap(err, errGrant)
	}
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errGrant)
}

// Revoke revokes the privileges on the database from the role.
func (c *Client) Revoke(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	q, err := privilegeSQL("REVOKE", " FROM ", u.Name, database, privileges)
	if err != nil {
		return errors.Wrap(err, errRevoke)
	}
	if err := c.becomeOwnerMember(ctx, database); err != nil {
		return errors.Wrap(err, errRevoke)
	}
	_, err = c.conn.Exec(ctx, q)
	return errors.Wrap(err, errRevoke)
}

// privilegeSQL builds GRANT or REVOKE. Privileges are keywords, which cannot
// be bound or quoted: only names from databasePrivileges get into the text.
func privilegeSQL(verb, preposition, role, database string, privileges []string) (string, error) {
	privs, err := checkPrivileges(privileges)
	if err != nil {
		return "", err
	}
	qr, err := quote(role)
	if err != nil {
		return "", errors.Wrap(err, "role")
	}
	qd, err := quote(database)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	return verb + " " + strings.Join(privs, ", ") + " ON DATABASE " + qd + preposition + qr, nil
}

// NormalizePrivileges returns privileges as Privileges reports them.
func (c *Client) NormalizePrivileges(privileges []string) ([]string, error) {
	return checkPrivileges(privileges)
}

// checkPrivileges normalises privileges (TEMP is TEMPORARY) and refuses any
// PostgreSQL does not have on a database.
func checkPrivileges(privileges []string) ([]string, error) {
	in := make([]string, len(privileges))
	for i, p := range privileges {
		if strings.EqualFold(strings.TrimSpace(p), "TEMP") {
			p = "TEMPORARY"
		}
		in[i] = p
	}
	out := dbms.NormalizePrivileges(in, databasePrivileges)
	for _, p := range out {
		if !isDatabasePrivilege(p) {
			return nil, errors.Errorf(errUnknownPrivilege, p, strings.Join(databasePrivileges, ", "))
		}
	}
	return out, nil
}

func isDatabasePrivilege(p string) bool {
	for _, d := range databasePrivileges {
		if p == d {
			return true
		}
	}
	return false
}
