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
	"database/sql"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errCallProcedure = "cannot call procedure %s"
	errProcName      = "procedure name %q must be name or schema.name"
	errReadResult    = "cannot read the result of %s"
)

// CallProcedure runs CALL proc(?, ?, ...) with the inputs bound by position:
// MySQL cannot bind by name, so inputs are passed in order and their names
// only document them. It returns the last result set that has columns (a
// procedure may SELECT several; the last is its answer), NULLs as nil, and
// an empty result when it returns none. An error the procedure raises
// (SIGNAL) is returned with the server's message.
func (c *Client) CallProcedure(ctx context.Context, call dbms.Call) (*dbms.Result, error) {
	q, args, err := callSQL(call)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	defer func() { _ = rows.Close() }()
	r, err := readResults(rows)
	if err != nil {
		return nil, errors.Wrapf(err, errReadResult, call.Procedure)
	}
	return r, nil
}

// callSQL builds CALL `schema`.`name`(?, ...). Only quoted identifiers and
// placeholders are in the text; the values are returned as arguments.
func callSQL(call dbms.Call) (string, []any, error) {
	schema, name, err := splitRoutineName(call.Procedure)
	if err != nil {
		return "", nil, err
	}
	qn, err := quoteIdentifier(name)
	if err != nil {
		return "", nil, errors.Wrap(err, "procedure name")
	}
	if schema != "" {
		qs, err := quoteIdentifier(schema)
		if err != nil {
			return "", nil, errors.Wrap(err, "schema name")
		}
		qn = qs + "." + qn
	}
	params := make([]string, len(call.Args))
	args := make([]any, len(call.Args))
	for i, a := range call.Args {
		params[i] = "?"
		args[i] = a.Value
	}
	return "CALL " + qn + "(" + strings.Join(params, ", ") + ")", args, nil
}

// splitRoutineName splits schema.name; a name without a schema is looked up
// in the connection's database.
func splitRoutineName(n string) (schema, name string, err error) {
	parts := strings.Split(n, ".")
	switch {
	case len(parts) == 1 && parts[0] != "":
		return "", parts[0], nil
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		return parts[0], parts[1], nil
	}
	return "", "", errors.Errorf(errProcName, n)
}

// readResults reads every result set and keeps the last that has columns.
// The status a CALL ends with has none. An error raised after a result set
// comes with the move to the next one, so every set is read.
func readResults(rows *sql.Rows) (*dbms.Result, error) {
	last := &dbms.Result{}
	for {
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		r := &dbms.Result{Columns: cols}
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
			row := make([]*string, len(cols))
			for i, v := range vals {
				if v.Valid {
					s := v.String
					row[i] = &s
				}
			}
			r.Rows = append(r.Rows, row)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(cols) > 0 {
			last = r
		}
		if !rows.NextResultSet() {
			break
		}
	}
	return last, rows.Err()
}
