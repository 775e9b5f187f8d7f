package postgresql

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestQuote(t *testing.T) {
	type want struct {
		Q   string
		Err bool
	}
	cases := map[string]struct {
		reason string
		name   string
		want   want
	}{
		"Plain":      {reason: "A plain name is quoted", name: "app", want: want{Q: `"app"`}},
		"Upper":      {reason: "Quoting keeps case", name: "App", want: want{Q: `"App"`}},
		"Quote":      {reason: "Double quotes are doubled", name: `x"; DROP DATABASE postgres; --`, want: want{Q: `"x""; DROP DATABASE postgres; --"`}},
		"Empty":      {reason: "An empty name is rejected", name: "", want: want{Err: true}},
		"NUL":        {reason: "NUL would be dropped by quoting, so the name would change", name: "a\x00b", want: want{Err: true}},
		"BadUTF8":    {reason: "The server rejects invalid UTF-8", name: "a\xffb", want: want{Err: true}},
		"Long":       {reason: "The server truncates names longer than 63 bytes", name: strings.Repeat("a", 64), want: want{Err: true}},
		"Max":        {reason: "63 bytes is allowed", name: strings.Repeat("a", 63), want: want{Q: `"` + strings.Repeat("a", 63) + `"`}},
		"LongUTF8":   {reason: "The limit is in bytes, not runes", name: strings.Repeat("é", 32), want: want{Err: true}},
		"Lookalike":  {reason: "Unicode quotation marks are ordinary characters", name: "x\u201d\uff02", want: want{Q: "\"x\u201d\uff02\""}},
		"Backslash":  {reason: "Backslashes are ordinary characters in identifiers", name: `a\"b`, want: want{Q: `"a\""b"`}},
		"DollarBody": {reason: "Dollar quotes are ordinary characters in identifiers", name: "$dbaas$", want: want{Q: `"$dbaas$"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, err := quote(tc.name)
			if diff := cmp.Diff(tc.want, want{Q: q, Err: err != nil}); diff != "" {
				t.Errorf("%s\nquote(%q): -want, +got:\n%s", tc.reason, tc.name, diff)
			}
		})
	}
}

func TestDatabaseSQL(t *testing.T) {
	type want struct {
		SQL string
		Err bool
	}
	cases := map[string]struct {
		reason string
		build  func() (string, error)
		want   want
	}{
		"CreateMinimal": {
			reason: "Without options only the name is given",
			build:  func() (string, error) { return createDatabaseSQL("app", "", -1, nil) },
			want:   want{SQL: `CREATE DATABASE "app"`},
		},
		"CreateFull": {
			reason: "Owner is quoted; the encoding is given by number from template0",
			build:  func() (string, error) { return createDatabaseSQL("app", `o"wn`, 6, ptr[int32](5)) },
			want:   want{SQL: `CREATE DATABASE "app" OWNER "o""wn" ENCODING 6 TEMPLATE template0 CONNECTION LIMIT 5`},
		},
		"CreateBadName": {
			reason: "A name the server would change is rejected",
			build:  func() (string, error) { return createDatabaseSQL("a\x00", "", -1, nil) },
			want:   want{Err: true},
		},
		"CreateBadOwner": {
			reason: "An owner the server would change is rejected",
			build:  func() (string, error) { return createDatabaseSQL("app", strings.Repeat("o", 64), -1, nil) },
			want:   want{Err: true},
		},
		"Owner": {
			reason: "Both names are quoted",
			build:  func() (string, error) { return alterDatabaseOwnerSQL(`d;`, `o'`) },
			want:   want{SQL: `ALTER DATABASE "d;" OWNER TO "o'"`},
		},
		"ConnLimit": {
			reason: "The limit is a number",
			build:  func() (string, error) { return alterDatabaseConnLimitSQL("d", -1) },
			want:   want{SQL: `ALTER DATABASE "d" WITH CONNECTION LIMIT -1`},
		},
		"Drop": {
			reason: "Drop ends sessions and tolerates absence",
			build:  func() (string, error) { return dropDatabaseSQL(`x"y`) },
			want:   want{SQL: `DROP DATABASE IF EXISTS "x""y" WITH (FORCE)`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sql, err := tc.build()
			if diff := cmp.Diff(tc.want, want{SQL: sql, Err: err != nil}); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestValidEncoding(t *testing.T) {
	cases := map[string]struct {
		reason string
		enc    string
		want   bool
	}{
		"UTF8":      {reason: "A name of letters and digits is valid", enc: "UTF8", want: true},
		"Underline": {reason: "Underscores are valid", enc: "SQL_ASCII", want: true},
		"Quote":     {reason: "Quotes are not", enc: "UTF8'; DROP", want: false},
		"Empty":     {reason: "Empty is not", enc: "", want: false},
		"Long":      {reason: "More than 32 characters is not", enc: strings.Repeat("A", 33), want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, validEncoding(tc.enc) == nil); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRoleSQL(t *testing.T) {
	type want struct {
		SQL string
		Err bool
	}
	cases := map[string]struct {
		reason string
		build  func() (string, error)
		want   want
	}{
		"Create": {
			reason: "A login role without a password",
			build:  func() (string, error) { return createRoleSQL(`r"; --`, nil) },
			want:   want{SQL: `CREATE ROLE "r""; --" WITH LOGIN`},
		},
		"CreateLimit": {
			reason: "The limit is a number",
			build:  func() (string, error) { return createRoleSQL("r", ptr[int32](3)) },
			want:   want{SQL: `CREATE ROLE "r" WITH LOGIN CONNECTION LIMIT 3`},
		},
		"CreateBad": {
			reason: "An empty name is rejected",
			build:  func() (string, error) { return createRoleSQL("", nil) },
			want:   want{Err: true},
		},
		"Alter": {
			reason: "Alter restores LOGIN and sets the limit",
			build:  func() (string, error) { return alterRoleSQL("r", ptr[int32](-1)) },
			want:   want{SQL: `ALTER ROLE "r" WITH LOGIN CONNECTION LIMIT -1`},
		},
		"Grant": {
			reason: "Both names are quoted, privileges are normalised",
			build: func() (string, error) {
				return privilegeSQL("GRANT", " TO ", `r"`, `d"`, []string{"temp", "connect", "CONNECT"})
			},
			want: want{SQL: `GRANT CONNECT, TEMPORARY ON DATABASE "d""" TO "r"""`},
		},
		"GrantAll": {
			reason: "ALL expands to every database privilege",
			build:  func() (string, error) { return privilegeSQL("GRANT", " TO ", "r", "d", []string{"all privileges"}) },
			want:   want{SQL: `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "d" TO "r"`},
		},
		"RevokeUnknownPrivilege": {
			reason: "A privilege is a keyword: one PostgreSQL does not have never reaches the text",
			build: func() (string, error) {
				return privilegeSQL("REVOKE", " FROM ", "r", "d", []string{"CONNECT; DROP DATABASE postgres"})
			},
			want: want{Err: true},
		},
		"Drop": {
			reason: "Drop tolerates absence",
			build:  func() (string, error) { return dropRoleSQL("r") },
			want:   want{SQL: `DROP ROLE IF EXISTS "r"`},
		},
		"DropOwned": {
			reason: "Owned objects go to the admin, then privileges are revoked",
			build: func() (string, error) {
				s, err := dropOwnedSQL(`r"`)
				return strings.Join(s, "; "), err
			},
			want: want{SQL: `REASSIGN OWNED BY "r""" TO CURRENT_USER; DROP OWNED BY "r"""`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sql, err := tc.build()
			if diff := cmp.Diff(tc.want, want{SQL: sql, Err: err != nil}); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPasswordSQLHasNoInputs guards the password path: the statements are
// constants whose only inputs are bound values.
func TestPasswordSQLHasNoInputs(t *testing.T) {
	if !strings.Contains(bindPasswordSQL, "$1") || !strings.Contains(bindPasswordSQL, "$2") {
		t.Errorf("bindPasswordSQL must bind role and password: %s", bindPasswordSQL)
	}
	for _, s := range []string{"%I", "%L", "current_setting('dbaas.password')", "current_setting('dbaas.role')"} {
		if !strings.Contains(setPasswordSQL, s) {
			t.Errorf("setPasswordSQL must build the statement on the server with %s: %s", s, setPasswordSQL)
		}
	}
}
