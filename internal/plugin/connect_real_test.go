package plugin_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

// A password with what a passfile must escape (':' and '\') and what a
// shell would not like.
const ledgerPassword = `le:dg\er"pw$`

// testConnectPsql runs connect with the real psql against a real
// PostgreSQL server, through verify-full with the secret's CA: the login
// proves that the passfile, its escaping and PGSSLROOTCERT are what libpq
// reads.
func testConnectPsql(t *testing.T, c *testCluster, now time.Time) {
	srv := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := srv.Admin(t)
	for _, q := range []string{
		"CREATE ROLE ledger LOGIN PASSWORD " + quoteLiteral(ledgerPassword),
		"CREATE DATABASE ledger OWNER ledger",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	db := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.dbaas.io/v1alpha1",
		"kind":       "Database",
		"metadata":   map[string]any{"name": "ledger", "namespace": "team-b"},
		"spec":       map[string]any{"engine": "postgresql", "tier": "dev", "sku": "small", "environment": "local", "storageGB": int64(1)},
	}}
	if err := c.env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Object["status"] = map[string]any{
		"phase": "Ready",
		"conditions": []any{
			map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-12-07T09:00:00Z"},
			map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-12-07T09:00:00Z"},
		},
	}
	if err := c.env.Client.Status().Update(ctx, db); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "ledger-connection", Namespace: "team-b"},
		Data: map[string][]byte{
			"username": []byte("ledger"), "password": []byte(ledgerPassword), "endpoint": []byte(srv.Host),
			"port": []byte(strconv.Itoa(srv.Port)), "database": []byte("ledger"), "sslmode": []byte("verify-full"), "ca.crt": srv.CA,
		},
	}
	if err := c.env.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}

	r := c.run(t, now, "connect", "ledger", "-n", "team-b", "--", "-X", "-A", "-t", "-c",
		"select current_user || ' ' || current_database() || ' ' || ssl from pg_stat_ssl where pid = pg_backend_pid()")
	if r.err != nil {
		t.Fatalf("connect with the real psql: %v\nstdout: %s\nstderr: %s", r.err, r.stdout, r.stderr)
	}
	if got := strings.TrimSpace(r.stdout); got != "ledger ledger true" {
		t.Errorf("connect: want psql logged in as ledger to ledger over TLS (ledger ledger true), got %q (stderr %q)", got, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, ledgerPassword) {
		t.Errorf("connect printed the password:\n%s%s", r.stdout, r.stderr)
	}
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
