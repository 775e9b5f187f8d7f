/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package mssql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const hostile = "x]; DROP DATABASE master; --"

func ptr[T any](v T) *T { return &v }

// checkErr reports when err does not contain every one of want, or is not
// nil when want is empty.
func checkErr(t *testing.T, reason string, err error, want ...string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("%s\nunexpected error: %v", reason, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s\ngot no error, want one containing %q", reason, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s\nerror %q does not contain %q", reason, err, w)
		}
	}
}

var serverErr = mssql.Error{Number: 5170, Class: 16, Message: "Cannot create file because it already exists."}

func TestObserveDatabase(t *testing.T) {
	type want struct {
		Obs  *dbms.DatabaseObservation
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason  string
		name    string
		replies []reply
		want    want
	}{
		"Exists": {
			reason:  "The collation is read from sys.databases, with the name bound as @p1",
			name:    hostile,
			replies: []reply{rows([]string{"collation_name"}, row("Latin1_General_100_CI_AS_SC_UTF8"))},
			want: want{
				Obs:  &dbms.DatabaseObservation{Collation: "Latin1_General_100_CI_AS_SC_UTF8"},
				Sent: []sent{{Kind: "query", Query: "SELECT collation_name FROM sys.databases WHERE name = @p1", Args: []sentArg{positional(1, hostile)}}, ownerRead(ownedDatabase, "", hostile)},
			},
		},
		"NullCollation": {
			reason:  "A database that is not online has no collation",
			name:    "app",
			replies: []reply{rows([]string{"collation_name"}, row(nil))},
			want: want{
				Obs:  &dbms.DatabaseObservation{},
				Sent: []sent{{Kind: "query", Query: observeDatabaseSQL, Args: []sentArg{positional(1, "app")}}, ownerRead(ownedDatabase, "", "app")},
			},
		},
		"Missing": {
			reason:  "No row means no database",
			name:    "app",
			replies: []reply{rows([]string{"collation_name"})},
			want: want{
				Sent: []sent{{Kind: "query", Query: observeDatabaseSQL, Args: []sentArg{positional(1, "app")}}},
			},
		},
		"Error": {
			reason:  "A server error says what could not be done",
			name:    "app",
			replies: []reply{{Err: serverErr}},
			want: want{
				Sent: []sent{{Kind: "query", Query: observeDatabaseSQL, Args: []sentArg{positional(1, "app")}}},
				Err:  []string{errObserveDatabase, "Cannot create file"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			o, err := c.ObserveDatabase(context.Background(), tc.name)
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want.Obs, o); diff != "" {
				t.Errorf("%s\nobservation: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.Sent, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCreateDatabase(t *testing.T) {
	type want struct {
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason  string
		name    string
		params  dbms.DatabaseParameters
		replies []reply
		want    want
	}{
		"Plain": {
			reason: "Only the quoted name is given",
			name:   "app",
			want:   want{Sent: []sent{{Kind: "exec", Query: "CREATE DATABASE [app]"}}},
		},
		"Collation": {
			reason: "The collation follows COLLATE",
			name:   "app",
			params: dbms.DatabaseParameters{Collation: "Latin1_General_100_CI_AS_SC_UTF8"},
			want:   want{Sent: []sent{{Kind: "exec", Query: "CREATE DATABASE [app] COLLATE Latin1_General_100_CI_AS_SC_UTF8"}}},
		},
		"Hostile": {
			reason: "A hostile name appears only bracket-quoted, its ] doubled",
			name:   hostile,
			want:   want{Sent: []sent{{Kind: "exec", Query: "CREATE DATABASE [x]]; DROP DATABASE master; --]"}}},
		},
		"BadCollation": {
			reason: "A collation that is not a plain name is refused before anything is sent",
			name:   "app",
			params: dbms.DatabaseParameters{Collation: "Latin1_General_CI_AS; DROP DATABASE master"},
			want:   want{Err: []string{errCreateDatabase, errBadCollation}},
		},
		"BadName": {
			reason: "A name the server would not store as given is refused",
			name:   "app ",
			want:   want{Err: []string{errCreateDatabase, "database", "space"}},
		},
		"Owner": {
			reason: "An owner is PostgreSQL's and is refused, naming the field and its engine",
			name:   "app",
			params: dbms.DatabaseParameters{Owner: "bob"},
			want:   want{Err: []string{errCreateDatabase, "owner", "PostgreSQL"}},
		},
		"Encoding": {
			reason: "So is an encoding",
			name:   "app",
			params: dbms.DatabaseParameters{Encoding: "UTF8"},
			want:   want{Err: []string{errCreateDatabase, "encoding", "PostgreSQL"}},
		},
		"ConnectionLimit": {
			reason: "So is a connection limit",
			name:   "app",
			params: dbms.DatabaseParameters{ConnectionLimit: ptr[int32](5)},
			want:   want{Err: []string{errCreateDatabase, "connectionLimit", "PostgreSQL"}},
		},
		"CharacterSet": {
			reason: "A character set is MySQL's and is refused",
			name:   "app",
			params: dbms.DatabaseParameters{CharacterSet: "utf8mb4"},
			want:   want{Err: []string{errCreateDatabase, "characterSet", "MySQL"}},
		},
		"ServerError": {
			reason:  "A server error says what could not be done and keeps the server's message",
			name:    "app",
			replies: []reply{{Err: serverErr}},
			want: want{
				Sent: []sent{{Kind: "exec", Query: "CREATE DATABASE [app]"}},
				Err:  []string{errCreateDatabase, "Cannot create file"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			err := c.CreateDatabase(context.Background(), tc.name, tc.params)
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want.Sent, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpdateDatabase(t *testing.T) {
	observe := sent{Kind: "query", Query: observeDatabaseSQL, Args: []sentArg{positional(1, hostile)}}
	type want struct {
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason  string
		params  dbms.DatabaseParameters
		replies []reply
		want    want
	}{
		"Nothing": {
			reason: "Without a collation there is nothing to change and nothing is sent",
		},
		"Same": {
			reason:  "The collation is not changed when the database has it, in any case",
			params:  dbms.DatabaseParameters{Collation: "latin1_general_ci_as"},
			replies: []reply{rows([]string{"collation_name"}, row("Latin1_General_CI_AS"))},
			want:    want{Sent: []sent{observe}},
		},
		"Change": {
			reason:  "Another collation is set with ALTER DATABASE",
			params:  dbms.DatabaseParameters{Collation: "Latin1_General_CS_AS"},
			replies: []reply{rows([]string{"collation_name"}, row("Latin1_General_CI_AS"))},
			want:    want{Sent: []sent{observe, {Kind: "exec", Query: "ALTER DATABASE [x]]; DROP DATABASE master; --] COLLATE Latin1_General_CS_AS"}}},
		},
		"Missing": {
			reason:  "A database that does not exist cannot be changed",
			params:  dbms.DatabaseParameters{Collation: "Latin1_General_CS_AS"},
			replies: []reply{rows([]string{"collation_name"})},
			want:    want{Sent: []sent{observe}, Err: []string{errUpdateDatabase, "does not exist"}},
		},
		"BadCollation": {
			reason: "A collation that is not a plain name is refused before anything is sent",
			params: dbms.DatabaseParameters{Collation: "x'"},
			want:   want{Err: []string{errUpdateDatabase, errBadCollation}},
		},
		"Owner": {
			reason: "Other engines' settings are refused on update too",
			params: dbms.DatabaseParameters{Owner: "bob", Collation: "Latin1_General_CS_AS"},
			want:   want{Err: []string{errUpdateDatabase, "owner", "PostgreSQL"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			err := c.UpdateDatabase(context.Background(), hostile, tc.params)
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want.Sent, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDropDatabase(t *testing.T) {
	const want = `IF DB_ID(@p1) IS NOT NULL
BEGIN
	ALTER DATABASE [x]]; DROP DATABASE master; --] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
	BEGIN TRY
		DROP DATABASE [x]]; DROP DATABASE master; --];
	END TRY
	BEGIN CATCH
		ALTER DATABASE [x]]; DROP DATABASE master; --] SET MULTI_USER;
		THROW;
	END CATCH;
END;`
	t.Run("Drop", func(t *testing.T) {
		c, s := newFakeClient(t)
		if err := c.DropDatabase(context.Background(), hostile); err != nil {
			t.Fatalf("DropDatabase: %v", err)
		}
		// The name is quoted where it is an identifier and bound (@p1)
		// where DB_ID looks it up.
		if diff := cmp.Diff([]sent{{Kind: "exec", Query: want, Args: []sentArg{positional(1, hostile)}}, ownerForget(ownedDatabase, "", hostile)}, s.statements()); diff != "" {
			t.Errorf("sent: -want, +got:\n%s", diff)
		}
	})
	t.Run("ServerError", func(t *testing.T) {
		c, _ := newFakeClient(t, reply{Err: mssql.Error{Number: 3702, Message: "Cannot drop database because it is currently in use."}})
		err := c.DropDatabase(context.Background(), "app")
		checkErr(t, "A failed drop says so, with the server's reason", err, errDropDatabase, "currently in use")
		var me mssql.Error
		if !errors.As(err, &me) || me.Number != 3702 {
			t.Errorf("the server's error is not kept: %v", err)
		}
	})
	t.Run("BadName", func(t *testing.T) {
		c, s := newFakeClient(t)
		err := c.DropDatabase(context.Background(), "")
		checkErr(t, "An empty name is refused", err, errDropDatabase)
		if got := s.statements(); len(got) != 0 {
			t.Errorf("sent %v for a refused name", got)
		}
	})
}
