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
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// unmarshalerType is implemented by types that decode JSON by rules of their
// own, such as quantities and times.
var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// strictProblems compares a value decoded from JSON with the Go type it is to
// be decoded into, and reports every field the type does not have and every
// value of the wrong JSON type, each at its path. encoding/json stops at the
// first problem and names no path for an unknown field; a platform team
// fixing its catalog should see them all, each where it is, with what is
// accepted there.
func strictProblems(v any, t reflect.Type, p *field.Path) field.ErrorList {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// A null leaves any field unset, as the API server's pruning would.
	if v == nil {
		return nil
	}
	// Such types say what they accept when they are decoded.
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}

	switch t.Kind() { //nolint:exhaustive // The catalog's types hold no other kinds.
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return wrongType(p, v, "an object")
		}
		fields := jsonFields(t)
		var errs field.ErrorList
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft, ok := fields[k]
			if !ok {
				errs = append(errs, field.Forbidden(p.Child(k),
					"unknown field: accepted fields are "+strings.Join(slices.Sorted(maps.Keys(fields)), ", ")))
				continue
			}
			errs = append(errs, strictProblems(m[k], ft, p.Child(k))...)
		}
		return errs
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return wrongType(p, v, "an object")
		}
		var errs field.ErrorList
		for _, k := range slices.Sorted(maps.Keys(m)) {
			errs = append(errs, strictProblems(m[k], t.Elem(), p.Key(k))...)
		}
		return errs
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return wrongType(p, v, "a list")
		}
		var errs field.ErrorList
		for i, e := range l {
			errs = append(errs, strictProblems(e, t.Elem(), p.Index(i))...)
		}
		return errs
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrongType(p, v, "a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrongType(p, v, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !isInteger(v, t) {
			return wrongType(p, v, fmt.Sprintf("an integer from %d to %d", minInt(t), maxInt(t)))
		}
	case reflect.Float32, reflect.Float64:
		switch v.(type) {
		case int64, float64, json.Number:
		default:
			return wrongType(p, v, "a number")
		}
	}
	return nil
}

// jsonFields returns the fields of a struct by their JSON names, with the
// fields of embedded structs inlined as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				maps.Copy(out, jsonFields(ft))
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// isInteger reports whether a decoded JSON number fits an integer type.
func isInteger(v any, t reflect.Type) bool {
	var f float64
	switch n := v.(type) {
	case int64:
		f = float64(n)
	case float64:
		f = n
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return false
		}
		f = float64(i)
	default:
		return false
	}
	return f == math.Trunc(f) && f >= float64(minInt(t)) && f <= float64(maxInt(t))
}

func minInt(t reflect.Type) int64 { return -1 << (t.Bits() - 1) }
func maxInt(t reflect.Type) int64 { return 1<<(t.Bits()-1) - 1 }

// wrongType reports a value of the wrong JSON type. Objects and lists are
// described, not printed: Go's rendering of them would not help.
func wrongType(p *field.Path, v any, want string) field.ErrorList {
	detail := "wrong type: want " + want
	switch v.(type) {
	case map[string]any:
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, detail+", got an object")}
	case []any:
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, detail+", got a list")}
	default:
		return field.ErrorList{field.Invalid(p, v, detail)}
	}
}
