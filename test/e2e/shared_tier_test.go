package e2e

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/localenv"
)

// TestSharedDatabaseThroughClass follows a shared-tier Database through live
// Crossplane core to a database on the local environment's shared server,
// made by the DBAs' sample DatabaseClass: no machine and no instance of its
// own, the DBAs' record names the team, and the application logs in with its
// connection secret alone. Deleting the Database drops the database.
func TestSharedDatabaseThroughClass(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ns = "shared-tier"
	createNamespace(t, ns)

	db := newDatabase(ns, "ledger", map[string]any{"tier": "shared"})
	if err := env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A failed test still takes its database off the shared server.
		if t.Failed() {
			_ = env.Client.Delete(context.Background(), db)
		}
	})
	waitReady(t, localenv.DatabaseGVK, db)

	for _, kind := range []string{"VirtualMachine", "DatabaseInstance"} {
		if got := listComposed(t, ns, kind); len(got) != 0 {
			t.Errorf("a shared Database composed %d %s; want none", len(got), kind)
		}
	}

	srv := sharedServer(t)
	admin := secretData(t, srv.AdminCredentialsSecretRef.Namespace, srv.AdminCredentialsSecretRef.Name)
	ca := secretData(t, srv.TLS.CASecretRef.Namespace, srv.TLS.CASecretRef.Name)[srv.TLS.CASecretRef.Key]
	asAdmin := map[string]string{
		"username": admin["username"], "password": admin["password"], "database": "postgres",
		"endpoint": srv.Host, "port": strconv.Itoa(int(srv.Port)),
		"sslmode": dbms.TLSVerifyFull, "ca.crt": ca,
	}
	if dbs := names(t, asAdmin, "SELECT datname FROM pg_database"); !slices.Contains(dbs, "ledger") {
		t.Fatalf("database ledger is not on the shared server; it has %v", dbs)
	}
	// The class's procedure records every database it makes, for the team
	// (the namespace) that asked for it.
	if got := names(t, asAdmin, "SELECT team FROM dba.provisioned WHERE database = 'ledger'"); !slices.Equal(got, []string{ns}) {
		t.Errorf("the DBAs' record has teams %v for ledger, want [%s]: the DatabaseClass %s did not make it", got, ns, localenv.SharedDatabaseClass)
	}

	// The application needs nothing but its connection secret: where the
	// server is, how to verify it, and the credentials the class returned.
	secret := db.Object["spec"].(map[string]any)["writeConnectionSecretToRef"].(map[string]any)["name"].(string)
	d, err := env.ConnectionDetails(ctx, ns, secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"username", "password", "endpoint", "port", "database", "sslmode", "ca.crt"} {
		if d[k] == "" {
			t.Errorf("the connection secret %s has no %q", secret, k)
		}
	}
	if c, err := connect(t, d); err != nil {
		t.Errorf("the application cannot log in with its connection secret: %v", err)
	} else {
		var current string
		if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&current); err != nil || current != "ledger" {
			t.Errorf("the connection secret opens database %q (%v), want ledger", current, err)
		}
		if _, err := c.Exec(ctx, "CREATE TABLE entries (id int PRIMARY KEY)"); err != nil {
			t.Errorf("the owner role cannot create a table in its database: %v", err)
		}
	}

	deleteAndWait(t, db)
	if dbs := names(t, asAdmin, "SELECT datname FROM pg_database"); slices.Contains(dbs, "ledger") {
		t.Error("database ledger is still on the shared server after its Database was deleted")
	}
}
