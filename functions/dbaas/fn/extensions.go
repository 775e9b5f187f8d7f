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

// engineExtensions are the extensions a flavor of each engine may create in a
// team's database. An engine without an entry allows none.
//
// The list of postgresql must match the CEL allow-list of the sql Database's
// spec.forProvider.extensions (apis/sql/v1alpha1/database_types.go): a flavor
// the catalog accepted would otherwise compose a Database the API server
// refuses. It is to be replaced by package internal/engine/pgextensions, the
// one list both use.
var engineExtensions = map[string][]string{
	"postgresql": {
		"btree_gin", "btree_gist", "citext", "cube", "earthdistance", "fuzzystrmatch",
		"hstore", "intarray", "isn", "ltree", "pg_stat_statements", "pg_trgm", "pgcrypto",
		"postgis", "postgis_topology", "tablefunc", "unaccent", "uuid-ossp", "vector",
	},
}
