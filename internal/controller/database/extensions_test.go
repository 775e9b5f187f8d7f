package database

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestPlanExtensions(t *testing.T) {
	other := "dbaas.io/owner=other/1234"
	cases := map[string]struct {
		reason string
		want   []string
		found  []dbms.Extension
		plan   extensionPlan
		err    string
	}{
		"Nothing": {
			reason: "a database without extensions, asked for none, needs nothing",
			found:  []dbms.Extension{{Name: "plpgsql"}},
		},
		"CreateWithRequired": {
			reason: "an extension is created after those it requires, which are created too",
			want:   []string{"postgis_topology", "earthdistance"},
			found:  []dbms.Extension{{Name: "plpgsql"}},
			plan:   extensionPlan{Create: []string{"cube", "earthdistance", "postgis", "postgis_topology"}},
		},
		"PresentNotCreated": {
			reason: "an extension already in the database, whoever made it, is not created again",
			want:   []string{"pg_trgm", "vector"},
			found:  []dbms.Extension{{Name: "pg_trgm"}, {Name: "vector", Marker: other}},
		},
		"DropOnlyMine": {
			reason: "only extensions this Database created are dropped when no longer listed; an application's stays",
			want:   []string{"hstore"},
			found:  []dbms.Extension{{Name: "hstore", Marker: mine}, {Name: "citext", Marker: mine}, {Name: "pg_trgm"}, {Name: "ltree", Marker: other}},
			plan:   extensionPlan{Drop: []string{"citext"}},
		},
		"DropDependantsFirst": {
			reason: "extensions are dropped after those that require them, since a drop never cascades",
			found:  []dbms.Extension{{Name: "cube", Marker: mine}, {Name: "earthdistance", Marker: mine}, {Name: "postgis", Marker: mine}, {Name: "postgis_topology", Marker: mine}},
			plan:   extensionPlan{Drop: []string{"postgis_topology", "postgis", "earthdistance", "cube"}},
		},
		"RequiredKept": {
			reason: "an extension that a listed one requires is kept though it is not listed itself",
			want:   []string{"earthdistance"},
			found:  []dbms.Extension{{Name: "cube", Marker: mine}, {Name: "earthdistance", Marker: mine}},
		},
		"NotAllowed": {
			reason: "an extension off the allow-list is refused before anything is done",
			want:   []string{"plpython3u"},
			err:    `extension "plpython3u" is not in the allow-list of PostgreSQL 15`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := planExtensions("15.4", tc.want, tc.found, mine)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%s\nplanExtensions(...): want error with %q, got %v", tc.reason, tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.plan, got, cmp.AllowUnexported(extensionPlan{}), cmpopts.IgnoreFields(extensionPlan{}, "version"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nplanExtensions(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	cases := map[string]struct {
		reason string
		names  []string
		avail  map[string]bool
		want   error
	}{
		"AllAvailable": {
			reason: "nothing is said when the server can create every extension",
			names:  []string{"postgis", "pg_trgm"},
			avail:  map[string]bool{"postgis": true, "pg_trgm": true},
		},
		"PackageNamed": {
			reason: "an extension whose package is missing is named with the package to install",
			names:  []string{"pg_trgm", "vector", "postgis"},
			avail:  map[string]bool{"pg_trgm": true},
			want:   errors.Errorf(errUnavailable, "vector", "postgresql-15-pgvector", "vector", "postgresql-15-pgvector"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := unavailable("15", tc.names, tc.avail)
			if diff := cmp.Diff(errString(tc.want), errString(err)); diff != "" {
				t.Errorf("%s\nunavailable(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// extServer is a fakeServer that has extensions, as a PostgreSQL server.
type extServer struct {
	*fakeServer
	version    string
	extensions []dbms.Extension
	available  map[string]bool
	created    []string
	dropped    []string
}

func (f *extServer) ServerVersion(context.Context) (string, error) { return f.version, nil }

func (f *extServer) AvailableExtensions(_ context.Context, names []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = f.available[n]
	}
	return out, nil
}

func (f *extServer) Extensions(context.Context, string) ([]dbms.Extension, error) {
	return f.extensions, nil
}

func (f *extServer) CreateExtension(_ context.Context, _, name, marker string) error {
	if marker != mine {
		return errors.Errorf("CreateExtension marker %q, want %q", marker, mine)
	}
	f.created = append(f.created, name)
	return nil
}

func (f *extServer) DropExtension(_ context.Context, _, name, marker string) error {
	if marker != mine {
		return errors.Errorf("DropExtension marker %q, want %q", marker, mine)
	}
	f.dropped = append(f.dropped, name)
	return nil
}

var _ dbms.ExtensionServer = &extServer{}

// TestExtensionsObserveUpdate runs Observe then Update, as the managed
// reconciler does, on a database whose extensions differ from the spec.
func TestExtensionsObserveUpdate(t *testing.T) {
	type want struct {
		o          managed.ExternalObservation
		observeErr string
		status     []string
		updateErr  string
		created    []string
		dropped    []string
	}
	db := func() *fakeServer {
		return &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Owner: "postgres"}}}
	}
	cases := map[string]struct {
		reason string
		engine dbms.Engine
		db     dbms.Server
		cr     *v1alpha1.Database
		want   want
	}{
		"UpToDate": {
			reason: "a database with the listed extensions is up to date, and status lists them",
			db:     &extServer{fakeServer: db(), version: "15.4", extensions: []dbms.Extension{{Name: "plpgsql"}, {Name: "postgis", Marker: mine}}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Extensions = []string{"postgis"} }),
			want: want{
				o:      managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				status: []string{"postgis"},
			},
		},
		"CreateAndDrop": {
			reason: "a new extension is created and one this Database created but no longer lists is dropped",
			db: &extServer{fakeServer: db(), version: "15.4", available: map[string]bool{"vector": true},
				extensions: []dbms.Extension{{Name: "plpgsql"}, {Name: "postgis", Marker: mine}, {Name: "pg_trgm"}}},
			cr: newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Extensions = []string{"vector"} }),
			want: want{
				o:       managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				status:  []string{"pg_trgm", "postgis"},
				created: []string{"vector"},
				dropped: []string{"postgis"},
			},
		},
		"RemovedFromList": {
			reason: "with no extension listed, those this Database created (seen in its status) are dropped",
			db:     &extServer{fakeServer: db(), version: "15.4", extensions: []dbms.Extension{{Name: "postgis", Marker: mine}}},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Status.AtProvider.Extensions = []string{"postgis"}
			}),
			want: want{
				o:       managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				status:  []string{"postgis"},
				dropped: []string{"postgis"},
			},
		},
		"NotAvailable": {
			reason: "an extension the server cannot create is named with its package, and nothing is created",
			db:     &extServer{fakeServer: db(), version: "15.4", available: map[string]bool{"pg_trgm": true}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Extensions = []string{"pg_trgm", "vector"} }),
			want: want{
				o:         managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				updateErr: `extension "vector" is not available on the Database's server: its package postgresql-15-pgvector is not installed`,
			},
		},
		"MariaDB": {
			reason: "extensions on a MariaDB server are refused, saying why",
			engine: dbms.MariaDB,
			db:     db(),
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Extensions = []string{"hstore"} }),
			want:   want{observeErr: "this Database's server is a mariadb server, which has none"},
		},
		"SQLServer": {
			reason: "extensions on a SQL Server are refused, saying why",
			engine: dbms.SQLServer,
			db:     db(),
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Extensions = []string{"hstore"} }),
			want:   want{observeErr: "this Database's server is a sqlserver server, which has none"},
		},
		"MariaDBDeleting": {
			reason: "a refused Database can still be deleted",
			engine: dbms.MariaDB,
			db:     db(),
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.Extensions = []string{"hstore"}
				meta.SetExternalName(d, "app")
				now := metav1.Now()
				d.SetDeletionTimestamp(&now)
			}),
			want: want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{db: tc.db, engine: tc.engine}
			o, err := e.Observe(context.Background(), tc.cr)
			if tc.want.observeErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.observeErr) {
					t.Fatalf("%s\nObserve: want error with %q, got %v", tc.reason, tc.want.observeErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nObserve: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.o, o); diff != "" {
				t.Errorf("%s\nObserve: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.status, tc.cr.Status.AtProvider.Extensions, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nstatus.atProvider.extensions: -want +got:\n%s", tc.reason, diff)
			}
			if o.ResourceUpToDate || meta.WasDeleted(tc.cr) {
				return
			}
			_, err = e.Update(context.Background(), tc.cr)
			switch {
			case tc.want.updateErr == "" && err != nil:
				t.Fatalf("%s\nUpdate: %v", tc.reason, err)
			case tc.want.updateErr != "" && (err == nil || !strings.Contains(err.Error(), tc.want.updateErr)):
				t.Fatalf("%s\nUpdate: want error with %q, got %v", tc.reason, tc.want.updateErr, err)
			}
			es := tc.db.(*extServer)
			if diff := cmp.Diff(tc.want.created, es.created, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\ncreated: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.dropped, es.dropped, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\ndropped: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
