package dbms

import "testing"

func TestReserved(t *testing.T) {
	users := map[string]struct {
		engine   Engine
		name     string
		admin    string
		reserved bool
	}{
		"Postgres":          {engine: PostgreSQL, name: "postgres", reserved: true},
		"PostgresUpper":     {engine: PostgreSQL, name: "Postgres", reserved: true},
		"PgRole":            {engine: PostgreSQL, name: "pg_read_all_data", reserved: true},
		"ProviderAdminRole": {engine: PostgreSQL, name: "dbaas_admin", reserved: true},
		"ReplicationRole":   {engine: PostgreSQL, name: "DBAAS_REPLICATION", reserved: true},
		"InstanceDefault":   {engine: "", name: "pg_monitor", reserved: true},
		"Admin":             {engine: PostgreSQL, name: "dbadmin", admin: "dbadmin", reserved: true},
		"App":               {engine: PostgreSQL, name: "app", admin: "dbadmin"},
		"Root":              {engine: MariaDB, name: "root", reserved: true},
		"MariaDBSys":        {engine: MariaDB, name: "mariadb.sys", reserved: true},
		"MySQLUser":         {engine: MariaDB, name: "mysql", reserved: true},
		"SA":                {engine: SQLServer, name: "SA", reserved: true},
		"Dbo":               {engine: SQLServer, name: "dbo", reserved: true},
		"Guest":             {engine: SQLServer, name: "guest", reserved: true},
		"PgPrefixOnMariaDB": {engine: MariaDB, name: "pg_app"},
	}
	for name, tc := range users {
		t.Run("User"+name, func(t *testing.T) {
			if got := ReservedUser(tc.engine, tc.name, tc.admin) != nil; got != tc.reserved {
				t.Errorf("ReservedUser(%s, %q, %q) reserved = %v, want %v", tc.engine, tc.name, tc.admin, got, tc.reserved)
			}
		})
	}
	dbs := map[string]struct {
		engine   Engine
		name     string
		reserved bool
	}{
		"Postgres":    {engine: PostgreSQL, name: "postgres", reserved: true},
		"Template0":   {engine: "", name: "template0", reserved: true},
		"Template1":   {engine: PostgreSQL, name: "TEMPLATE1", reserved: true},
		"MySQL":       {engine: MariaDB, name: "mysql", reserved: true},
		"InfoSchema":  {engine: MySQL, name: "information_schema", reserved: true},
		"PerfSchema":  {engine: MariaDB, name: "performance_schema", reserved: true},
		"Sys":         {engine: MariaDB, name: "sys", reserved: true},
		"Bookkeeping": {engine: MariaDB, name: ProviderDatabase, reserved: true},
		"Star":        {engine: MariaDB, name: "*", reserved: true},
		"Master":      {engine: SQLServer, name: "master", reserved: true},
		"Tempdb":      {engine: SQLServer, name: "tempdb", reserved: true},
		"Model":       {engine: SQLServer, name: "model", reserved: true},
		"Msdb":        {engine: SQLServer, name: "msdb", reserved: true},
		"App":         {engine: PostgreSQL, name: "orders"},
		"MySQLOnPG":   {engine: PostgreSQL, name: "mysql"},
		"MasterOnPG":  {engine: PostgreSQL, name: "master"},
	}
	for name, tc := range dbs {
		t.Run("Database"+name, func(t *testing.T) {
			if got := ReservedDatabase(tc.engine, tc.name) != nil; got != tc.reserved {
				t.Errorf("ReservedDatabase(%s, %q) reserved = %v, want %v", tc.engine, tc.name, got, tc.reserved)
			}
		})
	}
}
