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

// A benchCase is one composition the benchmarks ask for, with the number of
// desired resources that shows the call composed it.
type benchCase struct {
	req  *fnv1.RunFunctionRequest
	want int
}

// benchCases are, as Crossplane sends them on every reconcile of a claim, the
// local dev database of the shipped Composition's catalog, and the ha
// database of a cloud environment: three machines, the instance, the firewall
// rule, the user, the database and the backup schedule.
func benchCases(b *testing.B) map[string]benchCase {
	b.Helper()
	return map[string]benchCase{
		"dev-local": {
			req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             shippedInput(b),
				RequiredResources: shippedCatalog(b),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
			},
			want: 4,
		},
		"ha-gcp": {
			req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(tiersCatalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: tierXR("ha", "gcp", "vector")}},
			},
			want: 8,
		},
	}
}

// checkComposed fails the benchmark when a response did not compose the
// case, so that a fast Fatal result is never measured as a fast composition.
func checkComposed(b *testing.B, bc benchCase, rsp *fnv1.RunFunctionResponse) {
	if n := len(rsp.GetDesired().GetResources()); n != bc.want {
		b.Fatalf("want %d desired resources, got %d: %v", bc.want, n, rsp.GetResults())
	}
}

// BenchmarkRunFunction calls the function in-process, without gRPC.
func BenchmarkRunFunction(b *testing.B) {
	for name, bc := range benchCases(b) {
		b.Run(name, func(b *testing.B) {
			f := NewFunction(logging.NewNopLogger())
			b.ReportAllocs()
			for b.Loop() {
				rsp, err := f.RunFunction(context.Background(), bc.req)
				if err != nil {
					b.Fatal(err)
				}
				checkComposed(b, bc, rsp)
			}
		})
	}
}
