package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// The example Database the demo applies, as a user would.
const (
	databaseFile      = "examples/database-dev.yaml"
	databaseNamespace = "team-a"
	databaseName      = "orders"
	databaseSecret    = "orders-db"
)

// demo starts a fresh environment, applies the example Database, waits until it
// is Ready, prints its connection details, runs queries with them, deletes
// the Database and stops everything.
func demo(ctx context.Context, p paths) error {
	began := time.Now()
	state, err := os.MkdirTemp(p.cache, "demo-")
	if err != nil {
		return errors.Wrap(err, "cannot create the demo's state directory")
	}
	defer os.RemoveAll(state)

	env, err := localenv.Up(ctx, p.config(state))
	if err != nil {
		return err
	}
	defer env.Down()

	fmt.Printf("==> applying %s\n", databaseFile)
	applied := time.Now()
	if err := localenv.ApplyFile(ctx, env.Client, filepath.Join(p.root, databaseFile)); err != nil {
		return err
	}
	say := func(s string) { fmt.Println("    " + s) }
	if _, err := env.WaitForReady(ctx, localenv.DatabaseGVK, databaseNamespace, databaseName, 5*time.Minute, say); err != nil {
		return err
	}
	databaseToReady := time.Since(applied)
	fmt.Printf("==> Database %s/%s is Ready (%s after apply)\n", databaseNamespace, databaseName, databaseToReady.Round(10*time.Millisecond))

	d, err := env.ConnectionDetails(ctx, databaseNamespace, databaseSecret)
	if err != nil {
		return err
	}
	fmt.Printf("==> connection details from secret %s/%s:\n", databaseNamespace, databaseSecret)
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := d[k]
		if k == "password" {
			// The demo's output may end up in CI logs; the secret has it.
			v = strings.Repeat("*", 8) + fmt.Sprintf(" (%d characters; kubectl -n %s get secret %s -o jsonpath='{.data.password}' | base64 -d)", len(d[k]), databaseNamespace, databaseSecret)
		}
		fmt.Printf("    %-9s %s\n", k+":", v)
	}

	if err := query(ctx, d); err != nil {
		return err
	}

	fmt.Printf("==> deleting Database %s/%s\n", databaseNamespace, databaseName)
	deleted := time.Now()
	if err := deleteDatabase(ctx, env); err != nil {
		return err
	}
	fmt.Printf("==> Database and its database, instance and machine are gone (%s)\n", time.Since(deleted).Round(10*time.Millisecond))
	fmt.Printf("==> demo finished in %s; Database to Ready took %s\n", time.Since(began).Round(10*time.Millisecond), databaseToReady.Round(10*time.Millisecond))
	return nil
}

// query connects with the Database's connection details and uses the database
// as an application would.
func query(ctx context.Context, d map[string]string) error {
	conn, err := localenv.Connect(ctx, d)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var user, db, version string
	if err := conn.QueryRow(ctx, "SELECT current_user, current_database(), version()").Scan(&user, &db, &version); err != nil {
		return errors.Wrap(err, "cannot query the database")
	}
	fmt.Printf("==> SELECT current_user, current_database(), version()\n    %s | %s | %s\n", user, db, version)
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, item text NOT NULL)"); err != nil {
		return errors.Wrap(err, "cannot create a table")
	}
	if _, err := conn.Exec(ctx, "INSERT INTO orders (item) VALUES ($1), ($2)", "coffee", "tea"); err != nil {
		return errors.Wrap(err, "cannot insert rows")
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
		return errors.Wrap(err, "cannot count rows")
	}
	fmt.Printf("==> CREATE TABLE orders; INSERT 2 rows; SELECT count(*) FROM orders\n    %d\n", n)
	return nil
}

// deleteDatabase deletes the Database and waits until the composed resources are
// gone, which means the provider has stopped the engine and removed the
// machine.
func deleteDatabase(ctx context.Context, env *localenv.Env) error {
	c := &unstructured.Unstructured{}
	c.SetGroupVersionKind(localenv.DatabaseGVK)
	c.SetNamespace(databaseNamespace)
	c.SetName(databaseName)
	if err := env.Client.Delete(ctx, c); err != nil {
		return errors.Wrap(err, "cannot delete the Database")
	}
	return env.WaitForGone(ctx, databaseNamespace, 3*time.Minute)
}
