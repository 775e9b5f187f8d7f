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
	"database/sql"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errCallProcedure = "cannot call procedure %s"
	errUnnamedArg    = "input %d has no name: SQL Server binds procedure inputs by name; give each input a name"
	errDuplicateArg  = "input %q is given more than once"
)

// CallProcedure runs an administrator's procedure, in the connected
// database, as a remote procedure call: go-mssqldb sends a query that is
// only a procedure name (no space, quote or semicolon outside brackets) as
// an RPC of that procedure rather than as SQL text, and named arguments as
// its parameters @name. So the only text sent is the bracket-quoted name,
// and every input is a bound nvarchar value, which the server converts to
// the parameter's type. The result is the last result set that has columns
// (a procedure may first return others, or row counts); a RAISERROR or
// THROW in the procedure comes back as an error with the server's message.
func (c *Client) CallProcedure(ctx context.Context, call dbms.Call) (*dbms.Result, error) {
	proc, args, err := procedureCall(call)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	rows, err := c.db.QueryContext(ctx, proc, args...)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, call.Procedure)
	}
	defer rows.Close()
	return readResult(rows, call.Procedure)
}

// procedureCall returns the quoted procedure name and its named arguments.
func procedureCall(call dbms.Call) (string, []any, error) {
	proc, err := quoteProcedure(call.Procedure)
	if err != nil {
		return "", nil, err
	}
	args := make([]any, len(call.Args))
	seen := map[string]bool{}
	for i, a := range call.Args {
		if a.Name == "" {
			return "", nil, errors.Errorf(errUnnamedArg, i+1)
		}
		n, err := argName(a.Name)
		if err != nil {
			return "", nil, err
		}
		// SQL Server compares parameter names without regard to case
		// under the usual collations.
		key := strings.ToLower(n)
		if seen[key] {
			return "", nil, errors.Errorf(errDuplicateArg, a.Name)
		}
		seen[key] = true
		args[i] = sql.Named(n, a.Value)
	}
	return proc, args, nil
}

// readResult reads the procedure's answer: its last result set with
// columns. An error here is mostly one the procedure raised part-way.
func readResult(rows *sql.Rows, procedure string) (*dbms.Result, error) {
	r, err := dbms.ReadLastResult(rows)
	if err != nil {
		return nil, errors.Wrapf(err, errCallProcedure, procedure)
	}
	return r, nil
}
