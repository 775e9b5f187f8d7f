package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

func clientKey(u *unstructured.Unstructured) client.ObjectKey {
	return client.ObjectKey{Namespace: u.GetNamespace(), Name: u.GetName()}
}

// TestProviderRestartDuringCreate kills the provider (SIGKILL, as a crash
// would) while the engine is being created, starts it again, and checks
// that the Database still becomes Ready with exactly one data directory, one
// postgres server and one database. It is the package's one test that
// does not call t.Parallel: the provider it kills serves every test.
func TestProviderRestartDuringCreate(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "restart")
	// Naming no Secret, the Database gets the documented default one,
	// restart-connection.
	db := newDatabase("restart", "restart", map[string]any{"writeConnectionSecretToRef": nil})
	if err := env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	machines := filepath.Join(env.MachinesDir, "restart")
	waitFor(t, 2*time.Minute, "the engine's data directory to appear", func() bool {
		return len(dataDirs(t, machines)) > 0
	})
	env.KillProvider()
	if err := env.StartProvider(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := env.WaitForReady(ctx, localenv.DatabaseGVK, "restart", "restart", 4*time.Minute, func(s string) { t.Log(s) }); err != nil {
		t.Fatal(err)
	}

	dirs := dataDirs(t, machines)
	if len(dirs) != 1 {
		t.Fatalf("want exactly one data directory, got %v", dirs)
	}
	pgtest.OneServer(t, dirs[0])
	for _, kind := range []string{"VirtualMachine", "DatabaseInstance", "Database", "User"} {
		if n := len(listComposed(t, "restart", kind)); n != 1 {
			t.Errorf("want exactly one %s, got %d", kind, n)
		}
	}
	d, err := env.ConnectionDetails(ctx, "restart", "restart-connection")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := localenv.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", "restart").Scan(&n); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	if n != 1 {
		t.Errorf("want exactly one database named restart, got %d", n)
	}
	deleteAndWait(t, db)
}
