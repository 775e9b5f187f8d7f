package docs

import (
	"os"
	"path/filepath"
	"strings"
)

// A ranBy names the test that runs a command the guides show, where this
// test cannot run it (it needs Crossplane core, a registry or a database
// server), and how that test runs it.
type ranBy struct {
	pkg  string // directory below the repository's root
	test string // TestName or TestName/subtest
	how  string
}

// ranElsewhere is every command of the guides that another test runs. An
// entry no guide shows is an error, so that the list says what the guides
// say.
var ranElsewhere = map[string]ranBy{
	"make package": {"test/packages", "TestPackages",
		"runs make package and installs what it builds"},
	"for p in provider-dbaas function-dbaas platform-dbaas platform-dbaas-claims; do": {"test/packages", "TestPackages",
		"pushWithCrank runs this loop's crank xpkg push for the four packages, to a registry over TLS on loopback instead of ghcr.io"},
	".cache/bin/crank xpkg push --package-files=.cache/packages/$p.xpkg ghcr.io/dbaas-io/$p:v0.1.0": {"test/packages", "TestPackages",
		"pushWithCrank, as above"},
	"done": {"test/packages", "TestPackages",
		"the end of the publishing loop"},
	"kubectl wait --for=condition=Healthy provider.pkg/provider-dbaas function.pkg/function-dbaas --timeout=5m": {"test/e2e", "TestPackagesInstalledByPackageManager",
		"the local environment applies examples/install and waits for the provider's and the function's revisions to be Healthy under Crossplane's package manager"},
	"make render": {"functions/dbaas", "TestExampleRenders",
		"runs crossplane render on the example with the platform's Composition and catalog, as make render does"},
	"kubectl dbaas connect orders": {"internal/plugin", "TestPlugin/connect-psql",
		"runs psql through kubectl dbaas connect orders against a real PostgreSQL with the Database's Secret"},
	"psql -h pg.db.example.com -U postgres -f examples/existing-server/postgresql/procedures.sql": {"test/existing", "TestExistingServers",
		"loads the sample procedures into a real PostgreSQL 15 as its superuser, then makes databases through the DatabaseClass"},
}

// exists reports whether the named test is in its package: a function
// TestName, and for a subtest the t.Run of its name.
func (r ranBy) exists(root string) bool {
	top, sub, _ := strings.Cut(r.test, "/")
	files, _ := filepath.Glob(filepath.Join(root, r.pkg, "*_test.go"))
	var fn, run bool
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return false
		}
		fn = fn || strings.Contains(string(b), "func "+top+"(t *testing.T)")
		run = run || sub == "" || strings.Contains(string(b), `t.Run("`+sub+`"`)
	}
	return fn && run
}
