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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/utils/ptr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// catalog is the catalog the tests compose with: the one the platform ships,
// with a second engine version so defaulting is visible.
func catalog() *v1beta1.Catalog {
	return &v1beta1.Catalog{
		Engines: []v1beta1.Engine{{Name: "postgresql", Versions: []string{"15", "16"}, DefaultVersion: "15"}},
		Tiers:   []v1beta1.Tier{{Name: "dev", Topology: v1beta1.TopologySingle, Members: 1}},
		SKUs: []v1beta1.SKU{
			{Name: "small", CPU: 1, MemoryMiB: 1024, MaxConnections: ptr.To[int32](50)},
			{Name: "medium", CPU: 2, MemoryMiB: 4096, MaxConnections: ptr.To[int32](200)},
			{Name: "large", CPU: 4, MemoryMiB: 16384, MaxConnections: ptr.To[int32](500)},
		},
		Environments: []v1beta1.Environment{{
			Name:              "local",
			ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "local"},
		}},
	}
}

// catalogLabels are the labels of the catalog's EnvironmentConfigs that the
// tests' input names.
var catalogLabels = map[string]string{"dbaas.io/catalog": "default"}

// input is the function's input as the Composition gives it: the labels of
// the catalog's EnvironmentConfigs.
func input() *structpb.Struct {
	in := &v1beta1.Input{Catalog: v1beta1.CatalogSelector{MatchLabels: catalogLabels}}
	in.SetGroupVersionKind(v1beta1.InputGroupVersionKind)
	return resource.MustStructObject(in)
}

// required is core's answer to the function's requirement for the catalog:
// one EnvironmentConfig holding every list of a catalog.
func required(c *v1beta1.Catalog) map[string]*fnv1.Resources {
	return map[string]*fnv1.Resources{requiredCatalog: {Items: []*fnv1.Resource{{Resource: environmentConfig("catalog", c)}}}}
}

// environmentConfig is an EnvironmentConfig of the tests' catalog whose data
// holds a catalog's lists.
func environmentConfig(name string, c *v1beta1.Catalog) *structpb.Struct {
	data := struct {
		Engines      []v1beta1.Engine      `json:"engines,omitempty"`
		Tiers        []v1beta1.Tier        `json:"tiers,omitempty"`
		SKUs         []v1beta1.SKU         `json:"skus,omitempty"`
		Flavors      []v1beta1.Flavor      `json:"flavors,omitempty"`
		Environments []v1beta1.Environment `json:"environments,omitempty"`
	}{c.Engines, c.Tiers, c.SKUs, c.Flavors, c.Environments}
	b, err := json.Marshal(map[string]any{
		"apiVersion": environmentConfigAPIVersion,
		"kind":       environmentConfigKind,
		"metadata":   map[string]any{"name": name, "labels": catalogLabels},
		"data":       data,
	})
	if err != nil {
		panic(err)
	}
	return resource.MustStructJSON(string(b))
}

// requirements is what every response past the input asks core for.
func requirements() *fnv1.Requirements {
	return catalogRequirements(v1beta1.CatalogSelector{MatchLabels: catalogLabels})
}

// xr is the observed XDatabase of claim team-a/orders.
const xr = `{
	"apiVersion": "platform.dbaas.io/v1alpha1",
	"kind": "XDatabase",
	"metadata": {
		"name": "orders-x7k2p",
		"labels": {
			"crossplane.io/claim-name": "orders",
			"crossplane.io/claim-namespace": "team-a"
		}
	},
	"spec": {
		"engine": "postgresql",
		"tier": "dev",
		"sku": "small",
		"storageGB": 10,
		"environment": "local"
	}
}`

// The desired resources of claim team-a/orders with the dev/small/local
// choices.
const (
	wantVM = `{
		"apiVersion": "compute.dbaas.io/v1alpha1",
		"kind": "VirtualMachine",
		"metadata": {"name": "orders-x7k2p-vm", "namespace": "team-a"},
		"spec": {
			"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "local"},
			"forProvider": {
				"cpu": 1,
				"memoryMiB": 1024,
				"disks": [{"name": "data", "sizeGiB": 10}],
				"powerState": "On"
			}
		}
	}`
	wantInstance = `{
		"apiVersion": "engine.dbaas.io/v1alpha1",
		"kind": "DatabaseInstance",
		"metadata": {"name": "orders-x7k2p-instance", "namespace": "team-a"},
		"spec": {
			"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "local"},
			"writeConnectionSecretToRef": {"name": "orders-x7k2p-instance"},
			"forProvider": {
				"engine": "postgresql",
				"version": "15",
				"topology": "single",
				"virtualMachineRefs": [{"name": "orders-x7k2p-vm"}],
				"storageGB": 10,
				"maxConnections": 50,
				"sharedBuffersMB": 256,
				"parameters": {
					"checkpoint_completion_target": "0.9",
					"effective_cache_size": "768MB",
					"effective_io_concurrency": "200",
					"maintenance_work_mem": "64MB",
					"max_wal_size": "2560MB",
					"min_wal_size": "640MB",
					"random_page_cost": "1.1",
					"wal_buffers": "7864kB",
					"work_mem": "2621kB"
				},
				"adminPasswordSecretRef": {"name": "orders-x7k2p-admin", "key": "password"},
				"autoGeneratePassword": true
			}
		}
	}`
	wantUser = `{
		"apiVersion": "sql.dbaas.io/v1alpha1",
		"kind": "User",
		"metadata": {
			"name": "orders-x7k2p-user",
			"namespace": "team-a",
			"annotations": {"crossplane.io/external-name": "orders_app"}
		},
		"spec": {
			"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "local"},
			"writeConnectionSecretToRef": {"name": "orders-x7k2p-user"},
			"forProvider": {
				"instanceRef": {"name": "orders-x7k2p-instance"},
				"databaseRef": {"name": "orders-x7k2p-database"}
			}
		}
	}`
	wantDatabase = `{
		"apiVersion": "sql.dbaas.io/v1alpha1",
		"kind": "Database",
		"metadata": {
			"name": "orders-x7k2p-database",
			"namespace": "team-a",
			"annotations": {"crossplane.io/external-name": "orders"}
		},
		"spec": {
			"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "local"},
			"forProvider": {
				"instanceRef": {"name": "orders-x7k2p-instance"},
				"ownerRef": {"name": "orders-x7k2p-user"}
			}
		}
	}`
)

// desiredXR is the desired XDatabase with the given status.
func desiredXR(status string) string {
	return `{"apiVersion": "platform.dbaas.io/v1alpha1", "kind": "XDatabase", "status": ` + status + `}`
}

func rspMeta() *fnv1.ResponseMeta {
	return &fnv1.ResponseMeta{Tag: "hello", Ttl: durationpb.New(response.DefaultTTL)}
}

// provisioningMeta asks core to run the function again soon, as it does
// while composed resources are not all ready.
func provisioningMeta() *fnv1.ResponseMeta {
	return &fnv1.ResponseMeta{Tag: "hello", Ttl: durationpb.New(provisioningTTL)}
}

// fatal is the response to a request the function rejects once it asked for
// the catalog.
func fatal(msg string) *fnv1.RunFunctionResponse {
	rsp := fatalInput(msg)
	rsp.Requirements = requirements()
	return rsp
}

// fatalInput is the response to a request whose input the function rejects,
// before it could ask for anything.
func fatalInput(msg string) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta: rspMeta(),
		Results: []*fnv1.Result{{
			Severity: fnv1.Severity_SEVERITY_FATAL,
			Message:  msg,
			Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
		}},
	}
}

// stableJSONErrors rewrites the one word of go-json-experiment's errors that
// it picks at random, on purpose, so that messages can be compared whole.
func stableJSONErrors(rsp *fnv1.RunFunctionResponse) {
	for _, r := range rsp.GetResults() {
		r.Message = strings.ReplaceAll(r.GetMessage(), "json: unable to ", "json: cannot ")
	}
}

// patched returns a resource with some fields, by field path, replaced.
func patched(j string, fields map[string]any) *structpb.Struct {
	obj := map[string]any{}
	if err := json.Unmarshal([]byte(j), &obj); err != nil {
		panic(err)
	}
	p := fieldpath.Pave(obj)
	for path, v := range fields {
		if err := p.SetValue(path, v); err != nil {
			panic(err)
		}
	}
	s, err := structpb.NewStruct(obj)
	if err != nil {
		panic(err)
	}
	return s
}

// observed returns a desired resource as Crossplane observes it: with a Ready
// condition and, optionally, what the provider observed.
func observed(j, ready string, atProvider map[string]any) *structpb.Struct {
	fields := map[string]any{
		"status.conditions": []any{map[string]any{
			"type":               "Ready",
			"status":             ready,
			"reason":             "Available",
			"lastTransitionTime": "2026-01-01T00:00:00Z",
		}},
	}
	if atProvider != nil {
		fields["status.atProvider"] = atProvider
	}
	return patched(j, fields)
}

// withSpec returns the XR of claim team-a/orders with some spec fields
// replaced.
func withSpec(fields map[string]any) *structpb.Struct {
	s := resource.MustStructJSON(xr)
	sp := s.GetFields()["spec"].GetStructValue()
	for k, v := range fields {
		val, err := structpb.NewValue(v)
		if err != nil {
			panic(err)
		}
		sp.Fields[k] = val
	}
	return s
}

func TestRunFunction(t *testing.T) {
	type args struct {
		req *fnv1.RunFunctionRequest
	}
	type want struct {
		rsp *fnv1.RunFunctionResponse
		err error
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"ComposeLocalDev": {
			reason: "A dev/small/local claim that nothing was observed for yet should compose all four resources, none ready, and report the XR as provisioning.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         provisioningMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(desiredXR(`{"database": "orders", "phase": "Provisioning", "message": "VirtualMachine orders-x7k2p-vm: not created yet"}`))},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(wantVM)},
						"instance": {Resource: resource.MustStructJSON(wantInstance)},
						"user":     {Resource: resource.MustStructJSON(wantUser)},
						"database": {Resource: resource.MustStructJSON(wantDatabase)},
					},
				},
			}},
		},
		"UnknownEngine": {
			reason: "An engine the catalog does not offer should be fatal, list the accepted engines, and compose nothing.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"engine": "mysql"})}},
			}},
			want: want{rsp: fatal(`spec.engine "mysql" is not offered: accepted values are postgresql`)},
		},
		"UnknownVersion": {
			reason: "A version the engine does not offer should be fatal and list the engine's versions.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"version": "14"})}},
			}},
			want: want{rsp: fatal(`spec.version "14" is not offered for engine postgresql: accepted values are 15, 16`)},
		},
		"UnknownTier": {
			reason: "A tier the catalog does not offer should be fatal and list the accepted tiers.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"tier": "ha"})}},
			}},
			want: want{rsp: fatal(`spec.tier "ha" is not offered: accepted values are dev`)},
		},
		"UnknownSKU": {
			reason: "A SKU the catalog does not offer should be fatal and list the accepted SKUs sorted.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"sku": "huge"})}},
			}},
			want: want{rsp: fatal(`spec.sku "huge" is not offered: accepted values are large, medium, small`)},
		},
		"UnknownEnvironment": {
			reason: "An environment the catalog does not offer should be fatal and list the accepted environments.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"environment": "prod"})}},
			}},
			want: want{rsp: fatal(`spec.environment "prod" is not offered: accepted values are local`)},
		},
		"StorageOutOfRange": {
			reason: "Storage beyond what an instance may have should be fatal, even though the XRD checks it too.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"storageGB": 70000})}},
			}},
			want: want{rsp: fatal(`spec.storageGB 70000 is out of range: it must be between 1 and 65536`)},
		},
		"EmptyCatalog": {
			reason: "A catalog that offers nothing should say so rather than list no values.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(&v1beta1.Catalog{}),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
			}},
			want: want{rsp: fatal(`spec.engine "postgresql" is not offered: accepted values are none: the catalog offers nothing; ` +
				`spec.tier "dev" is not offered: accepted values are none: the catalog offers nothing; ` +
				`spec.sku "small" is not offered: accepted values are none: the catalog offers nothing; ` +
				`spec.environment "local" is not offered: accepted values are none: the catalog offers nothing`)},
		},
		"SeveralProblems": {
			reason: "Every problem of a claim should be reported in one message, in the order of the spec, and nothing composed.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{
					"version":     "9",
					"tier":        "ha",
					"sku":         "huge",
					"environment": "",
					"storageGB":   0,
				})}},
			}},
			want: want{rsp: fatal(`spec.version "9" is not offered for engine postgresql: accepted values are 15, 16; ` +
				`spec.tier "ha" is not offered: accepted values are dev; ` +
				`spec.sku "huge" is not offered: accepted values are large, medium, small; ` +
				`spec.environment "" is not offered: accepted values are local; ` +
				`spec.storageGB 0 is out of range: it must be between 1 and 65536`)},
		},
		"UnknownEngineSkipsVersion": {
			reason: "The version of an unknown engine cannot be checked, so only the engine should be reported.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"engine": "mysql", "version": "8"})}},
			}},
			want: want{rsp: fatal(`spec.engine "mysql" is not offered: accepted values are postgresql`)},
		},
		"NoClaimNamespace": {
			reason: "An XR created without a claim has no namespace for its resources and should be fatal.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{
					"apiVersion": "platform.dbaas.io/v1alpha1",
					"kind": "XDatabase",
					"metadata": {"name": "direct"},
					"spec": {"engine": "postgresql", "tier": "dev", "sku": "small", "storageGB": 10, "environment": "local"}
				}`)}},
			}},
			want: want{rsp: fatal("XDatabase direct has no namespace and no crossplane.io/claim-namespace label: create a Database in a namespace, or a DatabaseClaim")},
		},
		"BadInput": {
			reason: "An input that is not an Input naming the catalog should be fatal.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: "hello"},
				Input:    resource.MustStructJSON(`{"apiVersion": "catalog.fn.dbaas.io/v1beta1", "kind": "Input", "catalog": "default"}`),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
			}},
			want: want{rsp: fatalInput("cannot get the function input (an Input naming the catalog): " +
				"cannot get function input *v1beta1.Input from *v1.RunFunctionRequest: " +
				"cannot unmarshal JSON from *structpb.Struct into *v1beta1.Input: " +
				"json: cannot unmarshal JSON string into Go value of type v1beta1.CatalogSelector")},
		},
		"ExplicitVersionAndDatabaseName": {
			reason: "A claim's version and databaseName should be used as they are, and the role named after the database.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: withSpec(map[string]any{"version": "16", "databaseName": "shop", "sku": "large"})}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         provisioningMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(desiredXR(`{"database": "shop", "phase": "Provisioning", "message": "VirtualMachine orders-x7k2p-vm: not created yet"}`))},
					Resources: map[string]*fnv1.Resource{
						"vm": {Resource: patched(wantVM, map[string]any{
							"spec.forProvider.cpu":       4,
							"spec.forProvider.memoryMiB": 16384,
						})},
						"instance": {Resource: patched(wantInstance, map[string]any{
							"spec.forProvider.version":         "16",
							"spec.forProvider.maxConnections":  500,
							"spec.forProvider.sharedBuffersMB": 4096,
							"spec.forProvider.parameters": map[string]any{
								"checkpoint_completion_target":     "0.9",
								"effective_cache_size":             "12GB",
								"effective_io_concurrency":         "200",
								"maintenance_work_mem":             "1GB",
								"max_parallel_maintenance_workers": "2",
								"max_parallel_workers":             "4",
								"max_parallel_workers_per_gather":  "2",
								"max_wal_size":                     "2560MB",
								"max_worker_processes":             "4",
								"min_wal_size":                     "640MB",
								"random_page_cost":                 "1.1",
								"wal_buffers":                      "16MB",
								"work_mem":                         "4194kB",
							},
						})},
						"user": {Resource: patched(wantUser, map[string]any{
							"metadata.annotations[crossplane.io/external-name]": "shop_app",
						})},
						"database": {Resource: patched(wantDatabase, map[string]any{
							"metadata.annotations[crossplane.io/external-name]": "shop",
						})},
					},
				},
			}},
		},
		"KeepEarlierSteps": {
			reason: "Resources desired by earlier steps of the pipeline should be kept.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
				Desired: &fnv1.State{Resources: map[string]*fnv1.Resource{
					"extra": {Resource: resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}}`)},
				}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         provisioningMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(desiredXR(`{"database": "orders", "phase": "Provisioning", "message": "VirtualMachine orders-x7k2p-vm: not created yet"}`))},
					Resources: map[string]*fnv1.Resource{
						"extra":    {Resource: resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}}`)},
						"vm":       {Resource: resource.MustStructJSON(wantVM)},
						"instance": {Resource: resource.MustStructJSON(wantInstance)},
						"user":     {Resource: resource.MustStructJSON(wantUser)},
						"database": {Resource: resource.MustStructJSON(wantDatabase)},
					},
				},
			}},
		},
		"AllReady": {
			reason: "When every observed resource is Ready the function should mark them ready, publish the user's connection details and report the endpoint and phase Ready.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: observed(wantVM, "True", nil)},
						"instance": {Resource: observed(wantInstance, "True", map[string]any{"endpoint": "127.0.0.1", "port": 40001})},
						"user": {
							Resource: observed(wantUser, "True", nil),
							ConnectionDetails: map[string][]byte{
								"username": []byte("orders_app"),
								"password": []byte("s3cret"),
								"endpoint": []byte("127.0.0.1"),
								"port":     []byte("40001"),
								"database": []byte("orders"),
								"other":    []byte("not for the claim"),
							},
						},
						"database": {Resource: observed(wantDatabase, "True", nil)},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         rspMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{
						Resource: resource.MustStructJSON(desiredXR(`{"endpoint": "127.0.0.1", "port": 40001, "database": "orders", "phase": "Ready"}`)),
						ConnectionDetails: map[string][]byte{
							"username": []byte("orders_app"),
							"password": []byte("s3cret"),
							"endpoint": []byte("127.0.0.1"),
							"port":     []byte("40001"),
							"database": []byte("orders"),
						},
					},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(wantVM), Ready: fnv1.Ready_READY_TRUE},
						"instance": {Resource: resource.MustStructJSON(wantInstance), Ready: fnv1.Ready_READY_TRUE},
						"user":     {Resource: resource.MustStructJSON(wantUser), Ready: fnv1.Ready_READY_TRUE},
						"database": {Resource: resource.MustStructJSON(wantDatabase), Ready: fnv1.Ready_READY_TRUE},
					},
				},
			}},
		},
		"SomeReady": {
			reason: "Only resources observed Ready should be marked ready, and the XR should stay Provisioning while any is not.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: observed(wantVM, "True", nil)},
						"instance": {Resource: observed(wantInstance, "True", map[string]any{"endpoint": "127.0.0.1", "port": 40001})},
						"user":     {Resource: observed(wantUser, "False", nil)},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         provisioningMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{
						Resource: resource.MustStructJSON(desiredXR(`{"endpoint": "127.0.0.1", "port": 40001, "database": "orders", "phase": "Provisioning", "message": "User orders-x7k2p-user: not ready (Available)"}`)),
					},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(wantVM), Ready: fnv1.Ready_READY_TRUE},
						"instance": {Resource: resource.MustStructJSON(wantInstance), Ready: fnv1.Ready_READY_TRUE},
						"user":     {Resource: resource.MustStructJSON(wantUser)},
						"database": {Resource: resource.MustStructJSON(wantDatabase)},
					},
				},
			}},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := NewFunction(logging.NewNopLogger())
			rsp, err := f.RunFunction(context.Background(), tc.args.req)
			stableJSONErrors(rsp)

			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.err, err); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want err, +got err:\n%s", tc.reason, diff)
			}
		})
	}
}
