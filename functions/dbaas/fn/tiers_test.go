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
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the function returns")

// tierFlavors are the flavors the matrix asks for with each tier, so that
// the default flavor and flavors with extensions both appear.
var tierFlavors = map[string]string{
	"dev":      "",
	"standard": "postgis",
	"ha":       "vector",
	"shared":   "vector",
}

// tierXR is the XR of claim team-a/orders asking for a tier in an
// environment, with storage and flavor.
func tierXR(tier, env, flavor string) *structpb.Struct {
	fields := map[string]any{"tier": tier, "environment": env, "storageGB": 20}
	if flavor != "" {
		fields["flavor"] = flavor
	}
	return withSpec(fields)
}

// runTiers runs the function on an XR with the tiers catalog and the given
// observed composed resources.
func runTiers(t testing.TB, c *v1beta1.Catalog, xr *structpb.Struct, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
	t.Helper()
	req := &fnv1.RunFunctionRequest{
		Meta:              &fnv1.RequestMeta{Tag: "hello"},
		Input:             input(),
		RequiredResources: required(c),
		Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("f.RunFunction(...): %v", err)
	}
	return rsp
}

// TestComposeTiers composes every tier in every environment of the tiers
// catalog and diffs the whole response with testdata/compose/<tier>-<env>.yaml:
// what is composed where a tier is allowed, the Fatal where it is not. Run
// with -update to rewrite the files, then read their diff.
func TestComposeTiers(t *testing.T) {
	c := tiersCatalog()
	for _, tier := range c.Tiers {
		for _, env := range c.Environments {
			name := tier.Name + "-" + env.Name
			t.Run(name, func(t *testing.T) {
				rsp := runTiers(t, tiersCatalog(), tierXR(tier.Name, env.Name, tierFlavors[tier.Name]), nil)
				golden(t, filepath.Join("testdata", "compose", name+".yaml"), rsp)
			})
		}
	}
}

// golden diffs a response with a golden file, or rewrites the file with
// -update. The files are YAML for reading; they are compared as protobuf
// messages, so that formatting never matters.
func golden(t *testing.T, file string, got *fnv1.RunFunctionResponse) {
	t.Helper()
	if *update {
		j, err := protojson.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		y, err := yaml.JSONToYAML(j)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, y, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	y, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		t.Fatalf("%v: run the test with -update to write it", err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	want := &fnv1.RunFunctionResponse{}
	if err := protojson.Unmarshal(j, want); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("f.RunFunction(...): -want %s, +got:\n%s", file, diff)
	}
}
