package existing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// platformConfig is the ClusterProviderConfig of each engine's server, as a
// platform team would make it; imports are honoured only through it.
func (s *suite) platformConfig() string { return s.eng.name + "-platform" }

// setUpPlatform makes the engine's ClusterProviderConfig, reading the admin
// Secret of the suite's namespace (a cluster-scoped config may).
func (s *suite) setUpPlatform(t *testing.T) {
	s.create(t, &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: s.platformConfig()},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Server: &apisv1alpha1.ExistingServer{
			Engine:                    apisv1alpha1.ServerEngine(s.eng.name),
			Host:                      s.eng.host,
			Port:                      int32(s.eng.port),
			AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: s.ns, Name: config + "-admin"},
			TLS:                       &apisv1alpha1.ServerTLS{Mode: "disable"},
		}},
	})
}

// setUpTeam makes a namespace with its own admin Secret and ProviderConfig
// for the same server, as another team sharing it would have.
func (s *suite) setUpTeam(t *testing.T) {
	s.create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}})
	s.create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: config + "-admin"},
		Data:       map[string][]byte{"username": []byte(s.eng.admin), "password": []byte(s.eng.password)},
	})
	s.create(t, &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: config},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Server: &apisv1alpha1.ExistingServer{
			Engine:                    apisv1alpha1.ServerEngine(s.eng.name),
			Host:                      s.eng.host,
			Port:                      int32(s.eng.port),
			AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: s.ns, Name: config + "-admin"},
			TLS:                       &apisv1alpha1.ServerTLS{Mode: "disable"},
		}},
	})
}

func (s *suite) user(name, external, secret string) *v1alpha1.User {
	u := &v1alpha1.User{}
	u.ObjectMeta = s.managed(name, &u.Spec.ManagedResourceSpec, secret, config)
	meta.SetExternalName(u, external)
	s.eng.user(&u.Spec.ForProvider)
	return u
}

// tenantBoundaries: on a server two teams share, team A (s.ns) can neither
// take over nor drop what team B made through the provider, nor grant on it,
// nor manage the admin or built-in accounts. Each attempt is refused with a
// condition that says why; afterwards team B's database, its rows, its
// owner, its role's password and its grants are as they were, and deleting
// team A's refused resources removes nothing.
func (s *suite) tenantBoundaries(t *testing.T) {
	ctx := context.Background()
	b := &suite{Env: s.Env, eng: s.eng, ns: s.ns + "-team-b"}
	b.setUpTeam(t)

	// Team B's user, database and grant, made through the provider.
	bu := b.user("owner", "teamb_user", "teamb-user")
	b.create(t, bu)
	bd := b.database("data", "", func(d *v1alpha1.Database) { meta.SetExternalName(d, "teamb_db") })
	b.create(t, bd)
	bg := &v1alpha1.Grant{}
	bg.ObjectMeta = b.managed("owner-on-data", &bg.Spec.ManagedResourceSpec, "", config)
	bg.Spec.ForProvider.User, bg.Spec.ForProvider.Database = ptr("teamb_user"), ptr("teamb_db")
	bg.Spec.ForProvider.Host = bu.Spec.ForProvider.Host
	bg.Spec.ForProvider.Privileges = s.eng.privileges
	b.create(t, bg)
	for _, o := range []resource.Managed{bu, bd, bg} {
		b.WaitReady(t, o)
	}
	s.eng.createTable(t, "teamb_db")
	pw := string(b.secret(t, "teamb-user")["password"])
	if err := s.eng.login(t, "teamb_user", pw, "teamb_db"); err != nil {
		t.Fatalf("team B's password does not log in before the test: %v", err)
	}
	ownerBefore := s.eng.databaseOwner(t, "teamb_db")
	grantsBefore := s.eng.grantedOn(t, "teamb_user")

	// Team A's own user, to grant to.
	au := s.user("mine", "teama_user", "teama-user")
	s.create(t, au)
	s.WaitReady(t, au)

	// 1. A User named like team B's role: refused, nothing published.
	steal := s.user("steal", "teamb_user", "steal-conn")
	s.create(t, steal)
	s.waitSyncedFalse(t, steal, `user "teamb_user" belongs to another resource (`+b.ns+"/", "choose another name")

	// 2. A User named like the admin, or a built-in account: refused.
	admin := s.user("admin", s.eng.admin, "admin-conn")
	s.create(t, admin)
	s.waitSyncedFalse(t, admin, `user "`+s.eng.admin+`" is the server's admin account`)
	builtin := map[string]string{"postgresql": "pg_monitor", "mariadb": "mariadb.sys"}[s.eng.name]
	sys := s.user("builtin", builtin, "builtin-conn")
	s.create(t, sys)
	s.waitSyncedFalse(t, sys, `user "`+builtin+`"`, "never manages")

	// 3. A Database named like team B's: refused, neither taken over nor
	// (below, on delete) dropped.
	take := s.database("take", "", func(d *v1alpha1.Database) {
		meta.SetExternalName(d, "teamb_db")
		if s.eng.name == "postgresql" {
			d.Spec.ForProvider.Owner = ptr("teama_user")
		}
	})
	s.create(t, take)
	s.waitSyncedFalse(t, take, `database "teamb_db" belongs to another resource (`+b.ns+"/")

	// 4. A Grant to team A's user on team B's database: refused.
	g := &v1alpha1.Grant{}
	g.ObjectMeta = s.managed("sneak", &g.Spec.ManagedResourceSpec, "", config)
	g.Spec.ForProvider.User, g.Spec.ForProvider.Database = ptr("teama_user"), ptr("teamb_db")
	g.Spec.ForProvider.Host = au.Spec.ForProvider.Host
	g.Spec.ForProvider.Privileges = s.eng.privileges
	s.create(t, g)
	s.waitSyncedFalse(t, g, `database "teamb_db" belongs to namespace `+b.ns+`, not `+s.ns)

	// 5. A Grant on the server's own schema, or on every database, is
	// refused by the API server itself (the controller refuses it too).
	for _, name := range []string{"mysql", "*", "template1"} {
		gm := &v1alpha1.Grant{}
		gm.ObjectMeta = s.managed("sneak-builtin", &gm.Spec.ManagedResourceSpec, "", config)
		gm.Spec.ForProvider.User, gm.Spec.ForProvider.Database = ptr("teama_user"), ptr(name)
		gm.Spec.ForProvider.Host = au.Spec.ForProvider.Host
		gm.Spec.ForProvider.Privileges = []string{"SELECT"}
		if err := s.Client.Create(ctx, gm); err == nil || !strings.Contains(err.Error(), "built-in databases are never granted on") {
			t.Errorf("a Grant on %q: create error %v, want the CRD's refusal", name, err)
		}
	}
	if got := s.eng.grantedOn(t, "teama_user"); len(got) != 0 {
		t.Errorf("team A's user holds privileges on %v after refused grants", got)
	}

	// Nothing of team A's refused resources was published.
	for _, name := range []string{"steal-conn", "admin-conn", "builtin-conn"} {
		if got := s.secret(t, name); got != nil {
			t.Errorf("connection secret %s was written for a refused User: keys %v", name, keysOf(got))
		}
	}

	// Deleting the refused resources finishes without touching anything.
	for _, o := range []client.Object{steal, admin, sys, take, g} {
		s.delete(t, o)
	}

	// Afterwards team B's objects are as they were.
	if !slices.Contains(s.eng.databases(t), "teamb_db") || !s.eng.hasTable(t, "teamb_db") {
		t.Fatal("team B's database, or its table, is gone")
	}
	if got := s.eng.databaseOwner(t, "teamb_db"); got != ownerBefore {
		t.Errorf("team B's database owner changed from %q to %q", ownerBefore, got)
	}
	if err := s.eng.login(t, "teamb_user", pw, "teamb_db"); err != nil {
		t.Errorf("team B's role no longer logs in with its password: %v", err)
	}
	if err := s.eng.login(t, s.eng.admin, s.eng.password, ""); err != nil {
		t.Errorf("the admin no longer logs in with its password: %v", err)
	}
	if got := s.eng.grantedOn(t, "teamb_user"); !slices.Equal(got, grantsBefore) {
		t.Errorf("team B's grants changed from %v to %v", grantsBefore, got)
	}
	if got := s.eng.grantedOn(t, "teama_user"); len(got) != 0 {
		t.Errorf("team A's user holds privileges on %v", got)
	}
	for _, o := range []resource.Managed{bu, bd, bg} {
		if err := s.Client.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		if c := o.GetCondition(xpv2.TypeSynced); c.Status != corev1.ConditionTrue {
			t.Errorf("team B's %s is no longer Synced: %s", o.GetName(), c.Message)
		}
	}

	s.delete(t, au)
	b.delete(t, bg)
	b.delete(t, bd)
	b.delete(t, bu)
}

// importThroughConfigs: adopting an existing database by annotation is
// refused through a namespaced ProviderConfig, and done through the
// platform's ClusterProviderConfig, which writes the marker. An orphaning
// delete keeps the database and its data.
func (s *suite) importThroughConfigs(t *testing.T) {
	s.eng.exec(t, "CREATE DATABASE legacy")
	s.eng.createTable(t, "legacy")
	orphan := xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize}
	importing := func(d *v1alpha1.Database) {
		meta.SetExternalName(d, "legacy")
		meta.AddAnnotations(d, map[string]string{ownership.ImportAnnotation: "true"})
		d.Spec.ManagementPolicies = orphan
	}

	refused := s.database("legacy-namespaced", "", importing)
	s.create(t, refused)
	s.waitSyncedFalse(t, refused, `database "legacy" exists and was not made by this provider`, "honoured only through a ClusterProviderConfig")
	if m := s.eng.databaseMarker(t, "legacy"); m != "" {
		t.Errorf("a refused import marked the database: %q", m)
	}
	s.delete(t, refused)

	d := s.database("legacy-import", "", importing)
	d.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: s.platformConfig()}
	s.create(t, d)
	s.WaitReady(t, d)
	want := ownership.Of(d).Marker()
	wait.For(t, sqlenv.Timeout, "the import's marker on the database", func() (bool, error) {
		m := s.eng.databaseMarker(t, "legacy")
		return strings.Contains(m, want), fmt.Errorf("marker %q, want %q", m, want)
	})

	s.delete(t, d)
	if !slices.Contains(s.eng.databases(t), "legacy") || !s.eng.hasTable(t, "legacy") {
		t.Fatal("the orphaned database, or its data, is gone")
	}
	s.eng.exec(t, "DROP DATABASE legacy")
}
