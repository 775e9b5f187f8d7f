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
	"strings"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// find returns the entry of a catalog list with the given name. Catalog lists
// are keyed by name, so there is at most one.
func find[T any](entries []T, name func(T) string, want string) (T, bool) {
	for _, e := range entries {
		if name(e) == want {
			return e, true
		}
	}
	var zero T
	return zero, false
}

// accepted lists the names of a catalog list sorted, so that the message a
// claim author reads does not depend on the order of the catalog.
func accepted[T any](entries []T, name func(T) string) string {
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, name(e))
	}
	return acceptedOf(names)
}

func acceptedOf(names []string) string {
	if len(names) == 0 {
		return "none: the catalog offers nothing"
	}
	s := slices.Clone(names)
	slices.Sort(s)
	return strings.Join(s, ", ")
}

func engineName(e v1beta1.Engine) string           { return e.Name }
func tierName(t v1beta1.Tier) string               { return t.Name }
func skuName(s v1beta1.SKU) string                 { return s.Name }
func environmentName(e v1beta1.Environment) string { return e.Name }
func flavorName(f v1beta1.Flavor) string           { return f.Name }
