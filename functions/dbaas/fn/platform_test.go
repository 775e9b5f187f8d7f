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
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	extinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	apiextv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	apiextv1beta1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1beta1"
	apiextv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// The platform's shipped files, relative to this package: the Crossplane v2
// API and the claim path's.
const (
	compositionFile       = "../../../apis/platform/composition.yaml"
	catalogDir            = "../../../apis/platform/catalog"
	catalogExamples       = "../../../examples/catalog"
	backupExamples        = "../../../examples/backups"
	definitionFile        = "../../../apis/platform/definition.yaml"
	claimsCompositionFile = "../../../apis/platform-claims/composition.yaml"
	claimsDefinitionFile  = "../../../apis/platform-claims/definition.yaml"
	databaseDevFile       = "../../../examples/database-dev.yaml"
	databaseBadSKUFile    = "../../../examples/database-bad-sku.yaml"
	claimDevFile          = "../../../examples/claim-dev.yaml"
)

// The kinds teams write: the v2 Database and the claim path's DatabaseClaim.
const (
	databaseAPIVersion = "platform.dbaas.io/v1alpha1"
	claimAPIVersion    = "claims.dbaas.io/v1alpha1"
)

// shippedInput returns the input of the platform Composition's compose
// step, as Crossplane would send it to the function.
func shippedInput(t testing.TB) *structpb.Struct {
	t.Helper()
	return inputOf(t, compositionFile)
}

// inputOf returns the input of a Composition's compose step.
func inputOf(t testing.TB, compositionFile string) *structpb.Struct {
	t.Helper()
	comp := &apiextv1.Composition{}
	readStrict(t, compositionFile, comp)

	if len(comp.Spec.Pipeline) != 1 {
		t.Fatalf("%s: want one pipeline step, got %d", compositionFile, len(comp.Spec.Pipeline))
	}
	step := comp.Spec.Pipeline[0]
	if step.Step != "compose" || step.FunctionRef.Name != "function-dbaas" || step.Input == nil {
		t.Fatalf("%s: want step compose of function-dbaas with an input, got %+v", compositionFile, step)
	}
	in := &structpb.Struct{}
	if err := in.UnmarshalJSON(step.Input.Raw); err != nil {
		t.Fatalf("%s: cannot read the step's input: %v", compositionFile, err)
	}
	return in
}

// shippedCatalog returns the EnvironmentConfigs of apis/platform/catalog that
// the Composition's input selects, as core answers the function's
// requirement for them.
func shippedCatalog(t testing.TB) map[string]*fnv1.Resources {
	t.Helper()
	in := &v1beta1.Input{}
	if err := json.Unmarshal([]byte(protojson.Format(shippedInput(t))), in); err != nil {
		t.Fatalf("%s: cannot read the step's input: %v", compositionFile, err)
	}
	sel := labels.SelectorFromSet(in.Catalog.MatchLabels)

	rs := &fnv1.Resources{}
	for _, f := range catalogFiles(t, catalogDir) {
		if !sel.Matches(labels.Set(f.config.GetLabels())) {
			t.Fatalf("%s: EnvironmentConfig %s is not labelled %s, so the Composition does not load it", f.name, f.config.GetName(), sel)
		}
		rs.Items = append(rs.Items, f.resource)
	}
	return map[string]*fnv1.Resources{requiredCatalog: rs}
}

// A catalogFile is a file holding one EnvironmentConfig of a catalog.
type catalogFile struct {
	name     string
	config   *apiextv1beta1.EnvironmentConfig
	resource *fnv1.Resource
}

// catalogFiles reads the EnvironmentConfigs of a directory, one a file, in
// the order of the files' names.
func catalogFiles(t testing.TB, dir string) []catalogFile {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no catalog files: %v", dir, err)
	}
	out := make([]catalogFile, 0, len(files))
	for _, f := range files {
		ec := &apiextv1beta1.EnvironmentConfig{}
		readStrict(t, f, ec)
		b, err := json.Marshal(ec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, catalogFile{name: f, config: ec, resource: &fnv1.Resource{Resource: resource.MustStructJSON(string(b))}})
	}
	return out
}

// TestCatalogExamples loads the shipped catalog with each example
// environment of examples/catalog added, as a platform team applying one
// would, so that the examples stay valid catalog entries.
func TestCatalogExamples(t *testing.T) {
	for _, f := range catalogFiles(t, catalogExamples) {
		t.Run(filepath.Base(f.name), func(t *testing.T) {
			configs := []resource.Required{}
			items := append(slices.Clone(shippedCatalog(t)[requiredCatalog].GetItems()), f.resource)
			for _, i := range items {
				u := &unstructured.Unstructured{}
				if err := resource.AsObject(i.GetResource(), u); err != nil {
					t.Fatal(err)
				}
				configs = append(configs, resource.Required{Resource: u})
			}
			c, from, problems := decodeCatalog(configs)
			problems = append(problems, checkCatalog(c, from)...)
			if len(problems) > 0 {
				t.Errorf("%s: want a valid catalog entry, got problems:\n%s", f.name, strings.Join(problems, "\n"))
			}
			if len(c.Environments) != 2 {
				t.Errorf("%s: want the local environment and the example's, got %d environments", f.name, len(c.Environments))
			}
			stores := exampleClusterBackupStores(t)
			for _, e := range c.Environments {
				if e.BackupStore != "" && !slices.Contains(stores, e.BackupStore) {
					t.Errorf("%s: environment %s names backupStore %s, which is not a ClusterBackupStore of %s: want one of %v",
						f.name, e.Name, e.BackupStore, backupExamples, stores)
				}
			}
		})
	}
}

// exampleClusterBackupStores are the names of the ClusterBackupStores in
// examples/backups, which an example environment's backupStore names so
// that the examples apply as they are.
func exampleClusterBackupStores(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(backupExamples, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(filepath.Clean(f))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(b), "\n---\n") {
			obj := struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}{}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if obj.Kind == "ClusterBackupStore" {
				names = append(names, obj.Metadata.Name)
			}
		}
	}
	return names
}

// claim returns the spec of the DatabaseClaim in an example file.
func claim(t testing.TB, file string) (name, namespace string, spec map[string]any) {
	t.Helper()
	return manifest(t, file, claimAPIVersion, "DatabaseClaim")
}

// database returns the spec of the v2 Database in an example file.
func database(t testing.TB, file string) (name, namespace string, spec map[string]any) {
	t.Helper()
	return manifest(t, file, databaseAPIVersion, "Database")
}

// manifest returns the first object of a kind in an example file.
func manifest(t testing.TB, file, apiVersion, kind string) (name, namespace string, spec map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		obj := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if obj["apiVersion"] != apiVersion || obj["kind"] != kind {
			continue
		}
		m, _ := obj["metadata"].(map[string]any)
		s, _ := obj["spec"].(map[string]any)
		name, _ = m["name"].(string)
		namespace, _ = m["namespace"].(string)
		return name, namespace, s
	}
	t.Fatalf("%s: no %s %s", file, apiVersion, kind)
	return "", "", nil
}

// claimXR returns the XR Crossplane creates for a claim: named after the
// claim plus a random suffix, labelled with the claim, and with the claim's
// spec.
func claimXR(t testing.TB, file, xrName string) *structpb.Struct {
	t.Helper()
	name, namespace, spec := claim(t, file)
	// Crossplane keeps this on the claim; the XR's own is set by Crossplane.
	delete(spec, "writeConnectionSecretToRef")
	s, err := structpb.NewStruct(map[string]any{
		"apiVersion": claimAPIVersion,
		"kind":       "XDatabase",
		"metadata": map[string]any{
			"name": xrName,
			"labels": map[string]any{
				labelClaimName:      name,
				labelClaimNamespace: namespace,
			},
		},
		"spec": spec,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// databaseXR returns a v2 Database of an example file as core sends it to
// the function: as the team wrote it.
func databaseXR(t testing.TB, file string) *structpb.Struct {
	t.Helper()
	name, namespace, spec := database(t, file)
	s, err := structpb.NewStruct(map[string]any{
		"apiVersion": databaseAPIVersion,
		"kind":       "Database",
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"spec":       spec,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readStrict(t testing.TB, file string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestShippedPlatform composes the examples with the catalog of the shipped
// Compositions, so that the catalog, the examples and the function cannot
// drift apart.
func TestShippedPlatform(t *testing.T) {
	type args struct {
		composition string
		xr          *structpb.Struct
	}
	type want struct {
		rsp *fnv1.RunFunctionResponse
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"DatabaseDev": {
			reason: "The v2 dev example should compose the four resources of a local dev database beside it, the User writing the Secret it names.",
			args:   args{composition: compositionFile, xr: databaseXR(t, databaseDevFile)},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         provisioningMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "platform.dbaas.io/v1alpha1", "kind": "Database", "status": {"database": "orders", "phase": "Provisioning", "message": "VirtualMachine orders-vm: not created yet", "estimatedMonthlyCost": {"amount": "16.00", "currency": "EUR"}}}`)},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(namespaced(wantVM))},
						"instance": {Resource: resource.MustStructJSON(namespaced(wantInstance))},
						"user":     {Resource: patched(namespaced(wantUser), map[string]any{"spec.writeConnectionSecretToRef.name": "orders-db"})},
						"database": {Resource: resource.MustStructJSON(namespaced(wantDatabase))},
					},
				},
			}},
		},
		"ClaimDev": {
			reason: "The claim example should compose the four resources of a local dev database in the claim's namespace.",
			args:   args{composition: claimsCompositionFile, xr: claimXR(t, claimDevFile, "payments-x7k2p")},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         provisioningMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "claims.dbaas.io/v1alpha1", "kind": "XDatabase", "status": {"database": "payments", "phase": "Provisioning", "message": "VirtualMachine payments-x7k2p-vm: not created yet", "estimatedMonthlyCost": {"amount": "16.00", "currency": "EUR"}}}`)},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(claimed(wantVM))},
						"instance": {Resource: resource.MustStructJSON(claimed(wantInstance))},
						"user":     {Resource: resource.MustStructJSON(claimed(wantUser))},
						"database": {Resource: resource.MustStructJSON(claimed(wantDatabase))},
					},
				},
			}},
		},
		"DatabaseBadSKU": {
			reason: "The bad SKU example should be rejected with the SKUs the catalog offers.",
			args:   args{composition: compositionFile, xr: databaseXR(t, databaseBadSKUFile)},
			want:   want{rsp: fatal(`spec.sku "huge" is not offered: accepted values are large, medium, small`)},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             inputOf(t, tc.args.composition),
				RequiredResources: shippedCatalog(t),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: tc.args.xr}},
			}
			rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
			if err != nil {
				t.Fatalf("%s\nf.RunFunction(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

// claimed returns a desired resource of fn_test.go's claim team-a/orders as
// the example claim team-b/payments composes it.
func claimed(j string) string {
	j = strings.ReplaceAll(j, "orders-x7k2p-", "payments-x7k2p-")
	j = strings.ReplaceAll(j, `"team-a"`, `"team-b"`)
	j = strings.ReplaceAll(j, `"orders_app"`, `"payments_app"`)
	return strings.ReplaceAll(j, `"orders"`, `"payments"`)
}

// TestClaimsCatalogIsThePlatforms keeps the claim path's catalog the same as
// the v2 API's, so that a claim reaches what a Database reaches.
func TestClaimsCatalogIsThePlatforms(t *testing.T) {
	if diff := cmp.Diff(inputOf(t, compositionFile), inputOf(t, claimsCompositionFile), protocmp.Transform()); diff != "" {
		t.Errorf("the catalogs of %s and %s differ: -platform, +claims:\n%s", compositionFile, claimsCompositionFile, diff)
	}
}

// TestDefinitionSchema checks Databases against the schema of the shipped XRD,
// the way the API server will.
func TestDefinitionSchema(t *testing.T) {
	xrd := &apiextv2.CompositeResourceDefinition{}
	readStrict(t, definitionFile, xrd)

	if len(xrd.Spec.Versions) != 1 || xrd.Spec.Versions[0].Schema == nil {
		t.Fatalf("%s: want one version with a schema", definitionFile)
	}
	props := &extv1.JSONSchemaProps{}
	if err := yaml.UnmarshalStrict(xrd.Spec.Versions[0].Schema.OpenAPIV3Schema.Raw, props); err != nil {
		t.Fatalf("%s: %v", definitionFile, err)
	}
	internal := &extinternal.JSONSchemaProps{}
	if err := extv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(props, internal, nil); err != nil {
		t.Fatal(err)
	}
	v, _, err := validation.NewSchemaValidator(internal)
	if err != nil {
		t.Fatalf("%s: %v", definitionFile, err)
	}

	_, _, dev := database(t, databaseDevFile)
	_, _, bad := database(t, databaseBadSKUFile)

	type args struct {
		spec map[string]any
	}
	type want struct {
		errs []string
	}

	with := func(base map[string]any, k string, v any) map[string]any {
		s := map[string]any{}
		for bk, bv := range base {
			s[bk] = bv
		}
		if v == nil {
			delete(s, k)
			return s
		}
		s[k] = v
		return s
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"DatabaseDev": {
			reason: "The dev example should be valid.",
			args:   args{spec: dev},
			want:   want{},
		},
		"DatabaseBadSKU": {
			reason: "The bad SKU example should be valid: the catalog, not the schema, decides SKUs.",
			args:   args{spec: bad},
			want:   want{},
		},
		"DatabaseName": {
			reason: "A valid PostgreSQL identifier should be accepted as databaseName.",
			args:   args{spec: with(dev, "databaseName", "orders_2")},
			want:   want{},
		},
		"DatabaseNameLeadingDigit": {
			reason: "A databaseName starting with a digit should be rejected.",
			args:   args{spec: with(dev, "databaseName", "2orders")},
			want:   want{errs: []string{`spec.databaseName: Invalid value: "2orders": spec.databaseName in body should match '^[a-z_][a-z0-9_]{0,62}$'`}},
		},
		"NoEngine": {
			reason: "A claim without an engine should be rejected.",
			args:   args{spec: with(dev, "engine", nil)},
			want:   want{errs: []string{`spec.engine: Required value`}},
		},
		"ConnectionSecretNotAName": {
			reason: "A connection Secret name that is not a Kubernetes name should be rejected.",
			args:   args{spec: with(dev, "writeConnectionSecretToRef", map[string]any{"name": "Orders DB"})},
			want:   want{errs: []string{`spec.writeConnectionSecretToRef.name: Invalid value: "Orders DB": spec.writeConnectionSecretToRef.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`}},
		},
		"Flavor": {
			reason: "A flavor should be accepted; the catalog, not the schema, decides which.",
			args:   args{spec: with(dev, "flavor", "vector")},
			want:   want{},
		},
		"Restore": {
			reason: "A restore from a Database of the namespace to an RFC 3339 time should be accepted.",
			args:   args{spec: with(dev, "restore", map[string]any{"from": "orders", "toTime": "2026-12-07T11:30:00.123456+01:00"})},
			want:   want{},
		},
		"RestoreNotATime": {
			reason: "A toTime that is not RFC 3339 should be rejected.",
			args:   args{spec: with(dev, "restore", map[string]any{"from": "orders", "toTime": "yesterday"})},
			want:   want{errs: []string{`spec.restore.toTime: Invalid value: "yesterday": spec.restore.toTime in body should match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$'`}},
		},
		"RestoreFromOtherNamespace": {
			reason: "from is a name in the Database's namespace: a namespace/name is not one.",
			args:   args{spec: with(dev, "restore", map[string]any{"from": "team-b/orders", "toTime": "2026-12-07T11:30:00Z"})},
			want:   want{errs: []string{`spec.restore.from: Invalid value: "team-b/orders": spec.restore.from in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'`}},
		},
		"RestoreWithoutTime": {
			reason: "A restore says to what time.",
			args:   args{spec: with(dev, "restore", map[string]any{"from": "orders"})},
			want:   want{errs: []string{`spec.restore.toTime: Required value`}},
		},
		"StorageTooLarge": {
			reason: "Storage above 65536 GB should be rejected.",
			args:   args{spec: with(dev, "storageGB", int64(65537))},
			want:   want{errs: []string{`spec.storageGB: Invalid value: 65537: spec.storageGB in body should be less than or equal to 65536`}},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := map[string]any{"spec": tc.args.spec}
			var got []string
			for _, e := range validation.ValidateCustomResource(nil, obj, v) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want.errs, got); diff != "" {
				t.Errorf("%s\nValidateCustomResource(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestClaimsDefinitionIsThePlatforms keeps the claim path's XRD checking
// what the v2 XRD checks, so that a manifest valid on one path is valid on
// the other. Only the connection Secret differs: a claim's is Crossplane's
// own spec.writeConnectionSecretToRef, which core adds to the claim's CRD.
func TestClaimsDefinitionIsThePlatforms(t *testing.T) {
	v2 := &apiextv2.CompositeResourceDefinition{}
	readStrict(t, definitionFile, v2)
	legacy := &apiextv1.CompositeResourceDefinition{}
	readStrict(t, claimsDefinitionFile, legacy)

	schema := func(file string, raw []byte) *extv1.JSONSchemaProps {
		props := &extv1.JSONSchemaProps{}
		if err := yaml.UnmarshalStrict(raw, props); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return props
	}
	want := schema(definitionFile, v2.Spec.Versions[0].Schema.OpenAPIV3Schema.Raw)
	got := schema(claimsDefinitionFile, legacy.Spec.Versions[0].Schema.OpenAPIV3Schema.Raw)
	delete(want.Properties["spec"].Properties, "writeConnectionSecretToRef")

	// Descriptions may say claim or Database; what is checked may not differ.
	ignore := cmpopts.IgnoreFields(extv1.JSONSchemaProps{}, "Description")
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("the schemas of %s and %s differ: -platform, +claims:\n%s", definitionFile, claimsDefinitionFile, diff)
	}
	if diff := cmp.Diff(v2.Spec.Versions[0].AdditionalPrinterColumns, legacy.Spec.Versions[0].AdditionalPrinterColumns); diff != "" {
		t.Errorf("the printer columns of %s and %s differ: -platform, +claims:\n%s", definitionFile, claimsDefinitionFile, diff)
	}
}
