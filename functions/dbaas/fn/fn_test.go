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

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

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
			{Name: "small", CPU: 1, MemoryMiB: 1024, MaxConnections: 50, SharedBuffersMB: 128},
			{Name: "medium", CPU: 2, MemoryMiB: 4096, MaxConnections: 200, SharedBuffersMB: 1024},
			{Name: "large", CPU: 4, MemoryMiB: 16384, MaxConnections: 500, SharedBuffersMB: 4096},
		},
		Environments: []v1beta1.Environment{{
			Name:              "local",
			ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "local"},
		}},
	}
}

func input(c *v1beta1.Catalog) *structpb.Struct {
	c.SetGroupVersionKind(v1beta1.CatalogGroupVersionKind)
	return resource.MustStructObject(c)
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
				"sharedBuffersMB": 128,
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

// fatal is the response to a request the function rejects.
func fatal(msg string) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta: rspMeta(),
		Results: []*fnv1.Result{{
			Severity: fnv1.Severity_SEVERITY_FATAL,
			Message:  msg,
			Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
		}},
	}
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
				Meta:     &fnv1.RequestMeta{Tag: "hello"},
				Input:    input(catalog()),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: rspMeta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(desiredXR(`{"database": "orders", "phase": "Provisioning"}`))},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(wantVM)},
						"instance": {Resource: resource.MustStructJSON(wantInstance)},
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

			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.err, err); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want err, +got err:\n%s", tc.reason, diff)
			}
		})
	}
}
