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
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// maxIdentifier is the length of sysname, nvarchar(128), in UTF-16 code
// units. A longer name would not fit the catalog (and QUOTENAME returns NULL
// for one).
const maxIdentifier = 128

const (
	errEmptyName     = "name must not be empty"
	errLongName      = "name must be at most 128 UTF-16 code units"
	errNULName       = "name must not contain NUL"
	errInvalidUTF8   = "name must be valid UTF-8"
	errTrailingSpace = "name must not end with a space: SQL Server ignores trailing spaces when it compares names"
)

// validName returns an error when the server would not store name as given,
// or would not tell it apart from another name.
func validName(name string) error {
	switch {
	case name == "":
		return errors.New(errEmptyName)
	case strings.IndexByte(name, 0) >= 0:
		return errors.New(errNULName)
	case !utf8.ValidString(name):
		// The driver sends UTF-16; an invalid byte would become U+FFFD.
		return errors.New(errInvalidUTF8)
	case utf16Len(name) > maxIdentifier:
		return errors.New(errLongName)
	case strings.HasSuffix(name, " "):
		return errors.New(errTrailingSpace)
	}
	return nil
}

// quote returns name as a bracket-quoted identifier: inside brackets every
// character is literal except ], which is written twice. This is what
// QUOTENAME does on the server.
func quote(name string) (string, error) {
	if err := validName(name); err != nil {
		return "", err
	}
	return "[" + strings.ReplaceAll(name, "]", "]]") + "]", nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

const (
	errProcName = "procedure name %q must be name or schema.name"
	errArgName  = "input name %q must start with a letter and hold only letters, digits and _ (at most 127)"
)

// quoteProcedure quotes a procedure's name, optionally schema-qualified, one
// part at a time. The result has no space or quote outside the brackets,
// which is what the driver looks for to send it as a procedure call (RPC)
// rather than as SQL text.
func quoteProcedure(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", errors.Errorf(errProcName, name)
	}
	quoted := make([]string, len(parts))
	for i, p := range parts {
		q, err := quote(p)
		if err != nil {
			return "", errors.Wrapf(err, errProcName, name)
		}
		quoted[i] = q
	}
	return strings.Join(quoted, "."), nil
}

// argName checks a procedure input's name and returns it without the @ it
// may start with; the driver adds the @. The name travels in the RPC's
// parameter list, not in SQL text, but database/sql takes only names that
// start with a letter, and SQL Server only identifiers.
func argName(name string) (string, error) {
	n := strings.TrimPrefix(name, "@")
	if n == "" || utf16Len(n) > maxIdentifier-1 {
		return "", errors.Errorf(errArgName, name)
	}
	for i, r := range n {
		switch {
		case unicode.IsLetter(r):
		case i > 0 && (unicode.IsDigit(r) || r == '_'):
		default:
			return "", errors.Errorf(errArgName, name)
		}
	}
	return n, nil
}
