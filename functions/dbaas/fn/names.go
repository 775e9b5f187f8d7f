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

package fn

import (
	"strings"
)

// PostgreSQL truncates identifiers longer than 63 bytes (NAMEDATALEN-1);
// keeping names within that avoids two claims silently sharing a name.
const maxIdentifierLength = 63

// roleSuffix marks the application role of a database.
const roleSuffix = "_app"

// databaseName returns the name of the database a claim gets: the one it asks
// for, else one derived from the claim's name.
func databaseName(s spec, claimName string) string {
	if s.DatabaseName != "" {
		return s.DatabaseName
	}
	return identifier(claimName)
}

// identifier turns a Kubernetes name into a valid unquoted PostgreSQL
// identifier: lower case letters, digits and underscores, not starting with a
// digit, at most 63 characters. Kubernetes names may hold '-' and '.', which
// PostgreSQL would need quoted; '-' becomes '_' so that words stay apart.
func identifier(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r == '-':
			b.WriteByte('_')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		}
	}
	id := b.String()
	if id == "" || (id[0] >= '0' && id[0] <= '9') {
		id = "db_" + id
	}
	return truncate(id, maxIdentifierLength)
}

// roleName is the name of a database's application role. It is derived from
// the database's name so an operator can tell which role belongs to which
// database, and stays within 63 characters.
func roleName(database string) string {
	return truncate(database, maxIdentifierLength-len(roleSuffix)) + roleSuffix
}

// truncate is safe to cut at a byte: identifiers are ASCII.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
