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
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// The catalog's lists as an EnvironmentConfig's data holds them, in the order
// they are decoded and their problems reported.
const (
	listEngines      = "engines"
	listTiers        = "tiers"
	listSKUs         = "skus"
	listFlavors      = "flavors"
	listEnvironments = "environments"
)

var catalogLists = []string{listEngines, listTiers, listSKUs, listFlavors, listEnvironments}

// origins says which EnvironmentConfig each entry of the merged catalog came
// from, so that a problem found after merging names where to fix it.
type origins map[string]string

func (o origins) of(list, name string) string   { return o[list+"/"+name] }
func (o origins) set(list, name, config string) { o[list+"/"+name] = config }

// A catalogProblem is one problem of a catalog, in the EnvironmentConfig
// that holds it.
func catalogProblem(config string, err *field.Error) string {
	return "EnvironmentConfig " + config + ": " + err.Error()
}

// decodeCatalog merges the lists of every EnvironmentConfig of a catalog into
// one typed Catalog, and returns every problem of its entries: fields the
// catalog does not have, values of the wrong type, and names defined twice.
// Entries that cannot be decoded, and second entries of a name, are left out.
// EnvironmentConfigs are merged in the order of their names, so that the
// result does not depend on the order core lists them in.
func decodeCatalog(configs []resource.Required) (*v1beta1.Catalog, origins, []string) {
	sorted := slices.SortedFunc(slices.Values(configs), func(a, b resource.Required) int {
		return strings.Compare(a.Resource.GetName(), b.Resource.GetName())
	})

	c := &v1beta1.Catalog{}
	from := origins{}
	var problems []string
	for _, ec := range sorted {
		d := &catalogDecoder{config: ec.Resource.GetName(), from: from}
		data, _ := ec.Resource.Object["data"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(data)) {
			if !slices.Contains(catalogLists, k) {
				d.report(field.Forbidden(field.NewPath("data", k),
					"unknown field: accepted fields are "+strings.Join(slices.Sorted(slices.Values(catalogLists)), ", ")))
			}
		}
		c.Engines = append(c.Engines, decodeList(d, data, listEngines, func(e v1beta1.Engine) string { return e.Name })...)
		c.Tiers = append(c.Tiers, decodeList(d, data, listTiers, func(t v1beta1.Tier) string { return t.Name })...)
		c.SKUs = append(c.SKUs, decodeList(d, data, listSKUs, func(s v1beta1.SKU) string { return s.Name })...)
		c.Flavors = append(c.Flavors, decodeList(d, data, listFlavors, func(f v1beta1.Flavor) string { return f.Name })...)
		c.Environments = append(c.Environments, decodeList(d, data, listEnvironments, func(e v1beta1.Environment) string { return e.Name })...)
		problems = append(problems, d.problems...)
	}
	return c, from, problems
}

// A catalogDecoder decodes the lists of one EnvironmentConfig.
type catalogDecoder struct {
	config   string
	from     origins
	problems []string
}

func (d *catalogDecoder) report(errs ...*field.Error) {
	for _, err := range errs {
		d.problems = append(d.problems, catalogProblem(d.config, err))
	}
}

// decodeList decodes one list of an EnvironmentConfig's data strictly, entry
// by entry, and returns the entries that decode and whose names no earlier
// entry of the catalog took.
func decodeList[T any](d *catalogDecoder, data map[string]any, list string, name func(T) string) []T {
	raw, ok := data[list]
	if !ok || raw == nil {
		return nil
	}
	p := field.NewPath("data", list)
	entries, ok := raw.([]any)
	if !ok {
		d.report(wrongType(p, raw, "a list of "+list)...)
		return nil
	}

	var out []T
	for i, e := range entries {
		ep := entryPath(p, i, e)
		errs := strictProblems(e, reflect.TypeFor[T](), ep)
		d.report(errs...)
		// An entry with only unknown fields still decodes; keeping it keeps
		// the entries that refer to it from reporting it as missing.
		var entry T
		if err := decodeEntry(e, &entry); err != nil {
			if len(errs) == 0 {
				d.report(field.Invalid(ep, field.OmitValueType{}, err.Error()))
			}
			continue
		}
		n := name(entry)
		if n == "" {
			d.report(field.Required(ep.Child("name"), "every entry of "+list+" needs a name, which Databases use to choose it"))
			continue
		}
		if first := d.from.of(list, n); first != "" {
			dup := field.Duplicate(ep, n)
			dup.Detail = "also defined in EnvironmentConfig " + first + ": a name may appear once in the catalog's " + list
			if first == d.config {
				dup.Detail = "defined twice in this EnvironmentConfig's " + list + ": a name may appear once in the catalog's " + list
			}
			d.report(dup)
			continue
		}
		d.from.set(list, n, d.config)
		out = append(out, entry)
	}
	return out
}

// entryPath names a list's entry by its name when it has one, as a platform
// team knows its entries, and by its index otherwise.
func entryPath(list *field.Path, i int, entry any) *field.Path {
	if m, ok := entry.(map[string]any); ok {
		if n, ok := m["name"].(string); ok && n != "" {
			return list.Key(n)
		}
	}
	return list.Index(i)
}

// decodeEntry decodes an entry of a list, as JSON, into its type.
func decodeEntry(entry any, into any) error {
	b, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}
