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
	"database/sql"
	"strings"
)

// A param is a value bound into a statement that runs in another database.
type param struct {
	// name without the @.
	name string
	// typ is the T-SQL type the statement declares it with.
	typ   string
	value string
}

func nameParam(name string) param { return param{name: "name", typ: "sysname", value: name} }

// The password's type has no length, so that the server, not a silent
// truncation, refuses one longer than it allows.
func passwordParam(pw string) param {
	return param{name: "password", typ: "nvarchar(max)", value: pw}
}

// What a batch does when its database does not exist.
const (
	// skipIfMissing ends the batch quietly: a user or a grant in a
	// database that is gone is gone too.
	skipIfMissing = `RETURN;`
	// failIfMissing raises an error that names the database. The name
	// is an argument of the message, not part of its format.
	failIfMissing = `RAISERROR(N'database %s does not exist', 16, 1, @database); RETURN;`
)

// inDatabase returns a batch, and its arguments, that runs stmt in database.
// USE takes no parameter, and a name written into the batch would be one
// more thing to quote; so the batch calls that database's own
// sp_executesql, which runs a statement there, through a variable set from
// QUOTENAME(@database) (EXEC @variable runs the procedure the variable
// names). The database name, stmt and params are all bound values. Whether
// the database exists is checked when the batch runs, so a missing one is
// handled as ifMissing says rather than failing to compile.
func inDatabase(database, stmt, ifMissing string, params ...param) (string, []any) {
	decls := make([]string, len(params))
	assigns := make([]string, len(params))
	args := []any{sql.Named("database", database), sql.Named("stmt", stmt)}
	for i, p := range params {
		decls[i] = "@" + p.name + " " + p.typ
		assigns[i] = "@" + p.name + " = @" + p.name
		args = append(args, sql.Named(p.name, p.value))
	}
	call := "EXEC @exec @stmt"
	if len(params) > 0 {
		// decls and assigns are made of this package's constants only.
		call += ", N'" + strings.Join(decls, ", ") + "', " + strings.Join(assigns, ", ")
	}
	q := "IF DB_ID(@database) IS NULL\nBEGIN\n\t" + ifMissing + "\nEND;\n" +
		"DECLARE @exec nvarchar(300) = QUOTENAME(@database) + N'.sys.sp_executesql';\n" +
		call + ";"
	return q, args
}
