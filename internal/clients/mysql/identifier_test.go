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
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCheckName(t *testing.T) {
	cases := map[string]struct {
		reason string
		name   string
		max    int
		ok     bool
	}{
		"Plain":        {reason: "A plain name is fine", name: "app", max: 64, ok: true},
		"Punctuation":  {reason: "Quotes, backticks and semicolons are stored as they are", name: "x`; DROP DATABASE mysql; --", max: 64, ok: true},
		"Empty":        {reason: "An empty name is refused", name: "", max: 64},
		"NUL":          {reason: "The server refuses NUL", name: "a\x00b", max: 64},
		"BadUTF8":      {reason: "Invalid UTF-8 would be mangled", name: "a\xffb", max: 64},
		"Emoji":        {reason: "utf8mb3 has no characters beyond U+FFFF", name: "db😀", max: 64},
		"BMP":          {reason: "Characters of the BMP, look-alikes included, are fine", name: "é ｀ ＇", max: 64, ok: true},
		"Max":          {reason: "64 characters is allowed", name: strings.Repeat("é", 64), max: 64, ok: true},
		"Long":         {reason: "The limit is in characters", name: strings.Repeat("é", 65), max: 64},
		"TrailingSp":   {reason: "Trailing spaces are dropped or refused", name: "app ", max: 64},
		"TrailingTab":  {reason: "Trailing white space is refused", name: "app\t", max: 64},
		"LeadingSp":    {reason: "Leading spaces are kept", name: " app", max: 64, ok: true},
		"InnerNewline": {reason: "Inner white space is kept", name: "a\nb", max: 64, ok: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkName(tc.name, tc.max)
			if (err == nil) != tc.ok {
				t.Errorf("%s\ncheckName(%q) = %v, want ok=%t", tc.reason, tc.name, err, tc.ok)
			}
		})
	}
}

func TestQuoteIdentifier(t *testing.T) {
	type want struct {
		Q   string
		Err bool
	}
	cases := map[string]struct {
		reason string
		name   string
		want   want
	}{
		"Plain":     {reason: "A plain name is quoted", name: "app", want: want{Q: "`app`"}},
		"Case":      {reason: "Quoting keeps case", name: "App", want: want{Q: "`App`"}},
		"Backtick":  {reason: "Backticks are doubled", name: "x`; DROP DATABASE mysql; --", want: want{Q: "`x``; DROP DATABASE mysql; --`"}},
		"Quotes":    {reason: "Quotes are ordinary characters in identifiers", name: `a'b"c`, want: want{Q: "`a'b\"c`"}},
		"Backslash": {reason: "Backslashes are ordinary characters in identifiers", name: `a\b`, want: want{Q: "`a\\b`"}},
		"Lookalike": {reason: "A fullwidth grave accent is not a backtick", name: "é｀", want: want{Q: "`é｀`"}},
		"Comment":   {reason: "Comment markers are ordinary characters", name: "/* c */", want: want{Q: "`/* c */`"}},
		"Empty":     {reason: "An empty name is refused", name: "", want: want{Err: true}},
		"Long":      {reason: "Longer than 64 characters is refused", name: strings.Repeat("a", 65), want: want{Err: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, err := quoteIdentifier(tc.name)
			if diff := cmp.Diff(tc.want, want{Q: q, Err: err != nil}); diff != "" {
				t.Errorf("%s\nquoteIdentifier(%q): -want, +got:\n%s", tc.reason, tc.name, diff)
			}
		})
	}
}

func TestQuoteString(t *testing.T) {
	cases := map[string]struct {
		reason string
		s      string
		want   string
	}{
		"Plain":     {reason: "A plain string is quoted", s: "bob", want: `'bob'`},
		"Quote":     {reason: "A quote is doubled", s: "a'b", want: `'a''b'`},
		"Backslash": {reason: "A backslash is doubled", s: `a\b`, want: `'a\\b'`},
		"EscQuote":  {reason: "A backslash before a quote cannot escape it", s: `a\'`, want: `'a\\'''`},
		"Double":    {reason: "Double quotes are ordinary characters", s: `a"b`, want: `'a"b'`},
		"Lookalike": {reason: "Unicode quotation marks are ordinary characters", s: "a＇’b", want: "'a＇’b'"},
		"Empty":     {reason: "An empty string is two quotes", s: "", want: `''`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := quoteString(tc.s); got != tc.want {
				t.Errorf("%s\nquoteString(%q) = %s, want %s", tc.reason, tc.s, got, tc.want)
			}
		})
	}
}

func TestAccount(t *testing.T) {
	type want struct {
		Q   string
		Err bool
	}
	cases := map[string]struct {
		reason     string
		name, host string
		want       want
	}{
		"AnyHost":   {reason: "An empty host is any host", name: "app", want: want{Q: `'app'@'%'`}},
		"Host":      {reason: "A host is quoted too", name: "app", host: "10.0.0.%", want: want{Q: `'app'@'10.0.0.%'`}},
		"Quote":     {reason: "Quotes in names are doubled", name: "a'b", host: "h'", want: want{Q: `'a''b'@'h'''`}},
		"At":        {reason: "An @ in a name stays inside the literal", name: "a'@'b", want: want{Q: `'a''@''b'@'%'`}},
		"UpperHost": {reason: "The server lower-cases hosts, so an upper-case one would not be found again", name: "app", host: "DB.example", want: want{Err: true}},
		"LongUser":  {reason: "A user name longer than the engine allows is refused", name: strings.Repeat("u", 129), want: want{Err: true}},
		"MaxUser":   {reason: "128 characters is MariaDB's limit", name: strings.Repeat("u", 128), want: want{Q: "'" + strings.Repeat("u", 128) + "'@'%'"}},
		"Trailing":  {reason: "Trailing spaces are dropped from user names", name: "app ", want: want{Err: true}},
		"NULHost":   {reason: "NUL is refused in hosts", name: "app", host: "a\x00", want: want{Err: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, err := account(tc.name, tc.host, mariadbEngine.maxUserChars)
			if diff := cmp.Diff(tc.want, want{Q: q, Err: err != nil}); diff != "" {
				t.Errorf("%s\naccount(%q, %q): -want, +got:\n%s", tc.reason, tc.name, tc.host, diff)
			}
		})
	}
	if _, err := account(strings.Repeat("u", 33), "", mysqlEngine.maxUserChars); err == nil {
		t.Error("MySQL user names are at most 32 characters; 33 was accepted")
	}
}

func TestEscapeDatabasePattern(t *testing.T) {
	cases := map[string]string{
		"app":     "app",
		"app_1":   `app\_1`,
		"50%":     `50\%`,
		`a\b`:     `a\\b`,
		`a\_%`:    `a\\\_\%`,
		"é_｀":     `é\_｀`,
		"x`; --":  "x`; --",
		"":        "",
		"__%%\\_": `\_\_\%\%\\\_`,
	}
	for in, want := range cases {
		if got := escapeDatabasePattern(in); got != want {
			t.Errorf("escapeDatabasePattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrivilegeOfColumn(t *testing.T) {
	cases := map[string]string{
		"Select_priv":              "SELECT",
		"Create_tmp_table_priv":    "CREATE TEMPORARY TABLES",
		"Lock_tables_priv":         "LOCK TABLES",
		"Show_view_priv":           "SHOW VIEW",
		"Delete_history_priv":      "DELETE HISTORY",
		"Show_create_routine_priv": "SHOW CREATE ROUTINE",
		"Grant_priv":               "",
		"Host":                     "",
		"Db":                       "",
	}
	for col, want := range cases {
		if got := privilegeOfColumn(col); got != want {
			t.Errorf("privilegeOfColumn(%q) = %q, want %q", col, got, want)
		}
	}
}

// parseIdentifier is a reference reader of a backtick-quoted identifier: it
// returns the name the server reads, and false when q is not exactly one
// quoted identifier (a lone backtick inside ends it early).
func parseIdentifier(q string) (string, bool) {
	if len(q) < 2 || q[0] != '`' || q[len(q)-1] != '`' {
		return "", false
	}
	var b strings.Builder
	body := q[1 : len(q)-1]
	for i := 0; i < len(body); i++ {
		if body[i] == '`' {
			if i+1 >= len(body) || body[i+1] != '`' {
				return "", false
			}
			i++
		}
		b.WriteByte(body[i])
	}
	return b.String(), true
}

// parseString is a reference reader of a single-quoted string literal with
// MySQL's escapes (sql_mode without NO_BACKSLASH_ESCAPES): it returns the
// value the server reads, and false when q is not exactly one literal.
func parseString(q string) (string, bool) {
	if len(q) < 2 || q[0] != '\'' {
		return "", false
	}
	escapes := map[byte]string{'0': "\x00", '\'': "'", '"': `"`, 'b': "\b", 'n': "\n", 'r': "\r", 't': "\t", 'Z': "\x1a", '\\': `\`, '%': `\%`, '_': `\_`}
	var b strings.Builder
	for i := 1; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\\':
			if i+1 >= len(q) {
				return "", false
			}
			i++
			if e, ok := escapes[q[i]]; ok {
				b.WriteString(e)
			} else {
				b.WriteByte(q[i])
			}
		case c == '\'' && i+1 < len(q) && q[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == '\'':
			// The literal ends here; anything after it is outside.
			return b.String(), i == len(q)-1
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

func FuzzQuoteIdentifier(f *testing.F) {
	for _, s := range []string{"app", "x`; DROP DATABASE mysql; --", "``", "`", "a'b", "é ｀", "-- c", "/* c */", "a\\`b", "\x00", strings.Repeat("`", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		q, err := quoteIdentifier(name)
		if err != nil {
			if checkName(name, maxIdentifierChars) == nil {
				t.Fatalf("quoteIdentifier(%q) refused a valid name: %v", name, err)
			}
			return
		}
		got, ok := parseIdentifier(q)
		if !ok || got != name {
			t.Fatalf("quoteIdentifier(%q) = %s, which reads back as %q (whole: %t)", name, q, got, ok)
		}
	})
}

func FuzzQuoteString(f *testing.F) {
	for _, s := range []string{"bob", "a'b", `a\'b`, `\`, `\\'`, "'; DROP USER root; --", "é＇", "''", `%_`, "\n\r\x1a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := quoteString(s)
		got, ok := parseString(q)
		if !ok || got != s {
			t.Fatalf("quoteString(%q) = %s, which reads back as %q (whole: %t)", s, q, got, ok)
		}
	})
}

// parsePattern is a reference reader of a database-level grant pattern: it
// returns the literal the pattern stands for, and false when the pattern
// has a wildcard (_ or %) that is not escaped, so would match other names.
func parsePattern(p string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 >= len(p) {
				return "", false
			}
			i++
		case '_', '%':
			return "", false
		}
		b.WriteByte(p[i])
	}
	return b.String(), true
}

func FuzzEscapeDatabasePattern(f *testing.F) {
	for _, s := range []string{"app_1", "50%", `a\b`, `\_`, "%%", "é_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, db string) {
		if !utf8.ValidString(db) {
			return
		}
		p := escapeDatabasePattern(db)
		got, ok := parsePattern(p)
		if !ok || got != db {
			t.Fatalf("escapeDatabasePattern(%q) = %q, which matches %q (no wildcard: %t)", db, p, got, ok)
		}
	})
}
