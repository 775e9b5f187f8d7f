package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

// TestDatabaseBecomesWorkingDatabase applies the example Database, the
// platform's Crossplane v2 API, exactly as a user would and follows it
// through Crossplane core, the function and the provider to a PostgreSQL
// database that the connection secret in its namespace opens (verify-full),
// then deletes it and checks that the engine and the machine are gone.
func TestDatabaseBecomesWorkingDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, _ := filepath.Abs("../..")
	if err := localenv.ApplyFile(ctx, env.Client, filepath.Join(root, "examples", "database-dev.yaml")); err != nil {
		t.Fatal(err)
	}
	xr, err := env.WaitForReady(ctx, localenv.DatabaseGVK, "team-a", "orders", 4*time.Minute, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}

	// Every composed resource lands in the Database's namespace, controlled
	// by the Database itself: a v2 XR has no cluster-scoped composite.
	assertOneOfEachControlledBy(t, "team-a", localenv.DatabaseGVK, "orders")

	d, err := env.ConnectionDetails(ctx, "team-a", "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"username", "password", "endpoint", "port", "database"} {
		if d[k] == "" {
			t.Errorf("connection secret has no %q", k)
		}
	}
	if d["database"] != "orders" {
		t.Errorf("database: want orders (from the Database's name), got %q", d["database"])
	}
	if d["sslmode"] != "verify-full" || d["ca.crt"] == "" {
		t.Errorf("the connection secret should verify the server: sslmode %q, ca.crt %d bytes", d["sslmode"], len(d["ca.crt"]))
	}
	conn, err := localenv.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	// The application's user owns its database: it can create tables.
	if _, err := conn.Exec(ctx, "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
		t.Errorf("the Database's user cannot create a table: %v", err)
	}
	var user, db string
	if err := conn.QueryRow(ctx, "SELECT current_user, current_database()").Scan(&user, &db); err != nil {
		t.Fatal(err)
	}
	// The settings the function derived from the SKU reach the server.
	// PostgreSQL shows sizes in the largest unit that holds them whole, as
	// they are composed, so each reads back as it was written.
	instances := listComposed(t, "team-a", "DatabaseInstance")
	params, _, _ := unstructured.NestedStringMap(instances[0].Object, "spec", "forProvider", "parameters")
	if len(params) == 0 {
		t.Error("the DatabaseInstance has no parameters derived from the SKU")
	}
	for name, want := range params {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: composed %q, the server runs with %q", name, want, got)
		}
	}
	_ = conn.Close(ctx)
	if user != d["username"] || db != "orders" {
		t.Errorf("connected as %s to %s, want %s to orders", user, db, d["username"])
	}

	endpoint, _, _ := unstructured.NestedString(xr.Object, "status", "endpoint")
	if endpoint != d["endpoint"] {
		t.Errorf("Database status.endpoint: want %q, got %q", d["endpoint"], endpoint)
	}

	assertPasswordsNowhere(t, "team-a", []string{d["password"], adminPassword(t, "team-a")})

	// Deleting the Database stops the engine and removes the machine.
	vms := listComposed(t, "team-a", "VirtualMachine")
	workDir, _, _ := unstructured.NestedString(vms[0].Object, "status", "atProvider", "workDir")
	dirs := dataDirs(t, workDir)
	if len(dirs) != 1 {
		t.Fatalf("want one data directory below %s, got %v", workDir, dirs)
	}
	server := pgtest.OneServer(t, dirs[0])
	deleteAndWait(t, xr)
	waitFor(t, time.Minute, "the postgres server to stop", func() bool { return syscall.Kill(server, 0) != nil })
	if _, err := os.Stat(workDir); !os.IsNotExist(err) {
		t.Errorf("machine directory %s is still there after delete (err=%v)", workDir, err)
	}
}

// assertOneOfEachControlledBy checks that a namespace holds exactly one
// resource of each composed kind, each controlled by the named owner.
func assertOneOfEachControlledBy(t *testing.T, ns string, owner schema.GroupVersionKind, name string) {
	t.Helper()
	for _, k := range localenv.ComposedKinds {
		items := listComposed(t, ns, k.Kind)
		if len(items) != 1 {
			t.Fatalf("want exactly one %s in %s, got %d", k.Kind, ns, len(items))
		}
		c := controllerOf(&items[0])
		if c == nil || c.APIVersion != owner.GroupVersion().String() || c.Kind != owner.Kind || c.Name != name {
			t.Errorf("%s %s is not controlled by %s %s: %+v", k.Kind, items[0].GetName(), owner.Kind, name, c)
		}
	}
}

// controllerOf returns an object's controller reference.
func controllerOf(u *unstructured.Unstructured) *struct{ APIVersion, Kind, Name string } {
	for _, o := range u.GetOwnerReferences() {
		if o.Controller != nil && *o.Controller {
			return &struct{ APIVersion, Kind, Name string }{o.APIVersion, o.Kind, o.Name}
		}
	}
	return nil
}

// adminPassword returns the generated admin password of the namespace's
// only DatabaseInstance.
func adminPassword(t *testing.T, ns string) string {
	t.Helper()
	inst := listComposed(t, ns, "DatabaseInstance")
	name, _, _ := unstructured.NestedString(inst[0].Object, "spec", "forProvider", "adminPasswordSecretRef", "name")
	key, _, _ := unstructured.NestedString(inst[0].Object, "spec", "forProvider", "adminPasswordSecretRef", "key")
	s := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		t.Fatalf("cannot read the admin password secret: %v", err)
	}
	if len(s.Data[key]) == 0 {
		t.Fatalf("admin password secret %s has no key %s", name, key)
	}
	return string(s.Data[key])
}

// assertPasswordsNowhere checks that no password shows in any event, in the
// status of the namespace's resources, or in any component's log.
func assertPasswordsNowhere(t *testing.T, ns string, passwords []string) {
	t.Helper()
	ctx := context.Background()
	var haystack []string

	events := &corev1.EventList{}
	if err := env.Client.List(ctx, events); err != nil {
		t.Fatal(err)
	}
	if len(events.Items) == 0 {
		t.Error("no events at all: the check would prove nothing")
	}
	for _, e := range events.Items {
		haystack = append(haystack, "event "+e.Name+": "+e.Message)
	}
	for _, k := range localenv.ComposedKinds {
		for _, u := range listComposed(t, ns, k.Kind) {
			b, _ := json.Marshal(u.Object["status"])
			haystack = append(haystack, k.Kind+" status: "+string(b))
		}
	}
	for _, c := range []string{localenv.Provider, localenv.Crossplane, localenv.Function} {
		b, err := os.ReadFile(env.LogFile(c))
		if err != nil {
			t.Fatalf("cannot read the %s log: %v", c, err)
		}
		if len(b) == 0 {
			t.Errorf("the %s log is empty: the check would prove nothing", c)
		}
		haystack = append(haystack, c+" log: "+string(b))
	}
	for _, p := range passwords {
		if len(p) < 8 {
			t.Fatalf("password too short to search for reliably: %d characters", len(p))
		}
		for _, h := range haystack {
			if strings.Contains(h, p) {
				t.Errorf("a password appears in %s", strings.SplitN(h, ":", 2)[0])
			}
		}
	}
}
