package postgresql

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestCallSQL(t *testing.T) {
	type want struct {
		SQL  string
		Args []any
		Err  bool
	}
	cases := map[string]struct {
		reason    string
		procedure bool
		schema    string
		name      string
		in        []dbms.Arg
		want      want
	}{
		"FunctionPositional": {
			reason: "A function's rows are selected; inputs are placeholders",
			schema: "dba", name: "create_database",
			in:   []dbms.Arg{{Value: "a"}, {Value: "b'; DROP DATABASE postgres; --"}},
			want: want{SQL: `SELECT * FROM "dba"."create_database"($1, $2)`, Args: []any{"a", "b'; DROP DATABASE postgres; --"}},
		},
		"ProcedureNamed": {
			reason:    "A procedure is called; named inputs quote their names",
			procedure: true, name: `drop"it`,
			in:   []dbms.Arg{{Name: "p_name", Value: "x"}, {Name: `we"ird`, Value: "y"}},
			want: want{SQL: `CALL "drop""it"("p_name" => $1, "we""ird" => $2)`, Args: []any{"x", "y"}},
		},
		"NoInputs": {
			reason: "No inputs give an empty argument list",
			name:   "f",
			want:   want{SQL: `SELECT * FROM "f"()`, Args: []any{}},
		},
		"BadInputName": {
			reason: "An input name PostgreSQL would truncate is refused",
			name:   "f",
			in:     []dbms.Arg{{Name: string(make([]byte, 64)), Value: "x"}},
			want:   want{Err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, args, err := callSQL(tc.procedure, tc.schema, tc.name, tc.in)
			if (err != nil) != tc.want.Err {
				t.Fatalf("%s\ncallSQL(...): err = %v, want error %v", tc.reason, err, tc.want.Err)
			}
			if diff := cmp.Diff(want{SQL: tc.want.SQL, Args: tc.want.Args, Err: tc.want.Err}, want{SQL: q, Args: args, Err: err != nil}); diff != "" {
				t.Errorf("%s\ncallSQL(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCallProcedure(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	setup := `
CREATE SCHEMA IF NOT EXISTS dba;
CREATE OR REPLACE FUNCTION dba.echo(p_name text, p_team text) RETURNS TABLE(key text, value text)
LANGUAGE sql AS $$ VALUES ('name', p_name), ('team', p_team), ('nothing', NULL) $$;
CREATE OR REPLACE FUNCTION dba.answer(n integer) RETURNS TABLE(answer integer, doubled integer)
LANGUAGE sql AS $$ SELECT n, n * 2 $$;
CREATE TABLE IF NOT EXISTS dba.calls (v text);
CREATE OR REPLACE PROCEDURE dba.record(v text) LANGUAGE sql AS $$ INSERT INTO dba.calls VALUES (v) $$;
CREATE OR REPLACE FUNCTION dba.refuse(v text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'database % is reserved', v; END $$;`
	if _, err := c.conn.Exec(ctx, setup); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.conn.Exec(ctx, "DROP SCHEMA dba CASCADE") })
	before := databaseNames(t, c)

	hostile := `x'); DROP DATABASE postgres; -- ＇`
	r, err := c.CallProcedure(ctx, dbms.Call{Procedure: "dba.echo", Args: []dbms.Arg{{Name: "p_team", Value: "ops"}, {Name: "p_name", Value: hostile}}})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := r.KeyValues()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"name": hostile, "team": "ops", "nothing": ""}, kv); diff != "" {
		t.Errorf("echo with named inputs: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(before, databaseNames(t, c)); diff != "" {
		t.Errorf("a hostile input changed the databases: -before, +after:\n%s", diff)
	}

	// Non-text results read as text; an input binds to an integer parameter.
	r, err = c.CallProcedure(ctx, dbms.Call{Procedure: "dba.answer", Args: []dbms.Arg{{Value: "21"}}})
	if err != nil {
		t.Fatal(err)
	}
	if kv, err := r.KeyValues(); err != nil || !cmp.Equal(kv, map[string]string{"answer": "21", "doubled": "42"}) {
		t.Errorf("answer(21) = %v, %v; want answer 21, doubled 42", kv, err)
	}

	// A procedure is CALLed.
	if _, err := c.CallProcedure(ctx, dbms.Call{Procedure: "dba.record", Args: []dbms.Arg{{Value: hostile}}}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := c.conn.QueryRow(ctx, "SELECT v FROM dba.calls").Scan(&got); err != nil || got != hostile {
		t.Errorf("record stored %q, %v; want %q", got, err, hostile)
	}

	// The server's message comes back.
	_, err = c.CallProcedure(ctx, dbms.Call{Procedure: "dba.refuse", Args: []dbms.Arg{{Value: "payroll"}}})
	if err == nil || !strings.Contains(err.Error(), "database payroll is reserved") {
		t.Errorf("refuse: err = %v; want the procedure's message", err)
	}
	_, err = c.CallProcedure(ctx, dbms.Call{Procedure: "dba.missing"})
	if err == nil || !strings.Contains(err.Error(), "no function or procedure dba.missing") {
		t.Errorf("missing: err = %v; want a clear message", err)
	}
	if _, err := c.CallProcedure(ctx, dbms.Call{Procedure: "a.b.c"}); err == nil {
		t.Error("a three-part name was accepted")
	}
}

// FuzzCallSQL: whatever a class's procedure name, input names and values
// are, the statement is the quoted routine name and placeholders, and every
// value travels only as a bound argument.
func FuzzCallSQL(f *testing.F) {
	f.Add("dba", "create_database", "p_name", "x'); DROP DATABASE postgres; --", "$1")
	f.Add("", `we"ird`, `a"b`, `"; --`, "＇")
	f.Fuzz(func(t *testing.T, schema, name, argName, v1, v2 string) {
		in := []dbms.Arg{{Name: argName, Value: v1}, {Value: v2}}
		q, args, err := callSQL(false, schema, name, in)
		if err != nil {
			return // refused names never reach a statement
		}
		qs := ""
		if schema != "" {
			qs = mustQuote(t, schema) + "."
		}
		want := "SELECT * FROM " + qs + mustQuote(t, name) + "("
		if argName != "" {
			want += mustQuote(t, argName) + " => "
		}
		want += "$1, $2)"
		if q != want {
			t.Fatalf("callSQL text = %q, want %q", q, want)
		}
		if len(args) != 2 || args[0] != v1 || args[1] != v2 {
			t.Fatalf("callSQL args = %q, want the values verbatim", args)
		}
	})
}

func mustQuote(t *testing.T, s string) string {
	t.Helper()
	q, err := quote(s)
	if err != nil {
		t.Fatalf("quote(%q) refused a name callSQL accepted: %v", s, err)
	}
	return q
}
