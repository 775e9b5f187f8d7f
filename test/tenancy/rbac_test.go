package tenancy

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestPersonaRoles applies examples/rbac/personas.yaml, binds each persona
// as the README says, and asks the API server's RBAC authorizer what each
// may do: an application team may ask for databases in its own namespace
// only, and none but the platform team may touch ClusterProviderConfigs or
// where the provider runs.
func TestPersonaRoles(t *testing.T) {
	env := testenv.Start(t)
	ctx := context.Background()
	c := env.Client
	if err := localenv.ApplyFile(ctx, c, filepath.Join(testenv.RepoRoot(t), "examples", "rbac", "personas.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"team-a", "team-b"} {
		create(t, c, namespace(ns))
	}
	bind := func(name, role, user, ns string) {
		subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user}}
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}
		if ns == "" {
			create(t, c, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subj, RoleRef: ref})
			return
		}
		create(t, c, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Subjects: subj, RoleRef: ref})
	}
	bind("platform", "dbaas-platform-team", "pat", "")
	bind("dba", "dbaas-dba", "dana", "")
	bind("dba-team-a", "dbaas-dba-namespace", "dana", "team-a")
	bind("app-team-a", "dbaas-app-team", "alice", "team-a")

	cases := []struct {
		user, verb, group, resource, ns string
		want                            bool
	}{
		{"alice", "create", "platform.dbaas.io", "databases", "team-a", true},
		{"alice", "get", "engine.dbaas.io", "databaseinstances", "team-a", true},
		{"alice", "get", "", "secrets", "team-a", true},
		{"alice", "create", "platform.dbaas.io", "databases", "team-b", false},
		{"alice", "create", "claims.dbaas.io", "databaseclaims", "team-a", true},
		{"alice", "create", "claims.dbaas.io", "xdatabases", "", false},
		{"alice", "get", "", "secrets", "team-b", false},
		{"alice", "create", "dbaas.io", "providerconfigs", "team-a", false},
		{"alice", "create", "dbaas.io", "clusterproviderconfigs", "", false},
		{"alice", "create", "engine.dbaas.io", "databaseinstances", "team-a", false},
		{"dana", "create", "sql.dbaas.io", "databaseclasses", "", true},
		{"dana", "create", "dbaas.io", "providerconfigs", "team-a", true},
		{"dana", "create", "dbaas.io", "providerconfigs", "team-b", false},
		{"dana", "create", "dbaas.io", "clusterproviderconfigs", "", false},
		{"dana", "get", "", "secrets", "team-b", false},
		{"pat", "create", "dbaas.io", "clusterproviderconfigs", "", true},
		{"pat", "delete", "compute.dbaas.io", "virtualmachines", "team-b", true},
	}
	// The RBAC authorizer reads bindings from its informers' cache, so a
	// binding just made may not be seen yet: what is allowed is waited
	// for, and only once every allowed case is seen (the cache holds all
	// the bindings) are the refusals checked.
	allowed := func(user, verb, group, res, ns string) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: ns, Verb: verb, Group: group, Resource: res,
			},
		}}
		if err := c.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		return sar.Status.Allowed
	}
	for _, want := range []bool{true, false} {
		for _, tc := range cases {
			if tc.want != want {
				continue
			}
			got := allowed(tc.user, tc.verb, tc.group, tc.resource, tc.ns)
			for deadline := time.Now().Add(time.Minute); want && !got && time.Now().Before(deadline); {
				time.Sleep(200 * time.Millisecond)
				got = allowed(tc.user, tc.verb, tc.group, tc.resource, tc.ns)
			}
			if got != tc.want {
				t.Errorf("%s may %s %s.%s in %q: %v, want %v", tc.user, tc.verb, tc.resource, tc.group, tc.ns, got, tc.want)
			}
		}
	}
}
