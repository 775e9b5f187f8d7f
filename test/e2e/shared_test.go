package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/localenv"
)

// TestSharedServer shows that the shared server `make up` starts is usable
// through its ClusterProviderConfig, as the platform's shared tier uses it:
// a sql User and a natively made Database, and a Database made through the
// DBAs' DatabaseClass, become Ready; the databases are on that server; the
// user logs in with verify-full against the CA the config names, and plain
// text is refused. Everything is deleted again, on the server too.
func TestSharedServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ns = "shared-server"
	createNamespace(t, ns)

	// What the platform team registered, read as a user of it would.
	srv := sharedServer(t)
	if srv.TLS == nil || srv.TLS.Mode != dbms.TLSVerifyFull || srv.TLS.CASecretRef == nil {
		t.Fatalf("ClusterProviderConfig %s: want TLS verify-full against a CA Secret, got %+v", localenv.SharedConfig, srv.TLS)
	}
	admin := secretData(t, srv.AdminCredentialsSecretRef.Namespace, srv.AdminCredentialsSecretRef.Name)
	ca := secretData(t, srv.TLS.CASecretRef.Namespace, srv.TLS.CASecretRef.Name)[srv.TLS.CASecretRef.Key]
	onServer := func(user, password, database string) map[string]string {
		return map[string]string{
			"username": user, "password": password, "database": database,
			"endpoint": srv.Host, "port": strconv.Itoa(int(srv.Port)),
			"sslmode": dbms.TLSVerifyFull, "ca.crt": ca,
		}
	}
	asAdmin := onServer(admin["username"], admin["password"], "postgres")
	if _, err := connect(t, asAdmin); err != nil {
		t.Fatalf("the admin credentials of %s do not log in with verify-full: %v", localenv.SharedConfig, err)
	}
	plain := onServer(admin["username"], admin["password"], "postgres")
	plain["sslmode"] = dbms.TLSDisable
	if c, err := localenv.Connect(ctx, plain); err == nil {
		_ = c.Close(ctx)
		t.Error("the shared server took a login without TLS")
	}

	byConfig := xpv2.ManagedResourceSpec{
		ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: localenv.SharedConfig},
	}
	user := &sqlv1alpha1.User{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}}
	user.Spec.ManagedResourceSpec = byConfig
	user.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "app-user"}
	user.Spec.ForProvider.Database = ptr("appdb")

	native := &sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "appdb"}}
	native.Spec.ManagedResourceSpec = byConfig

	classed := &sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "billing"}}
	classed.Spec.ManagedResourceSpec = byConfig
	classed.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "billing-conn"}
	classed.Spec.ForProvider.ClassRef = &sqlv1alpha1.ClassReference{Name: localenv.SharedDatabaseClass}
	classed.Spec.ForProvider.Parameters = map[string]string{"team": "payments"}

	made := []client.Object{user, native, classed}
	t.Cleanup(func() {
		// A failed test still takes its objects off the server.
		for _, o := range made {
			_ = env.Client.Delete(context.Background(), o)
		}
	})
	for _, o := range made {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatalf("cannot create %s: %v", o.GetName(), err)
		}
	}
	waitReady(t, sqlv1alpha1.UserGroupVersionKind, user)
	waitReady(t, sqlv1alpha1.DatabaseGroupVersionKind, native)
	waitReady(t, sqlv1alpha1.DatabaseGroupVersionKind, classed)

	dbs := names(t, asAdmin, "SELECT datname FROM pg_database")
	for _, want := range []string{"appdb", "billing"} {
		if !slices.Contains(dbs, want) {
			t.Errorf("database %s is not on the shared server; it has %v", want, dbs)
		}
	}
	if got := names(t, asAdmin, "SELECT team FROM dba.provisioned WHERE database = 'billing'"); !slices.Equal(got, []string{"payments"}) {
		t.Errorf("the DBAs' record has teams %v for billing, want [payments]: the class's procedure did not make it", got)
	}

	// The user's connection secret opens its database as an application
	// would open it: verify-full against the CA it carries.
	app, err := env.ConnectionDetails(ctx, ns, "app-user")
	if err != nil {
		t.Fatal(err)
	}
	if app["sslmode"] != dbms.TLSVerifyFull || app["ca.crt"] != ca {
		t.Errorf("the user's connection secret has sslmode %q and ca.crt of %d bytes; want verify-full and the shared server's CA", app["sslmode"], len(app["ca.crt"]))
	}
	loginEncrypted(t, "the user, to appdb,", app)
	// The class's owner role, whose credentials the DBAs' procedure
	// returned, logs in to its database on the same server.
	billing, err := env.ConnectionDetails(ctx, ns, "billing-conn")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, onServer(billing["username"], billing["password"], billing["database"])); err != nil {
		t.Errorf("the class's credentials do not log in to billing with verify-full: %v", err)
	}
	// Its connection secret alone is enough for an application, as the
	// shared tier hands it to one: it names the server and how to verify
	// it, like the User's.
	for k, want := range onServer(billing["username"], billing["password"], "billing") {
		if billing[k] != want {
			t.Errorf("the class Database's connection secret has %s %q, want %q", k, redacted(k, billing[k]), redacted(k, want))
		}
	}
	loginEncrypted(t, "the class Database, to billing,", billing)

	for _, o := range made {
		if err := env.Client.Delete(ctx, o); err != nil && !kerrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	if err := env.WaitForGone(ctx, ns, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	dbs = names(t, asAdmin, "SELECT datname FROM pg_database")
	roles := names(t, asAdmin, "SELECT rolname FROM pg_roles")
	for _, gone := range []string{"appdb", "billing"} {
		if slices.Contains(dbs, gone) {
			t.Errorf("database %s is still on the shared server after its Database was deleted", gone)
		}
	}
	for _, gone := range []string{"app", "billing_owner"} {
		if slices.Contains(roles, gone) {
			t.Errorf("role %s is still on the shared server after its resource was deleted", gone)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// loginEncrypted logs in with a connection secret alone, as an application
// would, and checks that the session is encrypted; who names the login in
// errors.
func loginEncrypted(t *testing.T, who string, d map[string]string) {
	t.Helper()
	c, err := connect(t, d)
	if err != nil {
		t.Errorf("%s cannot log in with its connection secret alone: %v", who, err)
		return
	}
	var encrypted bool
	if err := c.QueryRow(context.Background(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&encrypted); err != nil || !encrypted {
		t.Errorf("the session of %s is not encrypted (ssl %v, %v)", who, encrypted, err)
	}
}

// redacted is a connection secret's value fit for a test log: a password
// only by its length.
func redacted(key, value string) string {
	if key == "password" {
		return fmt.Sprintf("(%d bytes)", len(value))
	}
	return value
}

// sharedServer returns the existing server the ClusterProviderConfig
// shared-local names.
func sharedServer(t *testing.T) *apisv1alpha1.ExistingServer {
	t.Helper()
	pc := &apisv1alpha1.ClusterProviderConfig{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: localenv.SharedConfig}, pc); err != nil {
		t.Fatalf("cannot get ClusterProviderConfig %s: %v", localenv.SharedConfig, err)
	}
	if pc.Spec.Server == nil {
		t.Fatalf("ClusterProviderConfig %s names no server", localenv.SharedConfig)
	}
	return pc.Spec.Server
}

// secretData returns a Secret's data as strings.
func secretData(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	s := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		t.Fatalf("cannot get Secret %s/%s: %v", ns, name, err)
	}
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	if len(out) == 0 {
		t.Fatalf("Secret %s/%s is empty", ns, name)
	}
	return out
}

// connect opens a connection with connection details; it is closed when the
// test ends.
func connect(t *testing.T, d map[string]string) (*pgx.Conn, error) {
	t.Helper()
	c, err := localenv.Connect(context.Background(), d)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, nil
}

// names runs a query returning one text column on the server and returns
// its values.
func names(t *testing.T, d map[string]string, query string) []string {
	t.Helper()
	c, err := connect(t, d)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitReady waits until a managed resource is Ready, reporting each change
// of the resources in its namespace.
func waitReady(t *testing.T, gvk schema.GroupVersionKind, o client.Object) {
	t.Helper()
	if _, err := env.WaitForReady(context.Background(), gvk, o.GetNamespace(), o.GetName(), 4*time.Minute, func(s string) { t.Log(s) }); err != nil {
		t.Fatal(err)
	}
}
