package existing

import (
	"context"
	"fmt"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// serverLimit: the platform's ClusterProviderConfig sets how many operations
// per second the shared server takes. Team A's namespaced ProviderConfig
// for the same server asks for 500, and its resources are made first,
// before anyone's comes through the platform's config; team B's go through
// a ProviderConfig of its own. Both teams' Users become Ready on the real
// server, and the limit every namespace's operations wait on is the
// platform's: team A's 500 is a cap on team A alone, and it raised nothing
// for team B. A later raise of team A's config changes nothing either.
func (s *suite) serverLimit(t *testing.T) {
	ctx := context.Background()
	const platform, teamA, raised = 5, 500, 1000
	pc := &apisv1alpha1.ClusterProviderConfig{}
	pc.SetName(s.platformConfig())
	var before int32
	if err := testenv.Mutate(ctx, s.Client, pc, func(pc *apisv1alpha1.ClusterProviderConfig) {
		before = pc.Spec.Server.MaxOperationsPerSecond
		pc.Spec.Server.MaxOperationsPerSecond = platform
	}); err != nil {
		t.Fatal(err)
	}
	// The scenarios after this one get the server's limit back.
	t.Cleanup(func() {
		if err := testenv.Mutate(ctx, s.Client, pc, func(pc *apisv1alpha1.ClusterProviderConfig) { pc.Spec.Server.MaxOperationsPerSecond = before }); err != nil {
			t.Error(err)
		}
	})
	mine := &apisv1alpha1.ProviderConfig{}
	mine.SetNamespace(s.ns)
	mine.SetName(config)
	if err := testenv.Mutate(ctx, s.Client, mine, func(pc *apisv1alpha1.ProviderConfig) { pc.Spec.Server.MaxOperationsPerSecond = teamA }); err != nil {
		t.Fatal(err)
	}

	b := &suite{Env: s.Env, eng: s.eng, ns: s.ns + "-limits"}
	b.setUpTeam(t)
	au := s.user("limited-a", "limited_a", "")
	s.create(t, au)
	s.WaitReady(t, au)
	bu := b.user("limited-b", "limited_b", "")
	b.create(t, bu)
	b.WaitReady(t, bu)

	key := dbms.Config{Engine: dbms.Engine(s.eng.name), Host: s.eng.host, Port: s.eng.port}.String()
	// A reconcile that read the configs just before they changed may
	// still set the old rates once; every later one sets the new ones.
	check := func(t *testing.T, ns string, wantOwn float64) {
		t.Helper()
		wait.For(t, sqlenv.Timeout, ns+"'s limits on the server", func() (bool, error) {
			got, own := s.ServerLimiters.Rate(key, ns)
			return got == platform && own == wantOwn,
				fmt.Errorf("the server's limit is %v operations per second (want the platform's %d), %s's own cap %v (want %v)", got, platform, ns, own, wantOwn)
		})
	}
	check(t, s.ns, teamA)
	check(t, b.ns, server.DefaultPerSecond)

	// Team A raises its config once more, and one more of its Users
	// connects under it: the server's limit stays the platform's.
	if err := testenv.Mutate(ctx, s.Client, mine, func(pc *apisv1alpha1.ProviderConfig) { pc.Spec.Server.MaxOperationsPerSecond = raised }); err != nil {
		t.Fatal(err)
	}
	again := s.user("limited-a2", "limited_a2", "")
	s.create(t, again)
	s.WaitReady(t, again)
	check(t, s.ns, raised)
	check(t, b.ns, server.DefaultPerSecond)

	for _, o := range []resource.Managed{au, again} {
		s.delete(t, o)
	}
	b.delete(t, bu)
}
