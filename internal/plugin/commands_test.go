package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/plugin"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the commands print")

// The password of the orders Database's connection secret, which nothing
// but the client's passfile may hold.
const ordersPassword = `s3cr3t:pa\ss`

// A ran is what one command printed, and its error.
type ran struct {
	stdout, stderr string
	err            error
}

// golden is what a reader of the README sees: the command, what it printed
// and the error kubectl-dbaas would print.
func (r ran) golden(args []string) string {
	var b strings.Builder
	b.WriteString("$ kubectl dbaas " + strings.Join(args, " ") + "\n")
	b.WriteString(r.stdout)
	b.WriteString(r.stderr)
	if r.err != nil {
		b.WriteString("error: " + r.err.Error() + "\n")
	}
	return b.String()
}

// run runs kubectl dbaas with args against the test cluster, its clock at
// now and without colour, as when its output is not a terminal.
func (c *testCluster) run(t *testing.T, now time.Time, args ...string) ran {
	t.Helper()
	var out, errOut bytes.Buffer
	o := plugin.NewOptions(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	o.Now = func() time.Time { return now }
	o.Colour = func() bool { return false }
	cmd := plugin.NewCommand(o)
	cmd.SetArgs(append([]string{"--kubeconfig", c.kubeconfig, "--cache-dir", c.cacheDir}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return ran{stdout: out.String(), stderr: errOut.String(), err: err}
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("kubectl dbaas output differs from %s (-want, +got; -update rewrites it):\n%s", file, diff)
	}
}

// TestPlugin runs every command of kubectl dbaas against a real API server
// holding the objects of testdata/fixtures.yaml, and compares what each
// prints, errors included, with testdata/*.golden.
func TestPlugin(t *testing.T) {
	c := startCluster(t)
	c.apply(t, filepath.Join("testdata", "fixtures.yaml"))
	c.apply(t, filepath.Join("..", "..", "apis", "platform", "catalog", "engines.yaml"))
	c.apply(t, filepath.Join("..", "..", "apis", "platform", "catalog", "tiers.yaml"))
	c.apply(t, filepath.Join("..", "..", "apis", "platform", "catalog", "skus.yaml"))
	c.apply(t, filepath.Join("..", "..", "apis", "platform", "catalog", "environment-local.yaml"))
	c.apply(t, filepath.Join("..", "..", "examples", "catalog", "vsphere.yaml"))

	// Ages are measured from the newest object, ten hours on: every
	// Database shows 10h however long the fixtures took to create.
	now := c.newest(t).Add(10 * time.Hour)

	golden := []struct {
		name string
		args []string
	}{
		{"list", []string{"list"}},
		{"list-all-namespaces", []string{"list", "-A"}},
		{"list-wide", []string{"list", "-o", "wide"}},
		{"list-empty", []string{"list", "-n", "team-c"}},
		{"status-orders", []string{"status", "orders"}},
		{"status-billing", []string{"status", "billing"}},
		{"status-billing-yaml", []string{"status", "billing", "-o", "yaml"}},
		{"status-bad-sku", []string{"status", "bad-sku"}},
		{"catalog", []string{"catalog"}},
		{"error-not-found", []string{"status", "nosuch"}},
		{"list-as-dev", []string{"--as", "dev", "list"}},
		{"error-forbidden-get", []string{"--as", "dev", "status", "orders"}},
		{"error-forbidden-catalog", []string{"--as", "dev", "catalog"}},
		{"error-connect-not-ready", []string{"connect", "billing"}},
		{"error-switchover-not-member", []string{"switchover", "orders", "--to", "orders-9"}},
		{"error-switchover-primary", []string{"switchover", "orders", "--to", "orders-1"}},
		{"error-switchover-single", []string{"switchover", "bad-sku", "--to", "bad-sku-0"}},
		{"error-output", []string{"list", "-o", "name"}},
	}
	for _, g := range golden {
		t.Run(g.name, func(t *testing.T) {
			compareGolden(t, g.name, c.run(t, now, g.args...).golden(g.args))
		})
	}

	t.Run("readme", func(t *testing.T) {
		// The README shows these outputs as they are: a change to what the
		// plugin prints must reach it.
		readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []string{"list", "status-billing"} {
			b, err := os.ReadFile(filepath.Join("testdata", g+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(readme, []byte("```\n"+string(b)+"```\n")) {
				t.Errorf("README.md does not show testdata/%s.golden as it is: paste it into the kubectl dbaas section", g)
			}
		}
	})

	t.Run("list-json", func(t *testing.T) {
		r := c.run(t, now, "list", "-o", "json")
		if r.err != nil {
			t.Fatal(r.err)
		}
		l := &unstructured.UnstructuredList{}
		if err := json.Unmarshal([]byte(r.stdout), &l.Object); err != nil {
			t.Fatalf("list -o json printed no JSON: %v\n%s", err, r.stdout)
		}
		var names []string
		items, _, _ := unstructured.NestedSlice(l.Object, "items")
		for _, i := range items {
			names = append(names, i.(map[string]any)["metadata"].(map[string]any)["name"].(string))
		}
		if diff := cmp.Diff([]string{"bad-sku", "billing", "orders"}, names); diff != "" {
			t.Errorf("list -o json: -want, +got names:\n%s", diff)
		}
	})

	t.Run("switchover", func(t *testing.T) {
		args := []string{"switchover", "orders", "--to", "orders-0"}
		compareGolden(t, "switchover", c.run(t, now, args...).golden(args))
		in := &enginev1alpha1.DatabaseInstance{}
		if err := c.env.Client.Get(context.Background(), client.ObjectKey{Namespace: "team-a", Name: "orders"}, in); err != nil {
			t.Fatal(err)
		}
		if in.Spec.ForProvider.Primary != "orders-0" {
			t.Errorf("switchover: want spec.forProvider.primary orders-0, got %q", in.Spec.ForProvider.Primary)
		}
		compareGolden(t, "error-switchover-again", c.run(t, now, args...).golden(args))
	})

	t.Run("connect", func(t *testing.T) { testConnect(t, c, now) })
	t.Run("connect-psql", func(t *testing.T) { testConnectPsql(t, c, now) })
}

// testConnect runs connect with a psql of the test's own on the PATH, which
// records what it was given, and checks that the password reached it only
// in its passfile.
func testConnect(t *testing.T, c *testCluster, now time.Time) {
	bin, out := t.TempDir(), t.TempDir()
	script := `#!/bin/sh
out=` + out + `
printf '%s\n' "$@" > "$out/args"
env > "$out/env"
cat "$PGPASSFILE" > "$out/passfile"
stat -c %a "$PGPASSFILE" > "$out/mode"
echo "$PGPASSFILE" > "$out/passfile-path"
cat "$PGSSLROOTCERT" > "$out/ca"
echo "psql ran"
exit 3
`
	if err := os.WriteFile(filepath.Join(bin, "psql"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	// A password of the user's own would win over the passfile.
	t.Setenv("PGPASSWORD", "the-users-own")

	r := c.run(t, now, "connect", "orders", "--", "-c", "select 1")
	var exit plugin.ExitError
	if !errors.As(r.err, &exit) || exit.Code != 3 {
		t.Fatalf("connect: want psql's exit code 3 passed on, got %v", r.err)
	}
	if r.stdout != "psql ran\n" {
		t.Errorf("connect: want psql's output, got %q (stderr %q)", r.stdout, r.stderr)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if diff := cmp.Diff("-c\nselect 1\n", read("args")); diff != "" {
		t.Errorf("psql's arguments: -want, +got:\n%s", diff)
	}
	env := strings.Split(read("env"), "\n")
	for _, want := range []string{"PGHOST=127.0.0.1", "PGPORT=25433", "PGUSER=orders", "PGDATABASE=orders", "PGSSLMODE=verify-full", "PGAPPNAME=kubectl-dbaas"} {
		if !contains(env, want) {
			t.Errorf("psql's environment lacks %s", want)
		}
	}
	if diff := cmp.Diff(`*:*:*:orders:s3cr3t\:pa\\ss`+"\n", read("passfile")); diff != "" {
		t.Errorf("psql's passfile: -want, +got:\n%s", diff)
	}
	if got := strings.TrimSpace(read("mode")); got != "600" {
		t.Errorf("psql's passfile: want mode 600, got %s", got)
	}
	if !strings.Contains(read("ca"), "not a real one") {
		t.Errorf("psql's PGSSLROOTCERT does not hold the secret's ca.crt")
	}
	if _, err := os.Stat(strings.TrimSpace(read("passfile-path"))); !os.IsNotExist(err) {
		t.Errorf("the passfile is still there after psql exited: %v", err)
	}
	for what, text := range map[string]string{"arguments": read("args"), "environment": read("env"), "output": r.stdout + r.stderr} {
		if strings.Contains(text, ordersPassword) || strings.Contains(text, "the-users-own") {
			t.Errorf("a password is in psql's %s:\n%s", what, text)
		}
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
