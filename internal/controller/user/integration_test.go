package user_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

func ptr[T any](v T) *T { return &v }

func newUser(name string) *v1alpha1.User {
	u := &v1alpha1.User{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: name}}
	u.Spec.ForProvider.Instance = sqlenv.Instance
	u.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: name + "-conn"}
	return u
}

func connectionSecret(t *testing.T, e *sqlenv.Env, u *v1alpha1.User) map[string][]byte {
	t.Helper()
	s := &corev1.Secret{}
	if err := e.Client.Get(context.Background(), types.NamespacedName{Namespace: u.Namespace, Name: u.Spec.WriteConnectionSecretToReference.Name}, s); err != nil {
		t.Fatal(err)
	}
	return s.Data
}

// TestControllers runs the Database and User controllers against a real API
// server and a real PostgreSQL server.
func TestControllers(t *testing.T) {
	e := sqlenv.Start(t)
	ctx := context.Background()

	t.Run("UserOwnsDatabase", func(t *testing.T) {
		u := newUser("app-user")
		u.Spec.ForProvider.DatabaseRef = &xpv2.NamespacedReference{Name: "app-db"}
		db := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "app-db"}}
		db.Spec.ForProvider.Instance = sqlenv.Instance
		db.Spec.ForProvider.OwnerRef = &xpv2.NamespacedReference{Name: "app-user"}
		// The Database first: it must wait for its owner's role.
		if err := e.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := e.Client.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, db)
		e.WaitReady(t, u)

		if got := db.Status.AtProvider.Owner; got != "app-user" {
			t.Errorf("Database owner = %q, want app-user", got)
		}
		conn := connectionSecret(t, e, u)
		keys := make([]string, 0, len(conn))
		for k := range conn {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if diff := cmp.Diff([]string{"ca.crt", "database", "endpoint", "password", "port", "sslmode", "username"}, keys); diff != "" {
			t.Fatalf("connection secret keys: -want, +got:\n%s", diff)
		}
		want := map[string]string{"database": "app-db", "endpoint": e.Server.Host, "port": strconv.Itoa(e.Server.Port), "username": "app-user",
			"sslmode": "verify-full", "ca.crt": string(e.Server.CA)}
		for k, v := range want {
			if string(conn[k]) != v {
				t.Errorf("connection secret %s = %q, want %q", k, conn[k], v)
			}
		}
		pw := string(conn["password"])
		if len(pw) < 16 {
			t.Errorf("generated password has %d characters, want at least 16", len(pw))
		}

		// The secret is enough to log in and work in the database.
		c, err := e.Server.Conn(t, string(conn["username"]), pw, string(conn["database"]))
		if err != nil {
			t.Fatalf("cannot log in with the connection secret: %v", err)
		}
		if _, err := c.Exec(ctx, "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
			t.Errorf("the owner cannot create a table: %v", err)
		}
		_ = c.Close(ctx)
		steadyPolls(t, e)

		// A provider restart and later reconciles keep the generated
		// password: change the spec, wait for the change to reach the
		// server, and compare.
		e.StopManager()
		e.StartManager()
		if err := testenv.Mutate(ctx, e.Client, u, func(u *v1alpha1.User) { u.Spec.ForProvider.ConnectionLimit = ptr[int32](7) }); err != nil {
			t.Fatal(err)
		}
		wait.For(t, sqlenv.Timeout, "the connection limit to reach the server", func() (bool, error) {
			var n int32
			err := e.Server.Admin(t).QueryRow(ctx, "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'app-user'").Scan(&n)
			return n == 7, err
		})
		e.WaitReady(t, u)
		if got := string(connectionSecret(t, e, u)["password"]); got != pw {
			t.Error("the generated password changed across a restart and an update")
		}
		if _, err := e.Server.Conn(t, "app-user", pw, "app-db"); err != nil {
			t.Errorf("the generated password no longer logs in: %v", err)
		}

		t.Run("PasswordAppearsNowhere", func(t *testing.T) {
			assertNotLeaked(t, e, pw, u, db)
		})

		for _, o := range []client.Object{db, u} {
			if err := e.Client.Delete(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		e.WaitGone(t, db)
		e.WaitGone(t, u)
		if got := e.Server.Names(t, "SELECT datname FROM pg_database WHERE datname = 'app-db'"); len(got) != 0 {
			t.Errorf("database app-db still exists after the Database was deleted")
		}
		if got := e.Server.Names(t, "SELECT rolname FROM pg_roles WHERE rolname = 'app-user'"); len(got) != 0 {
			t.Errorf("role app-user still exists after the User was deleted")
		}
	})

	t.Run("PasswordSecretRef", func(t *testing.T) {
		pwSecret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "given-pw"},
			Data:       map[string][]byte{"pw": []byte("first given password")},
		}
		if err := e.Client.Create(ctx, pwSecret); err != nil {
			t.Fatal(err)
		}
		// The User's database is one of its namespace's: the provider
		// grants access only on those (never on built-in databases).
		gdb := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "given-db"}}
		gdb.Spec.ForProvider.Instance = sqlenv.Instance
		if err := e.Client.Create(ctx, gdb); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, gdb)
		u := newUser("given-user")
		u.Spec.ForProvider.PasswordSecretRef = &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "given-pw"}, Key: "pw"}
		u.Spec.ForProvider.Database = ptr("given-db")
		if err := e.Client.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, u)
		if _, err := e.Server.Conn(t, "given-user", "first given password", "given-db"); err != nil {
			t.Errorf("cannot log in with the given password: %v", err)
		}
		var granted bool
		if err := e.Server.Admin(t).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
			WHERE d.datname = 'given-db' AND a.grantee = 'given-user'::regrole AND a.privilege_type = 'CONNECT')`).Scan(&granted); err != nil {
			t.Fatal(err)
		}
		if !granted {
			t.Error("the User was not granted CONNECT on its database")
		}

		pwSecret.Data["pw"] = []byte("second given password")
		if err := e.Client.Update(ctx, pwSecret); err != nil {
			t.Fatal(err)
		}
		wait.For(t, sqlenv.Timeout, "the changed password to log in", func() (bool, error) {
			_, err := e.Server.Conn(t, "given-user", "second given password", "given-db")
			return err == nil, err
		})
		if _, err := e.Server.Conn(t, "given-user", "first given password", "given-db"); err == nil {
			t.Error("the old password still logs in")
		}
		wait.For(t, sqlenv.Timeout, "the connection secret to hold the changed password", func() (bool, error) {
			return string(connectionSecret(t, e, u)["password"]) == "second given password", nil
		})
		assertNotLeaked(t, e, "first given password", u)
		assertNotLeaked(t, e, "second given password", u)

		if err := e.Client.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, u)
		if err := e.Client.Delete(ctx, gdb); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, gdb)
		if got := e.Server.Names(t, "SELECT rolname FROM pg_roles WHERE rolname = 'given-user'"); len(got) != 0 {
			t.Error("role given-user still exists after the User was deleted")
		}
	})

	t.Run("RoleNameInjection", func(t *testing.T) {
		const name = `r"; DROP ROLE postgres; --'`
		before := e.Server.Roles(t)
		u := newUser("injected-user")
		meta.SetExternalName(u, name)
		if err := e.Client.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, u)
		after := e.Server.Roles(t)
		if diff := cmp.Diff(before, slices.DeleteFunc(slices.Clone(after), func(n string) bool { return n == name })); diff != "" {
			t.Errorf("other roles changed: -before, +after:\n%s", diff)
		}
		if !slices.Contains(after, name) {
			t.Errorf("role %q was not created under its exact name; roles: %q", name, after)
		}
		conn := connectionSecret(t, e, u)
		if _, err := e.Server.Conn(t, name, string(conn["password"]), "postgres"); err != nil {
			t.Errorf("cannot log in as %q: %v", name, err)
		}
		if err := e.Client.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, u)
		if diff := cmp.Diff(before, e.Server.Roles(t)); diff != "" {
			t.Errorf("after delete: -before, +after:\n%s", diff)
		}
	})
}

// assertNotLeaked checks that the password is in no Event, no object's
// status or spec, and no log line.
func assertNotLeaked(t *testing.T, e *sqlenv.Env, pw string, objs ...client.Object) {
	t.Helper()
	ctx := context.Background()
	events := &corev1.EventList{}
	if err := e.Client.List(ctx, events, client.InNamespace(sqlenv.Namespace)); err != nil {
		t.Fatal(err)
	}
	if len(events.Items) == 0 {
		t.Error("no Events were recorded; the check would prove nothing")
	}
	for _, ev := range events.Items {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), pw) {
			t.Errorf("Event %s contains the password: %s", ev.Name, ev.Message)
		}
	}
	for _, o := range objs {
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(o)
		if strings.Contains(string(b), pw) {
			t.Errorf("%s %s contains the password", o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
		}
	}
	log := e.Log.String()
	if !strings.Contains(log, "Reconciling") {
		t.Error("the manager logged no reconciles; the check would prove nothing")
	}
	if strings.Contains(log, pw) {
		t.Error("the manager's log contains the password")
	}
}

// steadyPolls watches a few polls of a Ready User that nothing changes:
// each observes the role, checks its password against the stored verifier
// (through dbaas.role_verifier: the instance's admin is no superuser) and
// its access to its database, and writes nothing.
func steadyPolls(t *testing.T, e *sqlenv.Env) {
	t.Helper()
	d := e.SteadyPolls(t, "managed/user.sql.dbaas.io", 3)
	if w := d.Writes("users", "users/status", "secrets", "events", "providerconfigusages"); len(w) > 0 {
		t.Errorf("writes over %v polls that found nothing to change: %v; want none", d.Reconciles, w)
	}
	for _, op := range []string{"observe_user", "can_login", "observe_grant"} {
		if n := d.SQL[op]; n > d.Reconciles {
			t.Errorf("SQL operation %s: %v over %v polls; want at most one a poll", op, n, d.Reconciles)
		}
	}
}
