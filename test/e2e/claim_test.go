package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// TestClaimBecomesWorkingDatabase applies the example DatabaseClaim of the
// claim path, installed beside the v2 Database, and follows it through
// Crossplane core, the function and the provider to a PostgreSQL database
// that the claim's own connection secret opens (verify-full), then deletes
// it and checks that nothing it composed is left.
func TestClaimBecomesWorkingDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, _ := filepath.Abs("../..")
	if err := localenv.ApplyFile(ctx, env.Client, filepath.Join(root, "examples", "claim-dev.yaml")); err != nil {
		t.Fatal(err)
	}
	claim, err := env.WaitForReady(ctx, localenv.ClaimGVK, "team-b", "payments", 4*time.Minute, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}

	// Every composed resource lands in the claim's namespace, controlled by
	// the claim's cluster-scoped composite.
	xrName, _, _ := unstructured.NestedString(claim.Object, "spec", "resourceRef", "name")
	if xrName == "" {
		t.Fatal("the Ready claim names no composite resource")
	}
	assertOneOfEachControlledBy(t, "team-b", localenv.ClaimXRGVK, xrName)

	// Core copies the composite's connection details to the Secret the
	// claim names, in the claim's namespace.
	d, err := env.ConnectionDetails(ctx, "team-b", "payments-db")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"username", "password", "endpoint", "port", "database", "ca.crt"} {
		if d[k] == "" {
			t.Errorf("connection secret has no %q", k)
		}
	}
	if d["sslmode"] != "verify-full" {
		t.Errorf("sslmode: want verify-full, got %q", d["sslmode"])
	}
	if d["database"] != "payments" {
		t.Errorf("database: want payments (from the claim's name), got %q", d["database"])
	}
	conn, err := localenv.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE payments (id int PRIMARY KEY)"); err != nil {
		t.Errorf("the claim's user cannot create a table: %v", err)
	}
	var user, db string
	if err := conn.QueryRow(ctx, "SELECT current_user, current_database()").Scan(&user, &db); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	if user != d["username"] || db != "payments" {
		t.Errorf("connected as %s to %s, want %s to payments", user, db, d["username"])
	}

	endpoint, _, _ := unstructured.NestedString(claim.Object, "status", "endpoint")
	if endpoint != d["endpoint"] {
		t.Errorf("claim status.endpoint: want %q, got %q", d["endpoint"], endpoint)
	}

	assertPasswordsNowhere(t, "team-b", []string{d["password"], adminPassword(t, "team-b")})
	deleteAndWait(t, claim)
}
