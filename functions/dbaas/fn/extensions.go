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
	"slices"

	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
)

// engineExtensions are the extensions a flavor of each engine may create in a
// team's database. An engine without an entry allows none.
//
// PostgreSQL's is the provider's own allow-list (package
// internal/engine/pgextensions, which a test keeps equal to the CRDs' CEL),
// over every major version it has one for: a flavor names no version, and
// the provider checks the instance's own.
var engineExtensions = map[string][]string{
	"postgresql": postgresqlExtensions(),
}

func postgresqlExtensions() []string {
	var all []string
	for _, v := range pgextensions.Versions() {
		for _, n := range pgextensions.Names(v) {
			if !slices.Contains(all, n) {
				all = append(all, n)
			}
		}
	}
	slices.Sort(all)
	return all
}
