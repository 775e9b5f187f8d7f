package plugin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPlanConnect(t *testing.T) {
	secret := map[string][]byte{
		keyUsername: []byte("orders"),
		keyPassword: []byte(`p:a\ss"word`),
		keyEndpoint: []byte("10.0.0.5"),
		keyPort:     []byte("5432"),
		keyDatabase: []byte("orders"),
		keySSLMode:  []byte("verify-full"),
		keyCA:       []byte("CA PEM"),
	}
	cases := map[string]struct {
		reason  string
		engine  string
		secret  map[string][]byte
		extra   []string
		want    connectPlan
		wantErr string
	}{
		"PostgreSQL": {
			reason: "psql gets libpq's variables and the password in a passfile, escaped; the user's PGPASSWORD is dropped.",
			engine: "postgresql",
			secret: secret,
			extra:  []string{"-c", "select 1"},
			want: connectPlan{
				program: "psql",
				args:    []string{"-c", "select 1"},
				env: []string{"PGHOST=10.0.0.5", "PGPORT=5432", "PGUSER=orders", "PGDATABASE=orders", "PGSSLMODE=verify-full",
					"PGPASSFILE=" + fileMarker + "passfile", "PGAPPNAME=kubectl-dbaas", "PGSSLROOTCERT=" + fileMarker + "ca.crt"},
				drop: []string{"PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGHOSTADDR", "PGOPTIONS",
					"PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSSLMODE", "PGPASSFILE", "PGAPPNAME", "PGSSLROOTCERT"},
				files: map[string][]byte{"passfile": []byte(`*:*:*:orders:p\:a\\ss"word` + "\n"), "ca.crt": []byte("CA PEM")},
			},
		},
		"MariaDB": {
			reason: "mariadb reads an option file, its values quoted, named by its first argument.",
			engine: "mariadb",
			secret: map[string][]byte{keyUsername: []byte("orders"), keyPassword: []byte(`p"w\`), keyEndpoint: []byte("db"), keyPort: []byte("3306")},
			want: connectPlan{
				program: "mariadb",
				args:    []string{"--defaults-extra-file=" + fileMarker + "my.cnf"},
				drop:    []string{"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT"},
				files:   map[string][]byte{"my.cnf": []byte("[client]\nhost=\"db\"\nport=\"3306\"\nuser=\"orders\"\npassword=\"p\\\"w\\\\\"\n")},
			},
		},
		"NoPasswordYet": {
			reason:  "A secret without a password cannot be used yet.",
			engine:  "postgresql",
			secret:  map[string][]byte{keyUsername: []byte("orders"), keyEndpoint: []byte("db")},
			wantErr: "the connection secret has no password yet: the Database publishes it once Ready",
		},
		"UnknownEngine": {
			reason:  "An engine without a known client says which it knows.",
			engine:  "oracle",
			secret:  secret,
			wantErr: `kubectl dbaas connect knows no client for engine "oracle": it knows postgresql and mariadb`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := planConnect(tc.engine, tc.secret, tc.extra)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("%s\nplanConnect(...): want error %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(connectPlan{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nplanConnect(...): -want, +got:\n%s", tc.reason, diff)
			}
			for _, a := range append(got.args, got.env...) {
				if strings.Contains(a, string(tc.secret[keyPassword])) {
					t.Errorf("%s\nthe password is in an argument or variable: %q", tc.reason, a)
				}
			}
		})
	}
}
