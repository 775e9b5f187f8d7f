package existing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

func ptr[T any](v T) *T { return &v }

// TestExistingServers runs every scenario on every engine, against one API
// server and one manager with the SQL controllers.
func TestExistingServers(t *testing.T) {
	e := sqlenv.StartWithoutServer(t)
	for _, start := range []func(*testing.T) *engine{postgreSQL, mariaDB} {
		eng := start(t)
		t.Run(eng.name, func(t *testing.T) {
			s := &suite{Env: e, eng: eng, ns: eng.name}
			s.setUp(t)
			t.Run("NativeUserDatabaseGrant", s.nativeUserDatabaseGrant)
			t.Run("ClassLifecycle", s.classLifecycle)
			t.Run("ClassContractBroken", s.classContractBroken)
			t.Run("ClassPolicyRefusal", s.classPolicyRefusal)
			t.Run("ClassDeleteRefused", s.classDeleteRefused)
			t.Run("ImportThroughConfigs", s.importThroughConfigs)
			t.Run("TenantBoundaries", s.tenantBoundaries)
			t.Run("HostileNames", s.hostileNames)
			t.Run("WrongAdminPassword", s.wrongAdminPassword)
			t.Run("ServerOutage", s.serverOutage)
			if eng.name == "postgresql" {
				t.Run("ServerLimit", s.serverLimit)
			}
			if !t.Failed() {
				return
			}
			t.Logf("controller log:\n%s", e.Log.String())
		})
	}
}

// A suite is the scenarios on one engine, in a namespace of its own.
type suite struct {
	*sqlenv.Env
	eng *engine
	ns  string
}

const (
	config    = "shared"
	badConfig = "wrong-password"
)

// setUp makes the namespace, the admin Secrets, the ProviderConfigs and the
// example DatabaseClass, and loads the DBAs' procedures.
func (s *suite) setUp(t *testing.T) {
	s.eng.loadProcedures(t)
	s.create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}})
	// The server is verified as an application verifies it, with
	// verify-full against its CA, which the connection secrets pass on.
	s.create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "server-ca"},
		Data:       map[string][]byte{"ca.crt": s.eng.ca},
	})
	for name, pw := range map[string]string{config: s.eng.password, badConfig: "not-" + s.eng.password} {
		s.create(t, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: name + "-admin"},
			Data:       map[string][]byte{"username": []byte(s.eng.admin), "password": []byte(pw)},
		})
		s.create(t, &apisv1alpha1.ProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: name},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Server: &apisv1alpha1.ExistingServer{
				Engine:                    apisv1alpha1.ServerEngine(s.eng.name),
				Host:                      s.eng.host,
				Port:                      int32(s.eng.port),
				AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: s.ns, Name: name + "-admin"},
				TLS: &apisv1alpha1.ServerTLS{Mode: "verify-full", CASecretRef: &xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Namespace: s.ns, Name: "server-ca"}, Key: "ca.crt",
				}},
				MaxOperationsPerSecond: 50,
			}},
		})
	}
	s.create(t, s.exampleClass(t))
	s.setUpPlatform(t)
}

// exampleClass is examples/existing-server/<engine>/databaseclass.yaml as a
// user would apply it.
func (s *suite) exampleClass(t *testing.T) *v1alpha1.DatabaseClass {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "examples", "existing-server", s.eng.name, "databaseclass.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := &v1alpha1.DatabaseClass{}
	if err := yaml.UnmarshalStrict(b, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *suite) create(t *testing.T, o client.Object) {
	t.Helper()
	if err := s.Client.Create(context.Background(), o); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatalf("cannot create %s: %v", o.GetName(), err)
	}
}

func (s *suite) managed(name string, spec *xpv2.ManagedResourceSpec, secret string, pc string) metav1.ObjectMeta {
	spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: pc}
	if secret != "" {
		spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: secret}
	}
	return metav1.ObjectMeta{Namespace: s.ns, Name: name}
}

func (s *suite) database(name, secret string, mod func(*v1alpha1.Database)) *v1alpha1.Database {
	d := &v1alpha1.Database{}
	d.ObjectMeta = s.managed(name, &d.Spec.ManagedResourceSpec, secret, config)
	if mod != nil {
		mod(d)
	}
	return d
}

// secret returns a connection secret's data, or nil when there is none.
func (s *suite) secret(t *testing.T, name string) map[string][]byte {
	t.Helper()
	sec := &corev1.Secret{}
	err := s.Client.Get(context.Background(), types.NamespacedName{Namespace: s.ns, Name: name}, sec)
	if kerrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return sec.Data
}

// waitSyncedFalse waits for Synced=False with a message containing every
// one of want, and returns the message.
func (s *suite) waitSyncedFalse(t *testing.T, mg resource.Managed, want ...string) string {
	t.Helper()
	var msg string
	wait.For(t, sqlenv.Timeout, fmt.Sprintf("%s to be Synced=False with %q", mg.GetName(), want), func() (bool, error) {
		if err := s.Client.Get(context.Background(), client.ObjectKeyFromObject(mg), mg); err != nil {
			return false, err
		}
		c := mg.GetCondition(xpv2.TypeSynced)
		msg = c.Message
		if c.Status != corev1.ConditionFalse {
			return false, fmt.Errorf("synced is %s: %s", c.Status, c.Message)
		}
		for _, w := range want {
			if !strings.Contains(c.Message, w) {
				return false, fmt.Errorf("message %q lacks %q", c.Message, w)
			}
		}
		return true, nil
	})
	return msg
}

func (s *suite) delete(t *testing.T, o client.Object) {
	t.Helper()
	if err := s.Client.Delete(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	s.WaitGone(t, o)
}

// update applies mod to the latest o, retrying on conflicts with the
// controllers' own writes.
func update[T client.Object](t *testing.T, s *suite, o T, mod func(T)) {
	t.Helper()
	wait.For(t, sqlenv.Timeout, "an update of "+o.GetName(), func() (bool, error) {
		if err := s.Client.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			return false, err
		}
		mod(o)
		err := s.Client.Update(context.Background(), o)
		return err == nil, err
	})
}

func (s *suite) nativeUserDatabaseGrant(t *testing.T) {
	u := &v1alpha1.User{}
	u.ObjectMeta = s.managed("app", &u.Spec.ManagedResourceSpec, "app-user", config)
	u.Spec.ForProvider.Database = ptr("appdb")
	s.eng.user(&u.Spec.ForProvider)
	s.create(t, u)

	d := s.database("appdb", "", func(d *v1alpha1.Database) { s.eng.native(&d.Spec.ForProvider) })
	s.create(t, d)

	g := &v1alpha1.Grant{}
	g.ObjectMeta = s.managed("app-appdb", &g.Spec.ManagedResourceSpec, "", config)
	g.Spec.ForProvider.UserRef = &xpv2.NamespacedReference{Name: "app"}
	g.Spec.ForProvider.DatabaseRef = &xpv2.NamespacedReference{Name: "appdb"}
	g.Spec.ForProvider.Host = u.Spec.ForProvider.Host
	g.Spec.ForProvider.Privileges = s.eng.privileges
	s.create(t, g)

	s.WaitReady(t, u)
	s.WaitReady(t, d)
	s.WaitReady(t, g)
	if !slices.Equal(g.Status.AtProvider.Privileges, s.eng.observed) {
		t.Errorf("Grant status.atProvider.privileges = %v, want %v", g.Status.AtProvider.Privileges, s.eng.observed)
	}

	conn := s.secret(t, "app-user")
	if string(conn["endpoint"]) != s.eng.host || string(conn["port"]) != strconv.Itoa(s.eng.port) || string(conn["username"]) != "app" {
		t.Errorf("connection secret = endpoint %q port %q username %q; want the server and the user", conn["endpoint"], conn["port"], conn["username"])
	}
	old := string(conn["password"])
	if err := s.eng.login(t, "app", old, "appdb"); err != nil {
		t.Fatalf("the published password does not log in: %v", err)
	}

	// Rotation on request: a new password in the secret, the old one dead.
	update(t, s, u, func(u *v1alpha1.User) { u.Spec.ForProvider.CredentialRotation = "first" })
	wait.For(t, sqlenv.Timeout, "the rotation to be carried out", func() (bool, error) {
		err := s.Client.Get(context.Background(), client.ObjectKeyFromObject(u), u)
		return u.Status.AtProvider.CredentialRotation == "first", err
	})
	rotated := string(s.secret(t, "app-user")["password"])
	if rotated == "" || rotated == old {
		t.Fatalf("the connection secret's password did not change on rotation")
	}
	if err := s.eng.login(t, "app", rotated, "appdb"); err != nil {
		t.Errorf("the rotated password does not log in: %v", err)
	}
	if err := s.eng.login(t, "app", old, "appdb"); err == nil {
		t.Error("the old password still logs in after rotation")
	}

	s.delete(t, g)
	s.delete(t, d)
	s.delete(t, u)
	if slices.Contains(s.eng.databases(t), "appdb") {
		t.Error("database appdb is still on the server after its Database was deleted")
	}
}

func (s *suite) classDatabase(name, team string) *v1alpha1.Database {
	return s.database(name, name+"-conn", func(d *v1alpha1.Database) {
		d.Spec.ForProvider.ClassRef = &v1alpha1.ClassReference{Name: s.exampleClassName()}
		d.Spec.ForProvider.Parameters = map[string]string{"team": team}
	})
}

func (s *suite) exampleClassName() string { return s.eng.name + "-dba" }

func (s *suite) classLifecycle(t *testing.T) {
	d := s.classDatabase("billing", "payments")
	s.create(t, d)
	s.WaitReady(t, d)

	conn := s.secret(t, "billing-conn")
	keys := make([]string, 0, len(conn))
	for k := range conn {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// The class's outputs, and what a native User's secret has besides:
	// the server and how to verify it.
	if want := []string{"ca.crt", "database", "endpoint", "password", "port", "sslmode", "username"}; !slices.Equal(keys, want) {
		t.Errorf("connection secret keys = %v, want exactly %v", keys, want)
	}
	server := map[string]string{"endpoint": s.eng.host, "port": strconv.Itoa(s.eng.port), "sslmode": "verify-full", "ca.crt": string(s.eng.ca)}
	for k, want := range server {
		if got := string(conn[k]); got != want {
			t.Errorf("connection secret %s = %q, want %q", k, got, want)
		}
	}
	old := string(conn["password"])
	if err := s.eng.login(t, string(conn["username"]), old, "billing"); err != nil {
		t.Fatalf("the procedure's credentials do not log in: %v", err)
	}
	if err := s.eng.connect(t, conn); err != nil {
		t.Errorf("an application cannot connect with the connection secret alone (verify-full): %v", err)
	}
	if got := s.eng.provisioned(t, "billing"); !slices.Equal(got, []string{"payments"}) {
		t.Errorf("the DBAs' record has teams %v, want [payments]", got)
	}

	update(t, s, d, func(d *v1alpha1.Database) { d.Spec.ForProvider.CredentialRotation = "2026-11-21" })
	wait.For(t, sqlenv.Timeout, "the rotation to be carried out", func() (bool, error) {
		err := s.Client.Get(context.Background(), client.ObjectKeyFromObject(d), d)
		return d.Status.AtProvider.CredentialRotation == "2026-11-21", err
	})
	rotated := string(s.secret(t, "billing-conn")["password"])
	if rotated == "" || rotated == old {
		t.Fatal("the rotate procedure's password was not published")
	}
	if err := s.eng.login(t, string(conn["username"]), rotated, "billing"); err != nil {
		t.Errorf("the rotated password does not log in: %v", err)
	}
	if err := s.eng.connect(t, s.secret(t, "billing-conn")); err != nil {
		t.Errorf("an application cannot connect with the rotated connection secret alone: %v", err)
	}
	if err := s.eng.login(t, string(conn["username"]), old, "billing"); err == nil {
		t.Error("the old password still logs in after rotation")
	}

	s.delete(t, d)
	if slices.Contains(s.eng.databases(t), "billing") {
		t.Error("the delete procedure was not called: billing is still on the server")
	}
	if got := s.eng.provisioned(t, "billing"); len(got) != 0 {
		t.Errorf("the DBAs' record still lists billing: %v", got)
	}
}

// classContractBroken: procedures that return no rows, too few keys or too
// many give a clear condition and no connection secret at all.
func (s *suite) classContractBroken(t *testing.T) {
	cases := map[string]string{
		"no-rows":     "faults.no_rows returned no rows; it must return the keys password, username",
		"missing-key": "faults.missing_key did not return the keys password; nothing was published",
		"extra-key":   "faults.extra_key returned keys the class does not map, host",
	}
	for name, want := range cases {
		proc := "faults." + strings.ReplaceAll(name, "-", "_")
		class := &v1alpha1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: s.eng.name + "-" + name}}
		class.Spec.Engine = s.eng.name
		class.Spec.Create = v1alpha1.ProcedureCall{
			Procedure: proc,
			Inputs:    []v1alpha1.ProcedureInput{{Name: "p_name", Value: "{{ .ExternalName }}"}},
			Outputs:   []v1alpha1.ProcedureOutput{{Key: "username"}, {Key: "password"}},
		}
		s.create(t, class)
		d := s.database("broken-"+name, "broken-"+name+"-conn", func(d *v1alpha1.Database) {
			d.Spec.ForProvider.ClassRef = &v1alpha1.ClassReference{Name: class.Name}
		})
		s.create(t, d)
		s.waitSyncedFalse(t, d, fmt.Sprintf("DatabaseClass %q", class.Name), want)
		if got := s.secret(t, "broken-"+name+"-conn"); got != nil {
			t.Errorf("%s: a connection secret was written: %v", name, keysOf(got))
		}
		// The class has no delete procedure; orphan to let it go.
		update(t, s, d, func(d *v1alpha1.Database) {
			d.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
		})
		s.delete(t, d)
	}
}

// classPolicyRefusal: the DBAs' own error is the condition's message, and a
// corrected resource recovers.
func (s *suite) classPolicyRefusal(t *testing.T) {
	d := s.classDatabase("policy-test", "payments")
	meta.SetExternalName(d, "Not_Allowed")
	s.create(t, d)
	s.waitSyncedFalse(t, d, "breaks the naming policy")
	if slices.Contains(s.eng.databases(t), "Not_Allowed") {
		t.Error("a database was made despite the procedure's refusal")
	}
	s.delete(t, d)
}

// classDeleteRefused: a delete procedure that fails keeps the resource, its
// finalizer and the database, and says why; when the DBAs put things right
// the delete goes through with no one's help.
func (s *suite) classDeleteRefused(t *testing.T) {
	d := s.classDatabase("keepme", "payments")
	s.create(t, d)
	s.WaitReady(t, d)
	s.eng.forget(t, "keepme", "payments")
	if err := s.Client.Delete(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	s.waitSyncedFalse(t, d, "was not provisioned by dba.create_database")
	if d.GetDeletionTimestamp() == nil || len(d.GetFinalizers()) == 0 {
		t.Errorf("the Database lost its finalizer while its delete procedure fails: %v", d.GetFinalizers())
	}
	if !slices.Contains(s.eng.databases(t), "keepme") {
		t.Fatal("the database is gone although its delete procedure failed")
	}
	s.eng.remember(t, "keepme", "payments")
	s.WaitGone(t, d)
	if slices.Contains(s.eng.databases(t), "keepme") {
		t.Error("the database is still there after the delete went through")
	}
}

// hostileNames: names and parameters carrying quotes, statement ends,
// comments and look-alikes reach the server as data.
func (s *suite) hostileNames(t *testing.T) {
	before := s.eng.databases(t)
	name := "x\"`'; DROP DATABASE postgres; -- ＇/*"
	d := s.database("hostile", "", func(d *v1alpha1.Database) { meta.SetExternalName(d, name) })
	s.create(t, d)
	s.WaitReady(t, d)
	after := s.eng.databases(t)
	if want := append(slices.Clone(before), name); !sameSet(after, want) {
		t.Errorf("databases after creating %q: got %v, want %v", name, after, want)
	}

	team := "ops'); DROP TABLE dba.provisioned; --"
	c := s.classDatabase("hostile-param", team)
	meta.SetExternalName(c, "hostile_param")
	s.create(t, c)
	s.WaitReady(t, c)
	if got := s.eng.provisioned(t, "hostile_param"); !slices.Equal(got, []string{team}) {
		t.Errorf("the procedure recorded teams %q, want exactly %q", got, team)
	}
	s.delete(t, c)
	s.delete(t, d)
	if after := s.eng.databases(t); !sameSet(after, before) {
		t.Errorf("databases after deleting: got %v, want %v", after, before)
	}
}

func (s *suite) wrongAdminPassword(t *testing.T) {
	d := &v1alpha1.Database{}
	d.ObjectMeta = s.managed("refused", &d.Spec.ManagedResourceSpec, "", badConfig)
	s.create(t, d)
	addr := fmt.Sprintf("%s server %s:%d", s.eng.name, s.eng.host, s.eng.port)
	msg := s.waitSyncedFalse(t, d, "cannot connect to "+addr)
	if strings.Contains(msg, s.eng.password) {
		t.Error("the condition shows the admin password")
	}
	update(t, s, d, func(d *v1alpha1.Database) {
		d.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
	})
	s.delete(t, d)
}

// serverOutage: while the server is down resources say so and which server;
// when it is back they recover with no one's help.
func (s *suite) serverOutage(t *testing.T) {
	if err := s.eng.stop(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = s.eng.resume()
		}
	}()
	d := s.database("during-outage", "", nil)
	s.create(t, d)
	s.waitSyncedFalse(t, d, fmt.Sprintf("cannot connect to %s server %s:%d", s.eng.name, s.eng.host, s.eng.port))
	if err := s.eng.resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	s.WaitReady(t, d)
	s.delete(t, d)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func keysOf(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
