package databaseinstance

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	pgsql "github.com/dbaas-io/dbaas/internal/clients/postgresql"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

func TestMissingExtensions(t *testing.T) {
	cases := map[string]struct {
		reason  string
		missing []string
		want    string
	}{
		"None": {
			reason: "nothing is said when every extension is there",
		},
		"One": {
			reason:  "a missing extension is named with its package",
			missing: []string{"vector"},
			want:    "extension vector is not available on this machine: install the package postgresql-15-pgvector here (make deps installs it), or remove vector from spec.forProvider.extensions",
		},
		"SharedPackage": {
			reason:  "extensions of one package name it once; contrib ones name the server's package",
			missing: []string{"postgis", "postgis_topology", "pg_trgm"},
			want:    "extensions postgis, postgis_topology, pg_trgm are not available on this machine: install the packages postgresql-15-postgis-3 postgresql-15 here (make deps installs them), or remove postgis, postgis_topology, pg_trgm from spec.forProvider.extensions",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, missingExtensions("15", tc.missing)); diff != "" {
				t.Errorf("%s\nmissingExtensions(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestExtensionsNotAvailable runs a local instance that asks for an
// extension this machine cannot provide: the server runs, but the instance
// is not Ready, saying which extension and which package; once the spec no
// longer asks for it, the instance is Ready. The share directory the
// provider looks in holds only PostGIS's control file, so that the test
// does not depend on what this machine has installed.
func TestExtensionsNotAvailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-extensions")
	share := t.TempDir()
	if err := os.MkdirAll(filepath.Join(share, "15", "extension"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(share, "15", "extension", "postgis.control"), []byte("relocatable = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	startManager(t, env, hooks{shareRoot: share})

	di := f.instance("pg", 20)
	di.Spec.ForProvider.Extensions = []string{"postgis", "vector"}
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	const want = "extension vector is not available on this machine: install the package postgresql-15-pgvector here"
	wait.For(t, timeout, "Ready=False naming vector and its package, with the server running", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		r := di.GetCondition(xpv2.TypeReady)
		running := len(di.Status.AtProvider.Members) == 1 && di.Status.AtProvider.Members[0].Running
		return r.Status == corev1.ConditionFalse && r.Reason == xpv2.ReasonUnavailable && running && strings.Contains(r.Message, want), string(r.Reason) + ": " + r.Message
	})
	if diff := cmp.Diff([]string{"postgis"}, di.Status.AtProvider.Extensions); diff != "" {
		t.Errorf("status.atProvider.extensions: -want +got:\n%s", diff)
	}

	if err := testenv.Mutate(ctx, c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Extensions = []string{"postgis"} }); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	if diff := cmp.Diff([]string{"postgis"}, di.Status.AtProvider.Extensions); diff != "" {
		t.Errorf("status.atProvider.extensions: -want +got:\n%s", diff)
	}
	if err := c.Delete(ctx, di); err != nil {
		t.Fatal(err)
	}
}

// TestPlayExtensions runs the play over SSH for an instance that asks for
// PostGIS: its package is installed on this machine (make deps), so the
// play's extension step finds it without running apt (which would reach
// the Debian mirrors), the instance becomes Ready listing it, and a
// database on it can create it.
func TestPlayExtensions(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newSSHFixture(t, env, "di-ssh-ext")
	startSSHManager(t, env)

	f.machine(t, "vm", pcGood)
	f.vm = &computev1alpha1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "vm"}}
	di := f.instance("pg", 30)
	di.Spec.ProviderConfigReference = pcRef(f.ns + "-" + pcGood)
	di.Spec.ForProvider.AdminUser = ""
	di.Spec.ForProvider.Extensions = []string{"postgis_topology"}
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	if diff := cmp.Diff([]string{"postgis", "postgis_topology"}, di.Status.AtProvider.Extensions); diff != "" {
		t.Errorf("status.atProvider.extensions: -want +got:\n%s", diff)
	}
	// PostGIS is not a trusted extension: the connection secret's
	// dbaas_admin, no superuser, cannot create it itself; the superuser,
	// over the member's socket, can.
	conn := f.connect(t, di)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION postgis"); err == nil || !strings.Contains(err.Error(), `permission denied to create extension "postgis"`) {
		t.Errorf("CREATE EXTENSION postgis as %s: err = %v, want permission denied", pgroles.Admin, err)
	}
	_ = conn.Close(ctx)
	// The SQL controllers log in as dbaas_admin too (instance.Config), and
	// a Database's extensions still get PostGIS: in a database owned by a
	// role dbaas_admin made, through the function the engine made in
	// template1, as the superuser, with the Database's marker.
	checkDatabaseExtensionAsAdmin(t, f, di)
	vm := &computev1alpha1.VirtualMachine{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(f.vm), vm); err != nil {
		t.Fatal(err)
	}
	checkAdminSocket(t, filepath.Dir(sshDataDir(vm, f.ns, "pg")), superuserOf(di), "CREATE EXTENSION postgis")
	if err := c.Delete(ctx, di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "DatabaseInstance gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(di), di)
		return kerrors.IsNotFound(err), "still there"
	})
}

// checkDatabaseExtensionAsAdmin does what the Database and User controllers
// do on the instance, with their connection (instance.Config, dbaas_admin):
// a role, a database owned by it, PostGIS in it; then drops them.
func checkDatabaseExtensionAsAdmin(t *testing.T, f *sshFixture, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	ctx := context.Background()
	cfg, err := instance.Config(ctx, f.env.Client, f.ns, di.Name)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.User != pgroles.Admin {
		t.Errorf("the SQL controllers log in as %q, want %s", cfg.User, pgroles.Admin)
	}
	c, err := pgsql.Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("the SQL controllers' connection: %v", err)
	}
	defer func() { _ = c.Close(ctx) }()
	if err := c.CreateUser(ctx, dbms.UserName{Name: "geo_owner"}, dbms.UserParameters{Password: "geo-owner-pw"}); err != nil {
		t.Fatalf("create the owner role as %s: %v", pgroles.Admin, err)
	}
	if err := c.CreateDatabase(ctx, "geo", pgsql.DatabaseParameters{Owner: "geo_owner", Marker: "test/geo"}); err != nil {
		t.Fatalf("CREATE DATABASE geo OWNER geo_owner as %s: %v", pgroles.Admin, err)
	}
	if err := c.CreateExtension(ctx, "geo", "postgis", "test/geo"); err != nil {
		t.Fatalf("postgis in geo as %s: %v", pgroles.Admin, err)
	}
	exts, err := c.Extensions(ctx, "geo")
	if err != nil || !slices.ContainsFunc(exts, func(e dbms.Extension) bool { return e.Name == "postgis" && e.Marker == "test/geo" }) {
		t.Errorf("geo's extensions: %+v, %v; want postgis with the marker", exts, err)
	}
	if err := c.DropExtension(ctx, "geo", "postgis", "test/geo"); err != nil {
		t.Errorf("drop postgis as %s: %v", pgroles.Admin, err)
	}
	if err := c.DropDatabase(ctx, "geo"); err != nil {
		t.Errorf("drop geo as %s: %v", pgroles.Admin, err)
	}
	if err := c.DropUser(ctx, dbms.UserName{Name: "geo_owner"}, nil); err != nil {
		t.Errorf("drop geo_owner as %s: %v", pgroles.Admin, err)
	}
}
