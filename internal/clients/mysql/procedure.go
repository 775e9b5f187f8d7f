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
	"database/sql/driver"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errCallProcedure = "cannot call procedure %s"
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
	// The procedure is the administrator's and may change its session
	// (user variables, temporary tables, session variables; the server
	// restores only the sql_mode and character set it runs with): it runs
	// on a connection of its own, ended afterwards rather than lent to
	// another statement or reconcile.
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	defer discard(conn)
	rows, err := conn.QueryContext(ctx, q, args...) //nolint:rowserrcheck // dbms.ReadLastResult returns rows.Err.
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	defer func() { _ = rows.Close() }()
	r, err := dbms.ReadLastResult(rows)
	if err != nil {
		return nil, errors.Wrapf(err, errReadResult, call.Procedure)
	}
	return r, nil
}

// discard ends conn instead of giving it back to its pool: database/sql
// closes a connection whose Raw function reports it bad.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// callSQL builds CALL `schema`.`name`(?, ...). Only quoted identifiers and
// placeholders are in the text; the values are returned as arguments.
func callSQL(call dbms.Call) (string, []any, error) {
	schema, name, err := dbms.SplitProcedureName(call.Procedure)
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
