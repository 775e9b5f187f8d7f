package existing

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/mariadbtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// mariaDBFaults are procedures that break the class contract, each in one
// way.
const mariaDBFaults = `
CREATE DATABASE IF NOT EXISTS faults;
DELIMITER //
CREATE OR REPLACE PROCEDURE faults.no_rows(IN p_name VARCHAR(64))
BEGIN SELECT 'k' AS ` + "`key`" + `, 'v' AS ` + "`value`" + ` FROM DUAL WHERE FALSE; END //
CREATE OR REPLACE PROCEDURE faults.missing_key(IN p_name VARCHAR(64))
BEGIN SELECT 'username' AS ` + "`key`" + `, p_name AS ` + "`value`" + `; END //
CREATE OR REPLACE PROCEDURE faults.extra_key(IN p_name VARCHAR(64))
BEGIN
  SELECT 'username' AS ` + "`key`" + `, p_name AS ` + "`value`" + `
  UNION ALL SELECT 'password', 'x' UNION ALL SELECT 'host', 'elsewhere';
END //
DELIMITER ;
`

func mariaDB(t *testing.T) *engine {
	s := mariadbtest.Start(t)
	root := testenv.RepoRoot(t)
	// client runs a script through the mariadb command-line client, as a
	// DBA would load it (DELIMITER is the client's, not the server's).
	client := func(t *testing.T, script string) {
		t.Helper()
		cmd := exec.Command("mariadb", "--no-defaults", "--protocol=TCP", "-h", s.Host, "-P", strconv.Itoa(s.Port), "-u", s.User)
		cmd.Env = append(os.Environ(), "MYSQL_PWD="+s.Password)
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mariadb client: %v\n%s", err, out)
		}
	}
	exec := func(t *testing.T, stmt string) {
		t.Helper()
		if _, err := s.Admin(t).Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	return &engine{
		name: "mariadb", host: s.Host, port: s.Port, admin: s.User, password: s.Password, ca: s.CA,
		loadProcedures: func(t *testing.T) {
			sql, err := os.ReadFile(filepath.Join(root, "examples", "existing-server", "mariadb", "procedures.sql"))
			if err != nil {
				t.Fatal(err)
			}
			client(t, string(sql))
			client(t, mariaDBFaults)
		},
		exec:      exec,
		databases: func(t *testing.T) []string { return s.Databases(t) },
		login: func(t *testing.T, user, password, database string) error {
			db, err := s.Open(t, user, password, database)
			if err == nil {
				err = db.Close()
			}
			return err
		},
		connect: connectMariaDB,
		provisioned: func(t *testing.T, db string) []string {
			return s.Names(t, "SELECT team FROM dba.provisioned WHERE db_name = ?", db)
		},
		forget: func(t *testing.T, db, _ string) {
			if _, err := s.Admin(t).Exec("DELETE FROM dba.provisioned WHERE db_name = ?", db); err != nil {
				t.Fatal(err)
			}
		},
		remember: func(t *testing.T, db, team string) {
			if _, err := s.Admin(t).Exec("INSERT INTO dba.provisioned (db_name, team) VALUES (?, ?)", db, team); err != nil {
				t.Fatal(err)
			}
		},
		stop:   s.Stop,
		resume: s.Resume,
		native: func(p *v1alpha1.DatabaseParameters) {
			p.CharacterSet, p.Collation = "utf8mb4", "utf8mb4_unicode_ci"
		},
		user: func(p *v1alpha1.UserParameters) {
			p.Host = ptr("%")
			p.ResourceLimits = &v1alpha1.ResourceLimits{MaxUserConnections: ptr[int32](5), MaxQueriesPerHour: ptr[int32](1000)}
		},
		privileges: []string{"select", "INSERT"},
		observed:   []string{"INSERT", "SELECT"},
		createTable: func(t *testing.T, db string) {
			exec(t, "CREATE TABLE `"+db+"`.kept (id int)")
		},
		hasTable: func(t *testing.T, db string) bool {
			return len(s.Names(t, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = 'kept'", db)) == 1
		},
		databaseMarker: func(t *testing.T, db string) string {
			return strings.Join(s.Names(t, "SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db), "")
		},
		databaseOwner: func(*testing.T, string) string { return "" },
		grantedOn: func(t *testing.T, user string) []string {
			return s.Names(t, "SELECT Db FROM mysql.db WHERE User = ?", user)
		},
	}
}
