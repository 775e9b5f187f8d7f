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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composite"
)

// namespacedXR is the Crossplane v2 Database team-a/orders, with the same
// choices as the claim's XR of fn_test.go.
const namespacedXR = `{
	"apiVersion": "platform.dbaas.io/v1alpha1",
	"kind": "Database",
	"metadata": {"name": "orders", "namespace": "team-a"},
	"spec": {
		"engine": "postgresql",
		"tier": "dev",
		"sku": "small",
		"storageGB": 10,
		"environment": "local",
		"writeConnectionSecretToRef": {"name": "orders-db"}
	}
}`

// namespaced returns a desired resource of the claim's XR as the v2
// Database team-a/orders composes it: prefixed with the Database's name.
func namespaced(j string) string {
	return strings.ReplaceAll(j, "orders-x7k2p-", "orders-")
}

func TestPlacementOf(t *testing.T) {
	type args struct {
		xr string
	}
	type want struct {
		p   placement
		err string
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Namespaced": {
			reason: "A v2 XR's resources should go in its own namespace, named after it, with the Secret it names.",
			args:   args{xr: namespacedXR},
			want:   want{p: placement{Namespace: "team-a", Owner: "orders", ConnectionSecret: "orders-db"}},
		},
		"NamespacedDefaultSecret": {
			reason: "A v2 XR that names no Secret should get one named after it with the documented suffix.",
			args:   args{xr: `{"apiVersion": "platform.dbaas.io/v1alpha1", "kind": "Database", "metadata": {"name": "orders", "namespace": "team-a"}, "spec": {}}`},
			want:   want{p: placement{Namespace: "team-a", Owner: "orders", ConnectionSecret: "orders-connection"}},
		},
		"NamespacedEmptySecretRef": {
			reason: "A v2 XR whose Secret reference has no name should get the default Secret.",
			args:   args{xr: `{"apiVersion": "platform.dbaas.io/v1alpha1", "kind": "Database", "metadata": {"name": "orders", "namespace": "team-a"}, "spec": {"writeConnectionSecretToRef": {}}}`},
			want:   want{p: placement{Namespace: "team-a", Owner: "orders", ConnectionSecret: "orders-connection"}},
		},
		"NamespacedSecretNotAString": {
			reason: "A Secret name that is not a string should be an error naming the field.",
			args:   args{xr: `{"apiVersion": "platform.dbaas.io/v1alpha1", "kind": "Database", "metadata": {"name": "orders", "namespace": "team-a"}, "spec": {"writeConnectionSecretToRef": {"name": 7}}}`},
			want:   want{err: "cannot read spec.writeConnectionSecretToRef.name: spec.writeConnectionSecretToRef.name: not a string"},
		},
		"Claim": {
			reason: "A claim's XR should put its resources in the claim's namespace, name the database after the claim, and leave the Secret to core.",
			args:   args{xr: xr},
			want:   want{p: placement{Namespace: "team-a", Owner: "orders"}},
		},
		"ClaimWithoutName": {
			reason: "A claim's XR without the claim-name label should name the database after the XR.",
			args: args{xr: `{"apiVersion": "claims.dbaas.io/v1alpha1", "kind": "XDatabase",
				"metadata": {"name": "orders-x7k2p", "labels": {"crossplane.io/claim-namespace": "team-a"}}}`},
			want: want{p: placement{Namespace: "team-a", Owner: "orders-x7k2p"}},
		},
		"ClusterWithoutClaim": {
			reason: "A cluster-scoped XR no claim made has nowhere to put its resources, and the error should say what to write instead.",
			args:   args{xr: `{"apiVersion": "claims.dbaas.io/v1alpha1", "kind": "XDatabase", "metadata": {"name": "direct"}}`},
			want:   want{err: "XDatabase direct has no namespace and no crossplane.io/claim-namespace label: create a Database in a namespace, or a DatabaseClaim"},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := composite.New()
			if err := u.UnmarshalJSON([]byte(tc.args.xr)); err != nil {
				t.Fatal(err)
			}
			got, err := placementOf(u)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.want.err, gotErr); diff != "" {
				t.Errorf("%s\nplacementOf(...): -want err, +got err:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.p, got); diff != "" {
				t.Errorf("%s\nplacementOf(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRunFunctionNamespaced composes a Crossplane v2 Database: its resources
// go beside it, and the User writes the Secret it names, since core gives a
// v2 XR no connection secret of its own.
func TestRunFunctionNamespaced(t *testing.T) {
	type args struct {
		req *fnv1.RunFunctionRequest
	}
	type want struct {
		rsp *fnv1.RunFunctionResponse
	}

	desired := func(status string) *fnv1.Resource {
		return &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "platform.dbaas.io/v1alpha1", "kind": "Database", "status": ` + status + `}`)}
	}
	user := patched(namespaced(wantUser), map[string]any{"spec.writeConnectionSecretToRef.name": "orders-db"})

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"ComposeLocalDev": {
			reason: "A v2 Database nothing was observed for yet should compose all four resources in its namespace, the User writing the Secret the Database names.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(namespacedXR)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         provisioningMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: desired(`{"database": "orders", "phase": "Provisioning", "message": "VirtualMachine orders-vm: not created yet"}`),
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(namespaced(wantVM))},
						"instance": {Resource: resource.MustStructJSON(namespaced(wantInstance))},
						"user":     {Resource: user},
						"database": {Resource: resource.MustStructJSON(namespaced(wantDatabase))},
					},
				},
			}},
		},
		"AllReady": {
			reason: "A ready v2 Database should report its endpoint and phase but carry no connection details: the User's Secret is the application's.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             input(),
				RequiredResources: required(catalog()),
				Observed: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(namespacedXR)},
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: observed(namespaced(wantVM), "True", nil)},
						"instance": {Resource: observed(namespaced(wantInstance), "True", map[string]any{"endpoint": "127.0.0.1", "port": 40001})},
						"user": {
							Resource:          observed(namespaced(wantUser), "True", nil),
							ConnectionDetails: map[string][]byte{"username": []byte("orders_app"), "password": []byte("s3cret")},
						},
						"database": {Resource: observed(namespaced(wantDatabase), "True", nil)},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         rspMeta(),
				Requirements: requirements(),
				Desired: &fnv1.State{
					Composite: desired(`{"endpoint": "127.0.0.1", "port": 40001, "database": "orders", "phase": "Ready"}`),
					Resources: map[string]*fnv1.Resource{
						"vm":       {Resource: resource.MustStructJSON(namespaced(wantVM)), Ready: fnv1.Ready_READY_TRUE},
						"instance": {Resource: resource.MustStructJSON(namespaced(wantInstance)), Ready: fnv1.Ready_READY_TRUE},
						"user":     {Resource: user, Ready: fnv1.Ready_READY_TRUE},
						"database": {Resource: resource.MustStructJSON(namespaced(wantDatabase)), Ready: fnv1.Ready_READY_TRUE},
					},
				},
			}},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), tc.args.req)
			if err != nil {
				t.Fatalf("%s\nf.RunFunction(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}
