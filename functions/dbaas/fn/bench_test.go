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
	"context"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// BenchmarkRunFunction composes the local dev database of the shipped
// catalog, as Crossplane does on every reconcile of a claim.
func BenchmarkRunFunction(b *testing.B) {
	f := NewFunction(logging.NewNopLogger())
	req := &fnv1.RunFunctionRequest{
		Meta:              &fnv1.RequestMeta{Tag: "hello"},
		Input:             shippedInput(b),
		RequiredResources: shippedCatalog(b),
		Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
	}

	b.ReportAllocs()
	for b.Loop() {
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(rsp.GetDesired().GetResources()); n != len(composedNames) {
			b.Fatalf("want %d desired resources, got %d: %v", len(composedNames), n, rsp.GetResults())
		}
	}
}
