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
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// configsOf returns EnvironmentConfigs as core sends them, from JSON.
func configsOf(docs ...string) []*fnv1.Resource {
	out := make([]*fnv1.Resource, 0, len(docs))
	for _, d := range docs {
		out = append(out, &fnv1.Resource{Resource: resource.MustStructJSON(d)})
	}
	return out
}

func TestKeyOf(t *testing.T) {
	cases := map[string]struct {
		reason string
		a, b   []*fnv1.Resource
		same   bool
	}{
		"SameConfigs": {
			reason: "The same EnvironmentConfigs, decoded from the wire twice, should have one key, whatever order their maps iterate in.",
			a:      configsOf(`{"metadata": {"name": "a", "resourceVersion": "7"}, "data": {"skus": [{"name": "small", "cpu": 1}, {"name": "big", "cpu": 8}]}}`),
			b:      configsOf(`{"data": {"skus": [{"cpu": 1, "name": "small"}, {"cpu": 8, "name": "big"}]}, "metadata": {"resourceVersion": "7", "name": "a"}}`),
			same:   true,
		},
		"ResourceVersion": {
			reason: "An EnvironmentConfig written again has another resourceVersion, and should have another key.",
			a:      configsOf(`{"metadata": {"name": "a", "resourceVersion": "7"}, "data": {}}`),
			b:      configsOf(`{"metadata": {"name": "a", "resourceVersion": "8"}, "data": {}}`),
		},
		"Value": {
			reason: "A changed value should change the key.",
			a:      configsOf(`{"data": {"skus": [{"name": "small", "cpu": 1}]}}`),
			b:      configsOf(`{"data": {"skus": [{"name": "small", "cpu": 2}]}}`),
		},
		"StringOrNumber": {
			reason: "A string and the number it spells are different values.",
			a:      configsOf(`{"data": {"cpu": 1}}`),
			b:      configsOf(`{"data": {"cpu": "1"}}`),
		},
		"NullOrMissing": {
			reason: "A field set to null is not a field left out.",
			a:      configsOf(`{"data": {"cpu": null}}`),
			b:      configsOf(`{"data": {}}`),
		},
		"KeyAndValueBoundary": {
			reason: "Moving characters from a key into its value should change the key.",
			a:      configsOf(`{"ab": "c"}`),
			b:      configsOf(`{"a": "bc"}`),
		},
		"ListBoundary": {
			reason: "One list of two is not two lists of one.",
			a:      configsOf(`{"l": [["x", "y"]]}`),
			b:      configsOf(`{"l": [["x"], ["y"]]}`),
		},
		"ConfigBoundary": {
			reason: "A field of one config is not a field of the next.",
			a:      configsOf(`{"a": 1, "b": 2}`, `{}`),
			b:      configsOf(`{"a": 1}`, `{"b": 2}`),
		},
		"ConfigOrder": {
			reason: "Configs in another order have another key: they decode alike, at the cost of one more decode.",
			a:      configsOf(`{"metadata": {"name": "a"}}`, `{"metadata": {"name": "b"}}`),
			b:      configsOf(`{"metadata": {"name": "b"}}`, `{"metadata": {"name": "a"}}`),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if same := keyOf(tc.a) == keyOf(tc.b); same != tc.same {
				t.Errorf("%s\nkeyOf(a) == keyOf(b): want %t, got %t", tc.reason, tc.same, same)
			}
		})
	}
}

// cheaperSmall is the tests' catalog with its small SKU given two CPUs.
func cheaperSmall() *v1beta1.Catalog {
	c := catalog()
	c.SKUs[0].CPU = 2
	return c
}

// malformed is the tests' catalog with a tier of an unknown topology.
func malformed() *v1beta1.Catalog {
	c := catalog()
	c.Tiers[0].Topology = "ring"
	return c
}

// catalogRequest asks to compose the XR of claim team-a/orders from a
// catalog.
func catalogRequest(c *v1beta1.Catalog, xr *structpb.Struct) *fnv1.RunFunctionRequest {
	return &fnv1.RunFunctionRequest{
		Meta:              &fnv1.RequestMeta{Tag: "hello"},
		Input:             input(),
		RequiredResources: required(c),
		Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: xr}},
	}
}

// uncached is what a function that never saw a request before returns.
func uncached(t *testing.T, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction(...): %v", err)
	}
	return rsp
}

func TestCatalogCacheSeesChanges(t *testing.T) {
	dev := resource.MustStructJSON(xr)
	other := withSpec(map[string]any{"sku": "medium"})
	other.GetFields()["metadata"].GetStructValue().GetFields()["labels"].GetStructValue().Fields[labelClaimNamespace] = structpb.NewStringValue("team-b")

	// One function serves every call, as one function process serves
	// every composite resource of every namespace.
	f := NewFunction(logging.NewNopLogger())
	calls := []struct {
		reason string
		req    *fnv1.RunFunctionRequest
	}{
		{"the first call decodes the catalog", catalogRequest(catalog(), dev)},
		{"a call with the same catalog, from another namespace, uses it", catalogRequest(catalog(), other)},
		{"a changed catalog is used on the next call", catalogRequest(cheaperSmall(), dev)},
		{"a catalog changed into a malformed one is fatal", catalogRequest(malformed(), dev)},
		{"a malformed catalog seen before is fatal again", catalogRequest(malformed(), other)},
		{"the first catalog, back, is used", catalogRequest(catalog(), dev)},
	}
	var responses []*fnv1.RunFunctionResponse
	for _, c := range calls {
		got, err := f.RunFunction(context.Background(), c.req)
		if err != nil {
			t.Fatalf("%s: RunFunction(...): %v", c.reason, err)
		}
		if diff := cmp.Diff(uncached(t, c.req), got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: want the response of a function that never decoded a catalog, -want +got:\n%s", c.reason, diff)
		}
		responses = append(responses, got)
	}
	// The changed catalogs must change what is composed, or the
	// comparisons above would hold of a cache that never saw a change.
	if cmp.Diff(responses[0], responses[2], protocmp.Transform()) == "" {
		t.Error("a catalog whose small SKU has two CPUs should compose another machine than the catalog with one")
	}
	if len(responses[3].GetResults()) != 1 || responses[3].GetResults()[0].GetSeverity() != fnv1.Severity_SEVERITY_FATAL {
		t.Errorf("a malformed catalog should be one fatal result, got %v", responses[3].GetResults())
	}
}

func TestCatalogCacheReturnsCopies(t *testing.T) {
	cases := map[string]struct {
		reason  string
		catalog *v1beta1.Catalog
	}{
		"Catalog": {
			reason:  "A caller that changes the catalog it got should not change what the next caller gets.",
			catalog: tiersCatalog(),
		},
		"Problems": {
			reason:  "A caller that changes the problems it got should not change what the next caller gets.",
			catalog: malformed(),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := catalogRequest(tc.catalog, resource.MustStructJSON(xr))
			configs, _, err := request.GetRequiredResource(req, requiredCatalog)
			if err != nil {
				t.Fatal(err)
			}
			wantCatalog, from, wantProblems := decodeCatalog(configs)
			wantProblems = append(wantProblems, checkCatalog(wantCatalog, from)...)

			c := newCatalogCache(catalogCacheSize)
			// The first call decodes and keeps the catalog, the second
			// takes it from the cache: both must be the caller's own.
			for i := range 2 {
				got, problems, err := c.decode(req)
				if err != nil {
					t.Fatalf("call %d: decode(...): %v", i, err)
				}
				mutate(got)
				for j := range problems {
					problems[j] = "changed by a caller"
				}
			}
			got, problems, err := c.decode(req)
			if err != nil {
				t.Fatalf("decode(...): %v", err)
			}
			if diff := cmp.Diff(wantCatalog, got); diff != "" {
				t.Errorf("%s\ncatalog: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(wantProblems, problems); diff != "" {
				t.Errorf("%s\nproblems: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// mutate changes a catalog at every depth a composition reads it: lists,
// entries, the lists of entries, and the values behind pointers.
func mutate(c *v1beta1.Catalog) {
	c.Engines[0].Versions[0] = "changed"
	c.Tiers[0].Members = 42
	for i := range c.Tiers {
		if c.Tiers[i].Backup != nil {
			c.Tiers[i].Backup.RetentionDays = 99
		}
	}
	for i := range c.SKUs {
		if c.SKUs[i].MaxConnections != nil {
			*c.SKUs[i].MaxConnections = 1
		}
	}
	for i := range c.Flavors {
		for j := range c.Flavors[i].Extensions {
			c.Flavors[i].Extensions[j] = "changed"
		}
	}
	c.Environments[0].Name = "changed"
	c.SKUs = append(c.SKUs, v1beta1.SKU{Name: "added"})
}

func TestCatalogCacheIsBounded(t *testing.T) {
	c := newCatalogCache(2)
	for i, cat := range []*v1beta1.Catalog{catalog(), cheaperSmall(), malformed(), catalog()} {
		if _, _, err := c.decode(catalogRequest(cat, resource.MustStructJSON(xr))); err != nil {
			t.Fatalf("call %d: decode(...): %v", i, err)
		}
		if n := c.decoded.Len(); n > 2 {
			t.Fatalf("call %d: a cache of 2 holds %d catalogs", i, n)
		}
	}
}

func TestCatalogCacheConcurrentCalls(t *testing.T) {
	// A cache of one, so that concurrent calls with two catalogs evict
	// each other's all the time; run with -race to see the locking.
	f := &Function{log: logging.NewNopLogger(), catalogs: newCatalogCache(1)}
	reqs := []*fnv1.RunFunctionRequest{
		catalogRequest(catalog(), resource.MustStructJSON(xr)),
		catalogRequest(cheaperSmall(), resource.MustStructJSON(xr)),
	}
	want := []*fnv1.RunFunctionResponse{uncached(t, reqs[0]), uncached(t, reqs[1])}

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				which := (g + i) % len(reqs)
				got, err := f.RunFunction(context.Background(), reqs[which])
				if err != nil {
					t.Errorf("RunFunction(...): %v", err)
					return
				}
				if diff := cmp.Diff(want[which], got, protocmp.Transform()); diff != "" {
					t.Errorf("goroutine %d, call %d, catalog %d: -want +got:\n%s", g, i, which, diff)
					return
				}
			}
		})
	}
	wg.Wait()
}
