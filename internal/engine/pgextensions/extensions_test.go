package pgextensions

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		reason  string
		version string
		names   []string
		want    string // a part of the error; empty: allowed
	}{
		"None": {
			reason:  "an instance without extensions needs no list",
			version: "99",
		},
		"ContribAndPackaged": {
			reason:  "contrib extensions, PostGIS and pgvector are allowed",
			version: "15",
			names:   []string{"pg_trgm", "uuid-ossp", "postgis", "postgis_topology", "vector"},
		},
		"MinorVersion": {
			reason:  "a version with a minor part takes its major's list",
			version: "15.4",
			names:   []string{"hstore"},
		},
		"UntrustedLanguage": {
			reason:  "an untrusted language runs any code as the server's OS user",
			version: "15",
			names:   []string{"citext", "plpython3u"},
			want:    `extension "plpython3u" is not in the allow-list of PostgreSQL 15`,
		},
		"FileAccess": {
			reason:  "adminpack and file_fdw read and write the server's files",
			version: "15",
			names:   []string{"file_fdw"},
			want:    `extension "file_fdw" is not in the allow-list`,
		},
		"VersionWithoutList": {
			reason:  "a version nobody wrote a list for takes no extensions",
			version: "16",
			names:   []string{"hstore"},
			want:    "PostgreSQL 16 has no allow-list of extensions",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := Check(tc.version, tc.names)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s\nCheck(...): want allowed, got %v", tc.reason, err)
			case tc.want != "" && err == nil:
				t.Errorf("%s\nCheck(...): want refused with %q, got allowed", tc.reason, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s\nCheck(...): want %q in the error, got %v", tc.reason, tc.want, err)
			}
		})
	}
}

func TestPackages(t *testing.T) {
	cases := map[string]struct {
		reason string
		names  []string
		want   []string
	}{
		"Contrib": {
			reason: "contrib extensions come with the server's package",
			names:  []string{"pg_trgm", "earthdistance"},
		},
		"PostGIS": {
			reason: "postgis and postgis_topology share one package, named once",
			names:  []string{"postgis_topology", "postgis", "hstore"},
			want:   []string{"postgresql-15-postgis-3"},
		},
		"Both": {
			reason: "the packages are sorted",
			names:  []string{"vector", "postgis"},
			want:   []string{"postgresql-15-pgvector", "postgresql-15-postgis-3"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Packages("15", tc.names)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nPackages(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPackageOf(t *testing.T) {
	cases := map[string]string{
		"postgis":          "postgresql-15-postgis-3",
		"postgis_topology": "postgresql-15-postgis-3",
		"vector":           "postgresql-15-pgvector",
		"pg_trgm":          "postgresql-15",
	}
	for name, want := range cases {
		if got := PackageOf("15.4", name); got != want {
			t.Errorf("PackageOf(15.4, %q): want %q, got %q", name, want, got)
		}
	}
}

func TestWithRequired(t *testing.T) {
	cases := map[string]struct {
		reason string
		names  []string
		want   []string
		order  []string // InCreationOrder of names
	}{
		"Requirement": {
			reason: "earthdistance needs cube created first",
			names:  []string{"earthdistance"},
			want:   []string{"cube", "earthdistance"},
			order:  []string{"earthdistance"},
		},
		"RequirementListed": {
			reason: "a requirement listed after its dependant is still created first, and once",
			names:  []string{"postgis_topology", "vector", "postgis"},
			want:   []string{"postgis", "postgis_topology", "vector"},
			order:  []string{"postgis", "postgis_topology", "vector"},
		},
		"ByName": {
			reason: "independent extensions are ordered by name",
			names:  []string{"uuid-ossp", "citext"},
			want:   []string{"citext", "uuid-ossp"},
			order:  []string{"citext", "uuid-ossp"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := WithRequired("15", tc.names)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nWithRequired(...): -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.order, InCreationOrder("15", tc.names)); diff != "" {
				t.Errorf("%s\nInCreationOrder(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRequirementsAllowed checks that every extension an allowed one
// requires is allowed too, so WithRequired never adds one the CRDs refuse.
func TestRequirementsAllowed(t *testing.T) {
	for v, l := range lists {
		for n, e := range l {
			for _, r := range e.requires {
				if !Allowed(v, r) {
					t.Errorf("PostgreSQL %s: %s requires %s, which is not on the list", v, n, r)
				}
			}
		}
	}
}
