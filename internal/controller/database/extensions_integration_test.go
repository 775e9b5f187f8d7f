package database_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestDatabaseExtensions runs the controller against a real API server and
// PostgreSQL 15 with PostGIS installed (make deps): a Database's extensions
// are created in its database, what the application created itself is
// left alone when the list shrinks, an extension off the allow-list is
// refused by the CRD, and one whose package is missing is named with it.
func TestDatabaseExtensions(t *testing.T) {
	e := sqlenv.Start(t)
	ctx := context.Background()

	// extensions lists pg_extension in database geo.
	extensions := func() ([]string, error) {
		conn, err := e.Server.Conn(t, e.Server.User, e.Server.Password, "geo")
		if err != nil {
			return nil, err
		}
		defer func() { _ = conn.Close(ctx) }()
		rows, err := conn.Query(ctx, "SELECT extname FROM pg_extension ORDER BY extname")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, rows.Err()
	}
	waitExtensions := func(t *testing.T, what string, want ...string) {
		t.Helper()
		wait.For(t, sqlenv.Timeout, what, func() (bool, error) {
			got, err := extensions()
			if err != nil {
				return false, err
			}
			return slices.Equal(got, want), errors.New("pg_extension: " + strings.Join(got, ", "))
		})
	}

	db := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "geo"}}
	db.Spec.ForProvider.Instance = sqlenv.Instance
	db.Spec.ForProvider.Extensions = []string{"postgis_topology"}
	if err := e.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	e.WaitReady(t, db)
	waitExtensions(t, "postgis_topology and the postgis it requires in database geo", "plpgsql", "postgis", "postgis_topology")
	wait.For(t, sqlenv.Timeout, "status.atProvider.extensions to list them", func() (bool, error) {
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(db), db); err != nil {
			return false, err
		}
		got := db.Status.AtProvider.Extensions
		return slices.Equal(got, []string{"postgis", "postgis_topology"}), errors.New(strings.Join(got, ", "))
	})

	// The application creates an extension of its own.
	app, err := e.Server.Conn(t, e.Server.User, e.Server.Password, "geo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, "CREATE EXTENSION pg_trgm"); err != nil {
		t.Fatal(err)
	}
	_ = app.Close(ctx)

	// Emptied, the list drops what this Database created, and only that.
	if err := testenv.Mutate(ctx, e.Client, db, func(db *v1alpha1.Database) { db.Spec.ForProvider.Extensions = nil }); err != nil {
		t.Fatal(err)
	}
	waitExtensions(t, "postgis and postgis_topology dropped, the application's pg_trgm kept", "pg_trgm", "plpgsql")

	t.Run("RefusedByTheCRD", func(t *testing.T) {
		bad := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: sqlenv.Namespace, Name: "untrusted"}}
		bad.Spec.ForProvider.Instance = sqlenv.Instance
		bad.Spec.ForProvider.Extensions = []string{"pg_trgm", "plpython3u"}
		err := e.Client.Create(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), "extension plpython3u is not in the allow-list of extensions") {
			t.Fatalf("creating a Database with plpython3u: want the API server to refuse it naming plpython3u, got %v", err)
		}
	})

	// pgvector is in Debian 13 and apt.postgresql.org but not Debian 12:
	// where it is installed it is created, elsewhere the Database says
	// which package is missing.
	t.Run("Vector", func(t *testing.T) {
		if err := testenv.Mutate(ctx, e.Client, db, func(db *v1alpha1.Database) { db.Spec.ForProvider.Extensions = []string{"vector"} }); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat("/usr/share/postgresql/15/extension/vector.control"); err == nil {
			waitExtensions(t, "vector created", "pg_trgm", "plpgsql", "vector")
			return
		}
		wait.For(t, sqlenv.Timeout, "Synced=False naming vector and its package", func() (bool, error) {
			if err := e.Client.Get(ctx, client.ObjectKeyFromObject(db), db); err != nil {
				return false, err
			}
			s := db.GetCondition(xpv2.TypeSynced)
			return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, `extension "vector" is not available on the Database's server: its package postgresql-15-pgvector is not installed`),
				errors.New(s.Message)
		})
	})

	if err := e.Client.Delete(ctx, db); err != nil {
		t.Fatal(err)
	}
	e.WaitGone(t, db)
}
