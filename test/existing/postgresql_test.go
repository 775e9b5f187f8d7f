package existing

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// pgFaults are procedures that break the class contract, each in one way.
const pgFaults = `
CREATE SCHEMA IF NOT EXISTS faults;
CREATE OR REPLACE FUNCTION faults.no_rows(p_name text) RETURNS TABLE (key text, value text)
LANGUAGE sql AS $$ SELECT NULL::text, NULL::text WHERE false $$;
CREATE OR REPLACE FUNCTION faults.missing_key(p_name text) RETURNS TABLE (key text, value text)
LANGUAGE sql AS $$ VALUES ('username', p_name) $$;
CREATE OR REPLACE FUNCTION faults.extra_key(p_name text) RETURNS TABLE (key text, value text)
LANGUAGE sql AS $$ VALUES ('username', p_name), ('password', 'x'), ('host', 'elsewhere') $$;`

func postgreSQL(t *testing.T) *engine {
	s := pgtest.Start(t)
	root := testenv.RepoRoot(t)
	return &engine{
		name: "postgresql", host: s.Host, port: s.Port, admin: s.User, password: s.Password, ca: s.CA,
		loadProcedures: func(t *testing.T) {
			sql, err := os.ReadFile(filepath.Join(root, "examples", "existing-server", "postgresql", "procedures.sql"))
			if err != nil {
				t.Fatal(err)
			}
			// Without arguments pgx uses the simple protocol, which runs a
			// whole script, as psql -f would.
			for _, script := range []string{string(sql), pgFaults} {
				if _, err := s.Admin(t).Exec(context.Background(), script); err != nil {
					t.Fatal(err)
				}
			}
		},
		exec: func(t *testing.T, stmt string) {
			if _, err := s.Admin(t).Exec(context.Background(), stmt); err != nil {
				t.Fatal(err)
			}
		},
		databases: func(t *testing.T) []string { return s.Databases(t) },
		login: func(t *testing.T, user, password, database string) error {
			c, err := s.Conn(t, user, password, database)
			if err == nil {
				err = c.Close(context.Background())
			}
			return err
		},
		connect: connectPostgreSQL,
		provisioned: func(t *testing.T, db string) []string {
			return s.Names(t, "SELECT team FROM dba.provisioned WHERE database = $1", db)
		},
		forget: func(t *testing.T, db, _ string) {
			if _, err := s.Admin(t).Exec(context.Background(), "DELETE FROM dba.provisioned WHERE database = $1", db); err != nil {
				t.Fatal(err)
			}
		},
		remember: func(t *testing.T, db, team string) {
			if _, err := s.Admin(t).Exec(context.Background(), "INSERT INTO dba.provisioned (database, team) VALUES ($1, $2)", db, team); err != nil {
				t.Fatal(err)
			}
		},
		stop:   s.Stop,
		resume: s.Resume,
		native: func(p *v1alpha1.DatabaseParameters) { p.Encoding = "SQL_ASCII" },
		user:   func(p *v1alpha1.UserParameters) { p.ConnectionLimit = ptr[int32](3) },
		// TEMP is PostgreSQL's other name for TEMPORARY.
		privileges: []string{"connect", "TEMP"},
		observed:   []string{"CONNECT", "TEMPORARY"},
		createTable: func(t *testing.T, db string) {
			c, err := s.Conn(t, s.User, s.Password, db)
			if err == nil {
				_, err = c.Exec(context.Background(), "CREATE TABLE kept (id int)")
				_ = c.Close(context.Background())
			}
			if err != nil {
				t.Fatal(err)
			}
		},
		hasTable: func(t *testing.T, db string) bool {
			c, err := s.Conn(t, s.User, s.Password, db)
			if err != nil {
				return false
			}
			defer func() { _ = c.Close(context.Background()) }()
			var ok bool
			return c.QueryRow(context.Background(), "SELECT to_regclass('kept') IS NOT NULL").Scan(&ok) == nil && ok
		},
		databaseMarker: func(t *testing.T, db string) string {
			return strings.Join(s.Names(t, "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1", db), "")
		},
		databaseOwner: func(t *testing.T, db string) string {
			return strings.Join(s.Names(t, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", db), "")
		},
		grantedOn: func(t *testing.T, user string) []string {
			return s.Names(t, `SELECT d.datname FROM pg_database d, aclexplode(d.datacl) a, pg_roles r
WHERE a.grantee = r.oid AND r.rolname = $1`, user)
		},
	}
}
