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
	"database/sql/driver"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestCallProcedure(t *testing.T) {
	str := func(s string) *string { return &s }
	raised := mssql.Error{Number: 50000, Class: 16, Message: "tenant acme already exists", ProcName: "create_tenant"}
	type want struct {
		Result *dbms.Result
		Sent   []sent
		Err    []string
	}
	cases := map[string]struct {
		reason  string
		call    dbms.Call
		replies []reply
		want    want
	}{
		"RPC": {
			reason: "The query is only the quoted procedure name, which go-mssqldb sends as an RPC; inputs go as named parameters",
			call: dbms.Call{Procedure: "dba.create_database", Args: []dbms.Arg{
				{Name: "input", Value: "x'; DROP DATABASE master; --"}, {Name: "@owner", Value: "bob"},
			}},
			replies: []reply{rows([]string{"key", "value"}, row("password", "s3cret"), row("host", nil))},
			want: want{
				Result: &dbms.Result{Columns: []string{"key", "value"}, Rows: [][]*string{{str("password"), str("s3cret")}, {str("host"), nil}}},
				Sent: []sent{{Kind: "query", Query: "[dba].[create_database]", Args: withOrdinals(
					named("input", "x'; DROP DATABASE master; --"), named("owner", "bob"))}},
			},
		},
		"HostileName": {
			reason: "A hostile procedure name is only ever bracket-quoted",
			call:   dbms.Call{Procedure: hostile},
			want: want{
				Result: &dbms.Result{},
				Sent:   []sent{{Kind: "query", Query: "[x]]; DROP DATABASE master; --]"}},
			},
		},
		"LastSetWithColumns": {
			reason: "The last result set that has columns is returned, after sets without columns (row counts) and earlier sets",
			call:   dbms.Call{Procedure: "p"},
			replies: []reply{{Sets: []set{
				{Columns: []string{"debug"}, Rows: [][]driver.Value{row("step 1")}},
				{Columns: []string{"id", "created", "ok", "blob"}, Rows: [][]driver.Value{
					row(int64(7), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), true, []byte("raw")),
				}},
				{},
			}}},
			want: want{
				Result: &dbms.Result{
					Columns: []string{"id", "created", "ok", "blob"},
					Rows:    [][]*string{{str("7"), str("2026-01-02T03:04:05Z"), str("true"), str("raw")}},
				},
				Sent: []sent{{Kind: "query", Query: "[p]"}},
			},
		},
		"EmptySet": {
			reason:  "A result set with columns and no rows gives the columns",
			call:    dbms.Call{Procedure: "p"},
			replies: []reply{rows([]string{"a"})},
			want: want{
				Result: &dbms.Result{Columns: []string{"a"}},
				Sent:   []sent{{Kind: "query", Query: "[p]"}},
			},
		},
		"Raised": {
			reason:  "A RAISERROR or THROW in the procedure is an error that carries the server's message",
			call:    dbms.Call{Procedure: "dba.create_tenant", Args: []dbms.Arg{{Name: "tenant", Value: "acme"}}},
			replies: []reply{{Err: raised}},
			want: want{
				Sent: []sent{{Kind: "query", Query: "[dba].[create_tenant]", Args: withOrdinals(named("tenant", "acme"))}},
				Err:  []string{"cannot call procedure dba.create_tenant", "tenant acme already exists"},
			},
		},
		"RaisedAfterRows": {
			reason:  "An error raised after a result set was sent is not lost",
			call:    dbms.Call{Procedure: "p"},
			replies: []reply{{Sets: []set{{Columns: []string{"a"}, Rows: [][]driver.Value{row("1")}, Err: raised}}}},
			want: want{
				Sent: []sent{{Kind: "query", Query: "[p]"}},
				Err:  []string{"cannot call procedure p", "tenant acme already exists"},
			},
		},
		"RaisedBetweenSets": {
			reason:  "Nor is one raised between result sets",
			call:    dbms.Call{Procedure: "p"},
			replies: []reply{{Sets: []set{{Columns: []string{"a"}, Rows: [][]driver.Value{row("1")}, NextErr: raised}, {Columns: []string{"b"}}}}},
			want: want{
				Sent: []sent{{Kind: "query", Query: "[p]"}},
				Err:  []string{"cannot call procedure p", "tenant acme already exists"},
			},
		},
		"Unnamed": {
			reason: "SQL Server binds inputs by name; one without a name is refused before anything is sent",
			call:   dbms.Call{Procedure: "p", Args: []dbms.Arg{{Name: "a", Value: "1"}, {Value: "2"}}},
			want:   want{Err: []string{"input 2 has no name", "SQL Server binds procedure inputs by name; give each input a name"}},
		},
		"BadArgName": {
			reason: "An input name that is not an identifier is refused",
			call:   dbms.Call{Procedure: "p", Args: []dbms.Arg{{Name: "a = 1; --", Value: "1"}}},
			want:   want{Err: []string{"cannot call procedure p", `"a = 1; --"`}},
		},
		"DuplicateArg": {
			reason: "An input given twice (names compare without case) is refused",
			call:   dbms.Call{Procedure: "p", Args: []dbms.Arg{{Name: "a", Value: "1"}, {Name: "@A", Value: "2"}}},
			want:   want{Err: []string{"cannot call procedure p", `"@A" is given more than once`}},
		},
		"ThreeParts": {
			reason: "A database-qualified name is refused",
			call:   dbms.Call{Procedure: "master.dbo.p"},
			want:   want{Err: []string{"cannot call procedure master.dbo.p", "name or schema.name"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			r, err := c.CallProcedure(context.Background(), tc.call)
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want.Result, r); diff != "" {
				t.Errorf("%s\nresult: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.Sent, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
			if len(tc.replies) > 0 && tc.replies[0].Err != nil {
				var me mssql.Error
				if !errors.As(err, &me) || me.Message != raised.Message {
					t.Errorf("%s\nthe server's error is not kept in %v", tc.reason, err)
				}
			}
		})
	}
}

// TestCallProcedureResultKeyValues shows that a result read by
// CallProcedure folds into the key/value pairs the controllers use.
func TestCallProcedureResultKeyValues(t *testing.T) {
	c, _ := newFakeClient(t, rows([]string{"username", "password"}, row("app", "s3cret")))
	r, err := c.CallProcedure(context.Background(), dbms.Call{Procedure: "dba.provision"})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := r.KeyValues()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"username": "app", "password": "s3cret"}, kv); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
}
