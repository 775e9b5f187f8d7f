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

package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// createProcedures makes the routines the tests call, as an administrator
// would.
func createProcedures(t *testing.T, c *Client) {
	t.Helper()
	exec(t,
		"CREATE DATABASE procs_db",
		"CREATE PROCEDURE procs_db.kv() BEGIN SELECT 'user' AS `key`, 'alice' AS `value` UNION ALL SELECT 'password', NULL; END",
		"CREATE PROCEDURE procs_db.named(IN a VARCHAR(255), IN b INT) BEGIN SELECT 'ignored' AS x; SELECT a AS first, b + 1 AS next, NULL AS nothing, 1.5 AS num; END",
		"CREATE PROCEDURE procs_db.echo(IN a TEXT, IN b TEXT, IN c TEXT) BEGIN SELECT a, b, c; END",
		"CREATE PROCEDURE procs_db.fails(IN tenant VARCHAR(64)) BEGIN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no such tenant'; END",
		"CREATE PROCEDURE procs_db.fails_late() BEGIN SELECT 1 AS one; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'failed after a result'; END",
		"CREATE PROCEDURE procs_db.nothing() BEGIN DO 0; END",
	)
	t.Cleanup(func() { _ = c.DropDatabase(context.Background(), "procs_db") })
}

func TestCallProcedure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	createProcedures(t, c)

	t.Run("KeyValueRows", func(t *testing.T) {
		r, err := c.CallProcedure(ctx, dbms.Call{Procedure: "procs_db.kv"})
		if err != nil {
			t.Fatal(err)
		}
		kv, err := r.KeyValues()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"user": "alice", "password": ""}, kv); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
		if r.Rows[1][1] != nil {
			t.Errorf("a NULL value read as %q, want nil", *r.Rows[1][1])
		}
	})

	t.Run("NamedColumns", func(t *testing.T) {
		r, err := c.CallProcedure(ctx, dbms.Call{Procedure: "procs_db.named", Args: []dbms.Arg{{Name: "a", Value: "alpha"}, {Name: "b", Value: "41"}}})
		if err != nil {
			t.Fatal(err)
		}
		// The last result set is the answer; numbers read as text.
		want := &dbms.Result{Columns: []string{"first", "next", "nothing", "num"}, Rows: [][]*string{{ptr("alpha"), ptr("42"), nil, ptr("1.5")}}}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
	})

	t.Run("ArgumentsVerbatim", func(t *testing.T) {
		args := []string{"it's; DROP DATABASE mysql; --", `back\slash "dq" ` + "`bt`", "é ｀ ☃ 😀 /* c */ \x00 nul"}
		call := dbms.Call{Procedure: "procs_db.echo"}
		for i, a := range args {
			call.Args = append(call.Args, dbms.Arg{Name: string(rune('a' + i)), Value: a})
		}
		r, err := c.CallProcedure(ctx, call)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rows) != 1 {
			t.Fatalf("rows = %d, want 1", len(r.Rows))
		}
		for i, a := range args {
			if got := r.Rows[0][i]; got == nil || *got != a {
				t.Errorf("argument %d came back as %v, want %q", i, got, a)
			}
		}
	})

	t.Run("Unqualified", func(t *testing.T) {
		cfg := adminConfig(t)
		cfg.Database = "procs_db"
		in, err := Connect(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = in.Close(ctx) }()
		r, err := in.CallProcedure(ctx, dbms.Call{Procedure: "kv"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rows) != 2 {
			t.Errorf("rows = %d, want 2", len(r.Rows))
		}
	})

	t.Run("NoRows", func(t *testing.T) {
		r, err := c.CallProcedure(ctx, dbms.Call{Procedure: "procs_db.nothing"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&dbms.Result{}, r); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
		if kv, err := r.KeyValues(); err != nil || len(kv) != 0 {
			t.Errorf("KeyValues = %v, %v; want empty", kv, err)
		}
	})

	errCases := map[string]struct {
		reason string
		call   dbms.Call
		want   []string
	}{
		"Signal": {
			reason: "a SIGNAL comes back with its message",
			call:   dbms.Call{Procedure: "procs_db.fails", Args: []dbms.Arg{{Value: "t1"}}},
			want:   []string{"cannot call procedure procs_db.fails", "45000", "no such tenant"},
		},
		"SignalAfterResult": {
			reason: "a SIGNAL after a result set is not lost",
			call:   dbms.Call{Procedure: "procs_db.fails_late"},
			want:   []string{"procs_db.fails_late", "failed after a result"},
		},
		"Missing": {
			reason: "a procedure that does not exist is named",
			call:   dbms.Call{Procedure: "procs_db.missing"},
			want:   []string{"PROCEDURE procs_db.missing does not exist"},
		},
		"ArgCount": {
			reason: "the wrong number of arguments is the server's error",
			call:   dbms.Call{Procedure: "procs_db.echo", Args: []dbms.Arg{{Value: "x"}}},
			want:   []string{"Incorrect number of arguments"},
		},
		"BadName": {
			reason: "a name with three parts is refused",
			call:   dbms.Call{Procedure: "a.b.c"},
			want:   []string{`procedure name "a.b.c" must be name or schema.name`},
		},
	}
	for name, tc := range errCases {
		t.Run(name, func(t *testing.T) {
			_, err := c.CallProcedure(ctx, tc.call)
			if err == nil {
				t.Fatalf("%s: CallProcedure succeeded", tc.reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q does not contain %q", tc.reason, err, w)
				}
			}
		})
	}
}
