package plugin

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestExplain(t *testing.T) {
	dbs := schema.GroupResource{Group: "platform.dbaas.io", Resource: "databases"}
	cases := map[string]struct {
		reason string
		err    error
		req    request
		want   string
		// still says whether apierrors still tells what the error was.
		still func(error) bool
	}{
		"Nil": {
			reason: "No error is no error.",
			req:    request{verb: "get", resource: dbs, namespace: "team-a", name: "orders"},
		},
		"NotFound": {
			reason: "A name that does not exist is said plainly, with where it was looked for.",
			err:    apierrors.NewNotFound(dbs, "orders"),
			req:    request{verb: "get", resource: dbs, namespace: "team-a", name: "orders"},
			want:   `databases.platform.dbaas.io "orders" not found in namespace "team-a"`,
			still:  apierrors.IsNotFound,
		},
		"KindNotServed": {
			reason: "A 404 that names no object means the kind is not served.",
			err:    apierrors.NewGenericServerResponse(404, "list", dbs, "", "the server could not find the requested resource", 0, false),
			req:    request{verb: "list", resource: dbs, namespace: "team-a"},
			want:   "the cluster does not serve databases.platform.dbaas.io: install the package that defines it",
			still:  isNotServed,
		},
		"Forbidden": {
			reason: "A refused verb is named with the resource and namespace, and what to ask for.",
			err:    apierrors.NewForbidden(dbs, "orders", errors.New(`User "dev" cannot get resource "databases" in API group "platform.dbaas.io" in the namespace "team-a"`)),
			req:    request{verb: "get", resource: dbs, namespace: "team-a", name: "orders"},
			want: `forbidden: you may not get databases.platform.dbaas.io in namespace "team-a"; ask for a Role that grants "get" on databases.platform.dbaas.io ` +
				`(the API server said: databases.platform.dbaas.io "orders" is forbidden: User "dev" cannot get resource "databases" in API group "platform.dbaas.io" in the namespace "team-a")`,
			still: apierrors.IsForbidden,
		},
		"ForbiddenClusterWide": {
			reason: "A cluster-scoped list says cluster-wide.",
			err:    apierrors.NewForbidden(schema.GroupResource{Group: "apiextensions.crossplane.io", Resource: "environmentconfigs"}, "", errors.New("no")),
			req:    request{verb: "list", resource: schema.GroupResource{Group: "apiextensions.crossplane.io", Resource: "environmentconfigs"}},
			want: `forbidden: you may not list environmentconfigs.apiextensions.crossplane.io cluster-wide; ask for a Role that grants "list" on environmentconfigs.apiextensions.crossplane.io ` +
				`(the API server said: environmentconfigs.apiextensions.crossplane.io is forbidden: no)`,
			still: apierrors.IsForbidden,
		},
		"Other": {
			reason: "Anything else keeps its message after what was asked.",
			err:    errors.New("connection refused"),
			req:    request{verb: "patch", resource: dbs, namespace: "team-a", name: "orders"},
			want:   `cannot patch databases.platform.dbaas.io in namespace "team-a": connection refused`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := explain(tc.err, tc.req)
			if tc.want == "" {
				if got != nil {
					t.Fatalf("%s\nexplain(...): want nil, got %v", tc.reason, got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got.Error()); diff != "" {
				t.Errorf("%s\nexplain(...): -want, +got:\n%s", tc.reason, diff)
			}
			if tc.still != nil && !tc.still(got) {
				t.Errorf("%s\nexplain(...) lost what the API server's error was: %v", tc.reason, got)
			}
		})
	}
}
