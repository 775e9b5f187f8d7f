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
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// The statements that carry a password build their DDL on the server. The
// small evaluator below runs the part of T-SQL they use (N'' literals, +,
// QUOTENAME and REPLACE), so that tests can check the DDL the server would
// run, for any name and password, without a server.

// evalDeclare evaluates a statement of the form
//
//	DECLARE @sql nvarchar(max) = <expression>;
//	EXEC sys.sp_executesql @sql;
//
// with the variables vars, and returns @sql.
func evalDeclare(t *testing.T, stmt string, vars map[string]string) string {
	t.Helper()
	const head = "DECLARE @sql nvarchar(max) = "
	const tail = ";\nEXEC sys.sp_executesql @sql;"
	if !strings.HasPrefix(stmt, head) || !strings.HasSuffix(stmt, tail) {
		t.Fatalf("statement is not DECLARE @sql ... EXEC sys.sp_executesql @sql:\n%s", stmt)
	}
	e := &evaluator{s: strings.TrimSuffix(strings.TrimPrefix(stmt, head), tail), vars: vars}
	v := e.expr()
	e.space()
	if e.err != "" || e.s != "" {
		t.Fatalf("cannot evaluate %q: %s (left: %q)", stmt, e.err, e.s)
	}
	return v
}

type evaluator struct {
	s    string
	vars map[string]string
	err  string
}

func (e *evaluator) space() { e.s = strings.TrimLeftFunc(e.s, unicode.IsSpace) }

func (e *evaluator) eat(tok string) bool {
	e.space()
	if strings.HasPrefix(e.s, tok) {
		e.s = e.s[len(tok):]
		return true
	}
	return false
}

func (e *evaluator) fail(msg string) string {
	if e.err == "" {
		e.err = msg
	}
	return ""
}

func (e *evaluator) expr() string {
	v := e.term()
	for e.err == "" && e.eat("+") {
		v += e.term()
	}
	return v
}

func (e *evaluator) term() string {
	e.space()
	switch {
	case strings.HasPrefix(e.s, "N'"):
		v, rest, ok := readLiteral(e.s)
		if !ok {
			return e.fail("unterminated literal")
		}
		e.s = rest
		return v
	case e.eat("QUOTENAME("):
		v := e.variable()
		if !e.eat(")") {
			return e.fail("QUOTENAME takes one argument here")
		}
		// QUOTENAME's rule: brackets around, ] doubled; NULL beyond 128.
		if utf16Len(v) > 128 {
			return e.fail("QUOTENAME returns NULL for more than 128 characters")
		}
		return "[" + strings.ReplaceAll(v, "]", "]]") + "]"
	case e.eat("REPLACE("):
		v := e.variable()
		if !e.eat("COLLATE Latin1_General_BIN2") {
			return e.fail("REPLACE must compare code points (a binary collation)")
		}
		if !e.eat(",") {
			return e.fail("REPLACE takes three arguments")
		}
		from := e.term()
		if !e.eat(",") {
			return e.fail("REPLACE takes three arguments")
		}
		to := e.term()
		if !e.eat(")") {
			return e.fail("REPLACE takes three arguments")
		}
		return strings.ReplaceAll(v, from, to)
	}
	return e.fail("unknown term")
}

func (e *evaluator) variable() string {
	e.space()
	for name, v := range e.vars {
		if e.eat("@" + name) {
			return v
		}
	}
	return e.fail("unknown variable")
}

// readLiteral reads the N'...' literal at the start of s, in which two
// apostrophes stand for one, and returns its value and what follows it.
func readLiteral(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, "N'") {
		return "", s, false
	}
	var b strings.Builder
	for i := 2; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", s, false
}

// parseDDL reads "<verb> [name] <middle> N'password'" and returns the name
// and the password the server would see.
func parseDDL(t *testing.T, ddl, verb, middle string) (name, password string) {
	t.Helper()
	rest, ok := strings.CutPrefix(ddl, verb+" ")
	if !ok {
		t.Fatalf("DDL %q does not start with %q", ddl, verb)
	}
	end := closing(rest)
	name, ok = unquote(rest[:end+1])
	if !ok {
		t.Fatalf("DDL %q: the name is not one bracket-quoted identifier", ddl)
	}
	rest, ok = strings.CutPrefix(rest[end+1:], " "+middle+" ")
	if !ok {
		t.Fatalf("DDL %q: %q does not follow the name", ddl, middle)
	}
	password, rest, ok = readLiteral(rest)
	if !ok {
		t.Fatalf("DDL %q: the password is not one N'' literal", ddl)
	}
	if rest != "" {
		t.Fatalf("DDL %q: %q follows the password literal", ddl, rest)
	}
	return name, password
}

var passwordStatements = map[string]struct {
	stmt, verb, middle string
}{
	"CreateLogin":     {stmt: createLoginSQL, verb: "CREATE LOGIN", middle: "WITH PASSWORD ="},
	"AlterLogin":      {stmt: alterLoginPasswordSQL, verb: "ALTER LOGIN", middle: "WITH PASSWORD ="},
	"CreateContained": {stmt: createContainedUserSQL, verb: "CREATE USER", middle: "WITH PASSWORD ="},
	"AlterContained":  {stmt: alterContainedPasswordSQL, verb: "ALTER USER", middle: "WITH PASSWORD ="},
}

func TestPasswordStatements(t *testing.T) {
	type in struct{ name, password string }
	inputs := map[string]in{
		"Plain":     {name: "app", password: "S3cret!pass"},
		"Quotes":    {name: "o'brien", password: `it's a ''test'' ; DROP LOGIN sa; --`},
		"EndsQuote": {name: "app", password: `pass'`},
		"Brackets":  {name: hostile, password: "]]'[["},
		"FullWidth": {name: "app", password: "\uff07\u2019'"},
		"Unicode":   {name: "пользователь", password: "пароль😀'"},
		"Long":      {name: "app", password: strings.Repeat("'a", 200)},
	}
	for sname, st := range passwordStatements {
		for iname, i := range inputs {
			t.Run(sname+"/"+iname, func(t *testing.T) {
				ddl := evalDeclare(t, st.stmt, map[string]string{"name": i.name, "password": i.password})
				name, pw := parseDDL(t, ddl, st.verb, st.middle)
				if diff := cmp.Diff(in{name: i.name, password: i.password}, in{name: name, password: pw}, cmp.AllowUnexported(in{})); diff != "" {
					t.Errorf("the server would run %q: -want, +got:\n%s", ddl, diff)
				}
				if strings.Contains(st.stmt, i.password) {
					t.Errorf("the statement text holds the password")
				}
			})
		}
	}
}

func FuzzPasswordStatements(f *testing.F) {
	f.Add("app", "S3cret!")
	f.Add(hostile, `'; DROP LOGIN sa; --`)
	f.Add("a'b", "''''")
	f.Fuzz(func(t *testing.T, name, password string) {
		if validName(name) != nil || validPassword(password) != nil {
			return
		}
		for sname, st := range passwordStatements {
			ddl := evalDeclare(t, st.stmt, map[string]string{"name": name, "password": password})
			n, pw := parseDDL(t, ddl, st.verb, st.middle)
			if n != name || pw != password {
				t.Fatalf("%s: the server would run %q, naming %q with password %q; want %q and %q", sname, ddl, n, pw, name, password)
			}
		}
	})
}

// TestNameOnlyStatements checks the statements that build DDL from the name
// alone.
func TestNameOnlyStatements(t *testing.T) {
	cases := map[string]struct {
		stmt string
		want string
	}{
		"EnableLogin":  {stmt: enableLoginSQL, want: "ALTER LOGIN [x]]; DROP DATABASE master; --] ENABLE"},
		"GrantConnect": {stmt: grantConnectSQL, want: "GRANT CONNECT TO [x]]; DROP DATABASE master; --]"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := evalDeclare(t, tc.stmt, map[string]string{"name": hostile})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("the server would run: -want, +got:\n%s", diff)
			}
		})
	}
}
