package postgresql

import (
	"context"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errCallProcedure = "cannot call procedure %s"
	errNoRoutine     = "no function or procedure %s exists, or the admin cannot see it"
	errRoutineKinds  = "%s names both a function and a procedure; drop one or qualify the name"
	errReadResult    = "cannot read the result of %s"
)

// Statements whose only inputs are bound parameters.
const (
	// routineKindSQL finds whether a name is a function ('f') or a procedure
	// ('p'): a function's rows are read with SELECT, a procedure is CALLed.
	// An unqualified name is looked up on the search path, as a call would.
	routineKindSQL = `SELECT DISTINCT p.prokind::text FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = $2 AND p.prokind IN ('f', 'p')
  AND (($1 = '' AND pg_catalog.pg_function_is_visible(p.oid)) OR n.nspname = $1)`
)

// CallProcedure runs an administrator's routine with the inputs bound as
// text parameters ($1, $2, ...; "name" => $n when named). A function's
// result set is returned; so are a procedure's INOUT values, as one row.
// Functions are what a routine that returns key/value rows must be in
// PostgreSQL: procedures cannot return result sets.
func (c *Client) CallProcedure(ctx context.Context, call dbms.Call) (*dbms.Result, error) {
	schema, name, err := dbms.SplitProcedureName(call.Procedure)
	if err != nil {
		return nil, err
	}
	rows, err := c.conn.Query(ctx, routineKindSQL, schema, name)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	switch {
	case len(kinds) == 0:
		return nil, errors.Errorf(errNoRoutine, call.Procedure)
	case len(kinds) > 1:
		return nil, errors.Errorf(errRoutineKinds, call.Procedure)
	}
	q, args, err := callSQL(kinds[0] == "p", schema, name, call.Args)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	// The routine is the administrator's and may change the session
	// (set_config, SET ROLE, temporary tables): a pooled session it ran on
	// is not handed to the next reconcile.
	c.dirty = true
	// Text results, so that every column reads as the string a secret holds
	// whatever its type.
	out, err := c.conn.Query(ctx, q, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)...)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	defer out.Close()
	return readResult(out, call.Procedure)
}

// callSQL builds SELECT * FROM f($1, ...) or CALL p($1, ...). Only quoted
// identifiers and placeholders are in the text; the values are returned as
// arguments.
func callSQL(procedure bool, schema, name string, in []dbms.Arg) (string, []any, error) {
	qn, err := quote(name)
	if err != nil {
		return "", nil, err
	}
	if schema != "" {
		qs, err := quote(schema)
		if err != nil {
			return "", nil, err
		}
		qn = qs + "." + qn
	}
	params := make([]string, len(in))
	args := make([]any, len(in))
	for i, a := range in {
		p := "$" + strconv.Itoa(i+1)
		if a.Name != "" {
			qa, err := quote(a.Name)
			if err != nil {
				return "", nil, errors.Wrap(err, "input")
			}
			p = qa + " => " + p
		}
		params[i] = p
		args[i] = a.Value
	}
	call := qn + "(" + strings.Join(params, ", ") + ")"
	if procedure {
		return "CALL " + call, args, nil
	}
	return "SELECT * FROM " + call, args, nil
}

// readResult reads every row as text, NULL as nil.
func readResult(rows pgx.Rows, procedure string) (*dbms.Result, error) {
	r := &dbms.Result{}
	for _, f := range rows.FieldDescriptions() {
		r.Columns = append(r.Columns, f.Name)
	}
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]*string, len(raw))
		for i, v := range raw {
			if v != nil {
				s := string(v)
				row[i] = &s
			}
		}
		r.Rows = append(r.Rows, row)
	}
	return r, errors.Wrapf(rows.Err(), errReadResult, procedure)
}
