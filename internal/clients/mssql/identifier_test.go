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
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestQuote(t *testing.T) {
	type want struct {
		Q   string
		Err bool
	}
	cases := map[string]struct {
		reason string
		name   string
		want   want
	}{
		"Plain":         {reason: "A plain name is bracketed", name: "app", want: want{Q: "[app]"}},
		"Injection":     {reason: "A closing bracket is doubled, so the name cannot end the identifier", name: "x]; DROP DATABASE master; --", want: want{Q: "[x]]; DROP DATABASE master; --]"}},
		"Brackets":      {reason: "Only ] is special inside brackets", name: "[a]]b]", want: want{Q: "[[a]]]]b]]]"}},
		"Quotes":        {reason: "Quotes are ordinary characters inside brackets", name: `o'k"`, want: want{Q: `[o'k"]`}},
		"Newline":       {reason: "So are newlines", name: "a\nb", want: want{Q: "[a\nb]"}},
		"LeadingSpace":  {reason: "A leading space is kept and compared", name: " a", want: want{Q: "[ a]"}},
		"TrailingSpace": {reason: "Trailing spaces are ignored in comparisons, so the name would match another", name: "a ", want: want{Err: true}},
		"Empty":         {reason: "An empty name is refused", name: "", want: want{Err: true}},
		"NUL":           {reason: "NUL is refused", name: "a\x00b", want: want{Err: true}},
		"BadUTF8":       {reason: "Invalid UTF-8 would reach the server as U+FFFD", name: "a\xffb", want: want{Err: true}},
		"Max":           {reason: "128 characters fit sysname", name: strings.Repeat("a", 128), want: want{Q: "[" + strings.Repeat("a", 128) + "]"}},
		"Long":          {reason: "129 do not", name: strings.Repeat("a", 129), want: want{Err: true}},
		"MaxAstral":     {reason: "The limit is in UTF-16 code units: 64 emoji are 128", name: strings.Repeat("😀", 64), want: want{Q: "[" + strings.Repeat("😀", 64) + "]"}},
		"LongAstral":    {reason: "65 emoji are 130 code units", name: strings.Repeat("😀", 65), want: want{Err: true}},
		"MultiByte":     {reason: "128 two-byte characters are 128 code units", name: strings.Repeat("é", 128), want: want{Q: "[" + strings.Repeat("é", 128) + "]"}},
		"FullWidth":     {reason: "Look-alike brackets are ordinary characters", name: "a\uff3db", want: want{Q: "[a\uff3db]"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, err := quote(tc.name)
			if diff := cmp.Diff(tc.want, want{Q: q, Err: err != nil}); diff != "" {
				t.Errorf("%s\nquote(%q): -want, +got:\n%s", tc.reason, tc.name, diff)
			}
		})
	}
}

func TestQuoteProcedure(t *testing.T) {
	type want struct {
		Q   string
		Err bool
	}
	cases := map[string]struct {
		reason string
		name   string
		want   want
	}{
		"Name":       {reason: "One part is bracketed", name: "create_database", want: want{Q: "[create_database]"}},
		"Schema":     {reason: "Each part is bracketed", name: "dba.create_database", want: want{Q: "[dba].[create_database]"}},
		"Injection":  {reason: "A ] in a part is doubled", name: "dba.x]; DROP DATABASE master; --", want: want{Q: "[dba].[x]]; DROP DATABASE master; --]"}},
		"Spaces":     {reason: "Spaces are kept inside the brackets", name: "my schema.my proc", want: want{Q: "[my schema].[my proc]"}},
		"ThreeParts": {reason: "A database-qualified name is refused: procedures run in the connected database", name: "db.dba.p", want: want{Err: true}},
		"EmptyPart":  {reason: "An empty part is refused", name: "dba.", want: want{Err: true}},
		"Empty":      {reason: "An empty name is refused", name: "", want: want{Err: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, err := quoteProcedure(tc.name)
			if diff := cmp.Diff(tc.want, want{Q: q, Err: err != nil}); diff != "" {
				t.Errorf("%s\nquoteProcedure(%q): -want, +got:\n%s", tc.reason, tc.name, diff)
			}
		})
	}
}

func TestArgName(t *testing.T) {
	type want struct {
		Name string
		Err  bool
	}
	cases := map[string]struct {
		reason string
		name   string
		want   want
	}{
		"Plain":      {reason: "A plain name is kept", name: "input", want: want{Name: "input"}},
		"At":         {reason: "A leading @ is dropped; the driver adds it", name: "@input", want: want{Name: "input"}},
		"Digits":     {reason: "Digits and _ may follow the first letter", name: "in_put2", want: want{Name: "in_put2"}},
		"Unicode":    {reason: "Letters are not only ASCII", name: "größe", want: want{Name: "größe"}},
		"Empty":      {reason: "An empty name is refused", name: "", want: want{Err: true}},
		"OnlyAt":     {reason: "@ alone is empty", name: "@", want: want{Err: true}},
		"DoubleAt":   {reason: "@@ names a system function", name: "@@version", want: want{Err: true}},
		"Digit":      {reason: "database/sql refuses a name that does not start with a letter", name: "1a", want: want{Err: true}},
		"Underscore": {reason: "So is a leading _", name: "_a", want: want{Err: true}},
		"Space":      {reason: "A space is refused", name: "a b", want: want{Err: true}},
		"Injection":  {reason: "So is anything but letters, digits and _", name: "a=1; --", want: want{Err: true}},
		"Max":        {reason: "127 characters and the @ fit sysname", name: strings.Repeat("a", 127), want: want{Name: strings.Repeat("a", 127)}},
		"Long":       {reason: "128 do not", name: strings.Repeat("a", 128), want: want{Err: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n, err := argName(tc.name)
			if diff := cmp.Diff(tc.want, want{Name: n, Err: err != nil}); diff != "" {
				t.Errorf("%s\nargName(%q): -want, +got:\n%s", tc.reason, tc.name, diff)
			}
		})
	}
}

// unquote is a reference reader of bracket-quoted identifiers, written from
// the T-SQL rule rather than from quote: the text is [, then any characters
// with ] written as ]], then ]. ok is false for anything else, such as a
// single ] before the end.
func unquote(q string) (name string, ok bool) {
	if len(q) < 2 || q[0] != '[' || q[len(q)-1] != ']' {
		return "", false
	}
	var b strings.Builder
	body := q[1 : len(q)-1]
	for i := 0; i < len(body); i++ {
		if body[i] != ']' {
			b.WriteByte(body[i])
			continue
		}
		if i+1 >= len(body) || body[i+1] != ']' {
			return "", false // a ] that would end the identifier early
		}
		b.WriteByte(']')
		i++
	}
	return b.String(), true
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"app", "x]; DROP DATABASE master; --", "]", "]]", "[", "a ", "", "a\x00", "\xff", strings.Repeat("😀", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		q, err := quote(name)
		if err != nil {
			if validName(name) == nil {
				t.Fatalf("quote(%q) refused a valid name: %v", name, err)
			}
			return
		}
		if !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 || name == "" {
			t.Fatalf("quote(%q) accepted a name the server would not store as given", name)
		}
		got, ok := unquote(q)
		if !ok {
			t.Fatalf("quote(%q) = %q, which is not one bracket-quoted identifier", name, q)
		}
		if got != name {
			t.Fatalf("quote(%q) = %q, which reads back as %q", name, q, got)
		}
		if n := strings.Count(q, "]"); n != 2*strings.Count(name, "]")+1 {
			t.Fatalf("quote(%q) = %q has %d ], want every ] of the name doubled and one to close", name, q, n)
		}
	})
}

// procName is the shape go-mssqldb sends as an RPC rather than as SQL
// text (see isProc in its mssql.go): within brackets anything goes, with ]
// doubled; outside them there is nothing but the dot between parts. The
// driver treats a query with a space, quote, semicolon or newline outside
// brackets as SQL text.
var procName = regexp.MustCompile(`^\[(?:[^\]]|\]\])*\](?:\.\[(?:[^\]]|\]\])*\])?$`)

func FuzzQuoteProcedure(f *testing.F) {
	for _, s := range []string{"p", "dba.p", "a.b.c", "x]; DROP DATABASE master; --", "dba.[p]", "a b.c d", "'.;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		q, err := quoteProcedure(name)
		if err != nil {
			return
		}
		if !procName.MatchString(q) {
			t.Fatalf("quoteProcedure(%q) = %q, which the driver would not send as a procedure name", name, q)
		}
		parts := strings.Split(name, ".")
		// Read the parts back one at a time.
		var got []string
		rest := q
		for rest != "" {
			end := closing(rest)
			part, ok := unquote(rest[:end+1])
			if !ok {
				t.Fatalf("quoteProcedure(%q) = %q: part %q is not bracket-quoted", name, q, rest[:end+1])
			}
			got = append(got, part)
			rest = strings.TrimPrefix(rest[end+1:], ".")
		}
		if diff := cmp.Diff(parts, got); diff != "" {
			t.Fatalf("quoteProcedure(%q) = %q reads back as other parts: -want, +got:\n%s", name, q, diff)
		}
	})
}

// closing returns the index of the ] that ends the bracket-quoted
// identifier at the start of q.
func closing(q string) int {
	for i := 1; i < len(q); i++ {
		if q[i] != ']' {
			continue
		}
		if i+1 < len(q) && q[i+1] == ']' {
			i++
			continue
		}
		return i
	}
	return len(q) - 1
}
