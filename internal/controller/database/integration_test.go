package database_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

func ptr[T any](v T) *T { return &v }

// TestDatabaseController runs the controller against a real API server and
// PostgreSQL server.
func TestDatabaseController(t *testing.T) {
	e := sqlenv.Start(t)
	ctx := context.Background()

	t.Run("Lifecycle", func(t *testing.T) {
		db := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "orders"}}
		db.Spec.ForProvider.Instance = sqlenv.Instance
		db.Spec.ForProvider.Encoding = "SQL_ASCII"
		db.Spec.ForProvider.ConnectionLimit = ptr[int32](5)
		if err := e.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, db)
		want := v1alpha1.DatabaseObservation{Owner: pgroles.Admin, Encoding: "SQL_ASCII", ConnectionLimit: ptr[int32](5)}
		if diff := cmp.Diff(want, db.Status.AtProvider); diff != "" {
			t.Errorf("status.atProvider: -want, +got:\n%s", diff)
		}
		steadyPolls(t, e)

		if err := testenv.Mutate(ctx, e.Client, db, func(db *v1alpha1.Database) { db.Spec.ForProvider.ConnectionLimit = ptr[int32](9) }); err != nil {
			t.Fatal(err)
		}
		wait.For(t, sqlenv.Timeout, "the connection limit to reach the server", func() (bool, error) {
			var n int32
			err := e.Server.Admin(t).QueryRow(ctx, "SELECT datconnlimit FROM pg_database WHERE datname = 'orders'").Scan(&n)
			return n == 9, err
		})

		if err := e.Client.Delete(ctx, db); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, db)
		if got := e.Server.Names(t, "SELECT datname FROM pg_database WHERE datname = 'orders'"); len(got) != 0 {
			t.Error("database orders still exists after the Database was deleted")
		}
	})

	// Namespaced (v2) managed resources have no deletionPolicy: leaving a
	// policy list without Delete is how a user orphans what they manage.
	t.Run("OrphanedByManagementPolicies", func(t *testing.T) {
		db := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "kept"}}
		db.Spec.ForProvider.Instance = sqlenv.Instance
		db.Spec.ManagementPolicies = xpv2.ManagementPolicies{
			xpv2.ManagementActionObserve, xpv2.ManagementActionCreate,
			xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize,
		}
		if err := e.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, db)
		if err := e.Client.Delete(ctx, db); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, db)
		if got := e.Server.Names(t, "SELECT datname FROM pg_database WHERE datname = $1", "kept"); len(got) != 1 {
			t.Errorf("database kept was dropped although its policies leave out Delete; found %q", got)
		}

		// Another Database of the same name is refused: the database
		// carries the first one's marker.
		again := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "kept-again"}}
		again.Spec.ForProvider.Instance = sqlenv.Instance
		meta.SetExternalName(again, "kept")
		if err := e.Client.Create(ctx, again); err != nil {
			t.Fatal(err)
		}
		wait.For(t, sqlenv.Timeout, "kept-again to be refused", func() (bool, error) {
			if err := e.Client.Get(ctx, client.ObjectKeyFromObject(again), again); err != nil {
				return false, err
			}
			c := again.GetCondition(xpv2.TypeSynced)
			return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, `database "kept" belongs to another resource`), errors.New(c.Message)
		})
		if err := e.Client.Delete(ctx, again); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, again)
		if got := e.Server.Names(t, "SELECT datname FROM pg_database WHERE datname = $1", "kept"); len(got) != 1 {
			t.Fatalf("deleting a Database that was refused dropped the database; found %q", got)
		}

		// Imported explicitly (the namespace's own instance allows it), it
		// is adopted.
		again = &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "kept-again"}}
		again.Spec.ForProvider.Instance = sqlenv.Instance
		meta.SetExternalName(again, "kept")
		meta.AddAnnotations(again, map[string]string{ownership.ImportAnnotation: "true"})
		if err := e.Client.Create(ctx, again); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, again)
		if err := e.Client.Delete(ctx, again); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, again)
		if got := e.Server.Names(t, "SELECT datname FROM pg_database WHERE datname = $1", "kept"); len(got) != 0 {
			t.Errorf("database kept should be dropped with the default policies; found %q", got)
		}
	})

	t.Run("NameInjection", func(t *testing.T) {
		const name = `x"; DROP DATABASE postgres; --`
		before := e.Server.Databases(t)
		roles := e.Server.Roles(t)
		db := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "injected"}}
		db.Spec.ForProvider.Instance = sqlenv.Instance
		meta.SetExternalName(db, name)
		if err := e.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		e.WaitReady(t, db)
		after := e.Server.Databases(t)
		if !slices.Contains(after, name) {
			t.Errorf("database %q was not created under its exact name; databases: %q", name, after)
		}
		if diff := cmp.Diff(before, slices.DeleteFunc(slices.Clone(after), func(n string) bool { return n == name })); diff != "" {
			t.Errorf("other databases changed (postgres must remain, nothing else appear): -before, +after:\n%s", diff)
		}
		if diff := cmp.Diff(roles, e.Server.Roles(t)); diff != "" {
			t.Errorf("roles changed: -before, +after:\n%s", diff)
		}
		if err := e.Client.Delete(ctx, client.Object(db)); err != nil {
			t.Fatal(err)
		}
		e.WaitGone(t, db)
		if diff := cmp.Diff(before, e.Server.Databases(t)); diff != "" {
			t.Errorf("after delete: -before, +after:\n%s", diff)
		}
	})
}

// TestDeleteServerDown: a Database whose server is out of reach while it is
// deleted is retried for the delete bound, then let go with a Warning event
// that names the database left behind; the database is still there when the
// server is back.
func TestDeleteServerDown(t *testing.T) {
	e := sqlenv.Start(t)
	e.StopManager()
	e.GiveUpDeleteAfter = 5 * time.Second
	e.StartManager()
	ctx := context.Background()

	db := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "stranded"}}
	db.Spec.ForProvider.Instance = sqlenv.Instance
	if err := e.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	e.WaitReady(t, db)

	if err := e.Server.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := e.Client.Delete(ctx, db); err != nil {
		t.Fatal(err)
	}
	e.WaitGone(t, db)
	wait.For(t, sqlenv.Timeout, "a DeleteAbandoned Warning event naming the database", func() (bool, error) {
		events := &corev1.EventList{}
		if err := e.Client.List(ctx, events, client.InNamespace(sqlenv.Namespace)); err != nil {
			return false, err
		}
		for _, ev := range events.Items {
			if ev.InvolvedObject.Name == "stranded" && ev.Reason == string(deletion.ReasonAbandoned) && ev.Type == corev1.EventTypeWarning &&
				strings.Contains(ev.Message, `database "stranded"`) {
				return true, nil
			}
		}
		return false, errors.New("no such event yet")
	})

	if err := e.Server.Resume(); err != nil {
		t.Fatal(err)
	}
	if got := e.Server.Names(t, "SELECT datname FROM pg_database WHERE datname = $1", "stranded"); len(got) != 1 {
		t.Errorf("the database left behind should still be there; found %q", got)
	}
}

// steadyPolls watches a few polls of a Ready Database that nothing changes
// (the only one there is): each costs one SQL operation, the observe, and
// writes nothing, not even a status that stays the same.
func steadyPolls(t *testing.T, e *sqlenv.Env) {
	t.Helper()
	d := e.SteadyPolls(t, "managed/database.sql.dbaas.io", 3)
	if w := d.Writes("databases", "databases/status", "secrets", "events", "providerconfigusages"); len(w) > 0 {
		t.Errorf("writes over %v polls that found nothing to change: %v; want none", d.Reconciles, w)
	}
	for op, n := range d.SQL {
		if op != "observe_database" || n > d.Reconciles {
			t.Errorf("SQL operation %s: %v over %v polls; want only observe_database, at most once a poll", op, n, d.Reconciles)
		}
	}
}
