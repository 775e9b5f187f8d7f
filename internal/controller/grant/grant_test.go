package grant

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

func ptr[T any](v T) *T { return &v }

// everyPrivilege is what ALL means on the fake server, as on PostgreSQL.
var everyPrivilege = []string{"CONNECT", "CREATE", "TEMPORARY"}

// A call is one Grant or Revoke.
type call struct {
	User       dbms.UserName
	Database   string
	Privileges []string
}

// fakeServer holds privileges like a server does: Grant adds to held,
// Revoke takes from it. It records what was asked of it. Methods it does not
// implement panic through the nil embedded interface, which shows a test
// reached an unexpected call.
type fakeServer struct {
	dbms.Server

	// held are the privileges the user holds on the database.
	held    []string
	heldErr error
	// users are those that exist, by name.
	users    map[string]bool
	userErr  error
	grantErr error

	// dbMarker and userMarker are the markers found (this namespace's
	// when empty); noDatabase makes the database missing.
	dbMarker   string
	userMarker string
	noDatabase bool

	asked   []call // Privileges calls, without privileges
	granted []call
	revoked []call
	closed  bool
}

// normalize is the fake's NormalizePrivileges: ALL expanded, names checked.
func normalize(privileges []string) ([]string, error) {
	out := dbms.NormalizePrivileges(privileges, everyPrivilege)
	for _, p := range out {
		if !set(everyPrivilege)[p] {
			return nil, errors.Errorf("%q is not a privilege: use %s or ALL", p, strings.Join(everyPrivilege, ", "))
		}
	}
	return out, nil
}

func (f *fakeServer) Privileges(_ context.Context, u dbms.UserName, db string) ([]string, error) {
	f.asked = append(f.asked, call{User: u, Database: db})
	if f.heldErr != nil {
		return nil, f.heldErr
	}
	out := append([]string(nil), f.held...)
	sort.Strings(out)
	return out, nil
}

func (f *fakeServer) NormalizePrivileges(privileges []string) ([]string, error) {
	return normalize(privileges)
}

func (f *fakeServer) ObserveUser(_ context.Context, u dbms.UserName) (*dbms.UserObservation, error) {
	if f.userErr != nil {
		return nil, f.userErr
	}
	if !f.users[u.Name] && (f.users != nil || u.Name != "app") {
		return nil, nil
	}
	// Users in fixtures are this namespace's unless the fixture says
	// otherwise; app exists unless users says who does.
	m := f.userMarker
	if m == "" {
		m = ours
	}
	return &dbms.UserObservation{CanLogin: true, Marker: m}, nil
}

// ObserveDatabase finds every database, this namespace's unless the fixture
// says otherwise.
func (f *fakeServer) ObserveDatabase(_ context.Context, _ string) (*dbms.DatabaseObservation, error) {
	if f.noDatabase {
		return nil, nil
	}
	m := f.dbMarker
	if m == "" {
		m = ours
	}
	return &dbms.DatabaseObservation{Marker: m}, nil
}

// ours and theirs are markers of resources in the Grants' namespace and in
// another.
var (
	ours   = ownership.Owner{Namespace: "ns", UID: "8f4e2b1c-0000-4000-8000-0000000000aa"}.Marker()
	theirs = ownership.Owner{Namespace: "team-b", UID: "8f4e2b1c-0000-4000-8000-0000000000bb"}.Marker()
)

func (f *fakeServer) Grant(_ context.Context, u dbms.UserName, db string, privileges []string) error {
	f.granted = append(f.granted, call{User: u, Database: db, Privileges: privileges})
	if f.grantErr != nil {
		return f.grantErr
	}
	p, err := normalize(privileges)
	if err != nil {
		return err
	}
	h := set(f.held)
	for _, v := range p {
		if !h[v] {
			f.held = append(f.held, v)
		}
	}
	return nil
}

func (f *fakeServer) Revoke(_ context.Context, u dbms.UserName, db string, privileges []string) error {
	f.revoked = append(f.revoked, call{User: u, Database: db, Privileges: privileges})
	r := set(privileges)
	var kept []string
	for _, v := range f.held {
		if !r[v] {
			kept = append(kept, v)
		}
	}
	f.held = kept
	return nil
}

func (f *fakeServer) Close(context.Context) error {
	f.closed = true
	return nil
}

func newGrant(privileges []string, mod ...func(*v1alpha1.Grant)) *v1alpha1.Grant {
	g := &v1alpha1.Grant{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app-on-appdb"}}
	g.Spec.ForProvider.Instance = "pg"
	g.Spec.ForProvider.User = ptr("app")
	g.Spec.ForProvider.Database = ptr("appdb")
	g.Spec.ForProvider.Privileges = privileges
	for _, m := range mod {
		m(g)
	}
	return g
}

// app is who every Grant is about, unless a test says otherwise.
var app = dbms.UserName{Name: "app", Database: "appdb"}

func TestObserve(t *testing.T) {
	errBoom := errors.New("boom")
	_, errSelect := normalize([]string{"SELECT"})
	type want struct {
		o          managed.ExternalObservation
		err        error
		available  bool
		atProvider []string
		asked      []call
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		cr     *v1alpha1.Grant
		want   want
	}{
		"NoPrivileges": {
			reason: "A user that holds nothing on the database has no grant",
			db:     &fakeServer{},
			cr:     newGrant([]string{"CONNECT"}),
			want:   want{o: managed.ExternalObservation{ResourceExists: false}, asked: []call{{User: app, Database: "appdb"}}},
		},
		"Exact": {
			reason: "Holding exactly the privileges asked for, in any case and order, is up to date",
			db:     &fakeServer{held: []string{"CREATE", "CONNECT"}},
			cr:     newGrant([]string{"create", "Connect"}),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				available:  true,
				atProvider: []string{"CONNECT", "CREATE"},
				asked:      []call{{User: app, Database: "appdb"}},
			},
		},
		"All": {
			reason: "ALL is every privilege the engine has",
			db:     &fakeServer{held: []string{"CONNECT", "CREATE", "TEMPORARY"}},
			cr:     newGrant([]string{"ALL"}),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				available:  true,
				atProvider: []string{"CONNECT", "CREATE", "TEMPORARY"},
				asked:      []call{{User: app, Database: "appdb"}},
			},
		},
		"OthersLeftAlone": {
			reason: "Privileges the Grant never asked for (a User's own access) are not its business",
			db:     &fakeServer{held: []string{"CONNECT", "TEMPORARY"}},
			cr:     newGrant([]string{"CONNECT"}),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				available:  true,
				atProvider: []string{"CONNECT"},
				asked:      []call{{User: app, Database: "appdb"}},
			},
		},
		"NoLongerAskedFor": {
			reason: "A privilege the Grant asked for before and no longer does needs an update, and stays managed",
			db:     &fakeServer{held: []string{"CONNECT", "TEMPORARY"}},
			cr: newGrant([]string{"CONNECT"}, func(g *v1alpha1.Grant) {
				g.Status.AtProvider.Privileges = []string{"CONNECT", "TEMPORARY"}
			}),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				available:  true,
				atProvider: []string{"CONNECT", "TEMPORARY"},
				asked:      []call{{User: app, Database: "appdb"}},
			},
		},
		"OnlyOthersHeld": {
			reason: "A user holding only privileges the Grant does not manage has no grant yet",
			db:     &fakeServer{held: []string{"CONNECT", "TEMPORARY"}},
			cr:     newGrant([]string{"CREATE"}),
			want:   want{o: managed.ExternalObservation{ResourceExists: false}, asked: []call{{User: app, Database: "appdb"}}},
		},
		"Missing": {
			reason: "Holding less than asked for needs an update",
			db:     &fakeServer{held: []string{"CONNECT"}},
			cr:     newGrant([]string{"CONNECT", "CREATE"}),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				available:  true,
				atProvider: []string{"CONNECT"},
				asked:      []call{{User: app, Database: "appdb"}},
			},
		},
		"InvalidPrivilege": {
			reason: "A privilege the engine does not have is the engine's error, before anything is read",
			db:     &fakeServer{held: []string{"CONNECT"}},
			cr:     newGrant([]string{"CONNECT", "select"}),
			want:   want{err: errSelect},
		},
		"PrivilegesError": {
			reason: "An error reading privileges is returned",
			db:     &fakeServer{heldErr: errBoom},
			cr:     newGrant([]string{"CONNECT"}),
			want:   want{err: errBoom, asked: []call{{User: app, Database: "appdb"}}},
		},
		"NoUser": {
			reason: "A Grant that names no user is an error, and nothing is read",
			db:     &fakeServer{},
			cr:     newGrant([]string{"CONNECT"}, func(g *v1alpha1.Grant) { g.Spec.ForProvider.User = nil }),
			want:   want{err: errors.New(errNoUser)},
		},
		"MySQLAccount": {
			reason: "A MySQL account's privileges are read as name@host",
			db:     &fakeServer{held: []string{"CONNECT"}},
			cr:     newGrant([]string{"CONNECT"}, func(g *v1alpha1.Grant) { g.Spec.ForProvider.Host = ptr("%") }),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				available:  true,
				atProvider: []string{"CONNECT"},
				asked:      []call{{User: dbms.UserName{Name: "app", Host: "%", Database: "appdb"}, Database: "appdb"}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := (&external{db: tc.db}).Observe(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nObserve error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.o, o); diff != "" {
				t.Errorf("%s\nObserve: -want, +got:\n%s", tc.reason, diff)
			}
			got := tc.cr.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
			if diff := cmp.Diff(tc.want.available, got); diff != "" {
				t.Errorf("%s\nReady: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.atProvider, tc.cr.Status.AtProvider.Privileges); diff != "" {
				t.Errorf("%s\nstatus.atProvider.privileges: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.asked, tc.db.asked); diff != "" {
				t.Errorf("%s\nPrivileges: -want, +got:\n%s", tc.reason, diff)
			}
			if len(tc.db.granted)+len(tc.db.revoked) > 0 {
				t.Errorf("%s\nObserve changed privileges: granted %v, revoked %v", tc.reason, tc.db.granted, tc.db.revoked)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	errBoom := errors.New("boom")
	type want struct {
		err     error
		granted []call
		held    []string
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		cr     *v1alpha1.Grant
		want   want
	}{
		"UserMissing": {
			reason: "Create waits, with a clear message, for the user, and grants nothing",
			db:     &fakeServer{users: map[string]bool{}},
			cr:     newGrant([]string{"CONNECT"}),
			want:   want{err: errors.New(`user "app" does not exist yet`)},
		},
		"UserCheckFails": {
			reason: "An error checking the user is returned, and nothing is granted",
			db:     &fakeServer{userErr: errBoom},
			cr:     newGrant([]string{"CONNECT"}),
			want:   want{err: errBoom},
		},
		"NoDatabase": {
			reason: "A Grant that names no database is an error",
			db:     &fakeServer{users: map[string]bool{"app": true}},
			cr:     newGrant([]string{"CONNECT"}, func(g *v1alpha1.Grant) { g.Spec.ForProvider.Database = nil }),
			want:   want{err: errors.New(errNoDatabase)},
		},
		"Grants": {
			reason: "The privileges asked for are granted to the user on the database",
			db:     &fakeServer{users: map[string]bool{"app": true}},
			cr:     newGrant([]string{"connect", "CREATE"}),
			want: want{
				granted: []call{{User: app, Database: "appdb", Privileges: []string{"connect", "CREATE"}}},
				held:    []string{"CONNECT", "CREATE"},
			},
		},
		"GrantFails": {
			reason: "A failed grant is returned",
			db:     &fakeServer{users: map[string]bool{"app": true}, grantErr: errBoom},
			cr:     newGrant([]string{"CONNECT"}),
			want: want{
				err:     errBoom,
				granted: []call{{User: app, Database: "appdb", Privileges: []string{"CONNECT"}}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := (&external{db: tc.db}).Create(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nCreate error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.granted, tc.db.granted); diff != "" {
				t.Errorf("%s\nGrant: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.held, tc.db.held); diff != "" {
				t.Errorf("%s\nheld afterwards: -want, +got:\n%s", tc.reason, diff)
			}
			if got := tc.cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonCreating {
				t.Errorf("%s\nReady reason = %q, want %q", tc.reason, got, xpv2.ReasonCreating)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	errBoom := errors.New("boom")
	type want struct {
		err     error
		granted []call
		revoked []call
		held    []string
	}
	// was sets what Observe found the Grant manages.
	was := func(p ...string) func(*v1alpha1.Grant) {
		return func(g *v1alpha1.Grant) { g.Status.AtProvider.Privileges = p }
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		cr     *v1alpha1.Grant
		want   want
	}{
		"GrantsMissing": {
			reason: "Privileges asked for are granted; none are revoked when none are extra",
			db:     &fakeServer{held: []string{"CONNECT"}},
			cr:     newGrant([]string{"CONNECT", "CREATE"}, was("CONNECT")),
			want: want{
				granted: []call{{User: app, Database: "appdb", Privileges: []string{"CREATE"}}},
				held:    []string{"CONNECT", "CREATE"},
			},
		},
		"RevokesNoLongerAskedFor": {
			reason: "Privileges the Grant asked for before and no longer does are revoked; others stay",
			db:     &fakeServer{held: []string{"CONNECT", "CREATE", "TEMPORARY"}},
			cr:     newGrant([]string{"connect"}, was("CONNECT", "CREATE")),
			want: want{
				revoked: []call{{User: app, Database: "appdb", Privileges: []string{"CREATE"}}},
				held:    []string{"CONNECT", "TEMPORARY"},
			},
		},
		"SwapsPrivileges": {
			reason: "A changed set is granted, then the old one revoked",
			db:     &fakeServer{held: []string{"TEMPORARY"}},
			cr:     newGrant([]string{"CONNECT", "CREATE"}, was("TEMPORARY")),
			want: want{
				granted: []call{{User: app, Database: "appdb", Privileges: []string{"CONNECT", "CREATE"}}},
				revoked: []call{{User: app, Database: "appdb", Privileges: []string{"TEMPORARY"}}},
				held:    []string{"CONNECT", "CREATE"},
			},
		},
		"All": {
			reason: "ALL grants every privilege the user lacks",
			db:     &fakeServer{held: []string{"CONNECT"}},
			cr:     newGrant([]string{"ALL"}, was("CONNECT")),
			want: want{
				granted: []call{{User: app, Database: "appdb", Privileges: []string{"CREATE", "TEMPORARY"}}},
				held:    []string{"CONNECT", "CREATE", "TEMPORARY"},
			},
		},
		"GrantFails": {
			reason: "A failed grant is returned and nothing is revoked",
			db:     &fakeServer{held: []string{"TEMPORARY"}, grantErr: errBoom},
			cr:     newGrant([]string{"CONNECT"}, was("TEMPORARY")),
			want: want{
				err:     errBoom,
				granted: []call{{User: app, Database: "appdb", Privileges: []string{"CONNECT"}}},
				held:    []string{"TEMPORARY"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := (&external{db: tc.db}).Update(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nUpdate error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.granted, tc.db.granted); diff != "" {
				t.Errorf("%s\nGrant: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.revoked, tc.db.revoked); diff != "" {
				t.Errorf("%s\nRevoke: -want, +got:\n%s", tc.reason, diff)
			}
			held := append([]string(nil), tc.db.held...)
			sort.Strings(held)
			if diff := cmp.Diff(tc.want.held, held); diff != "" {
				t.Errorf("%s\nheld afterwards: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	errBoom := errors.New("boom")
	type want struct {
		err     error
		revoked []call
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		cr     *v1alpha1.Grant
		want   want
	}{
		"RevokesWhatItManages": {
			reason: "What the Grant asks for and asked for before is revoked; others the user holds stay",
			db:     &fakeServer{held: []string{"CREATE", "CONNECT", "TEMPORARY"}},
			cr: newGrant([]string{"CONNECT"}, func(g *v1alpha1.Grant) {
				g.Status.AtProvider.Privileges = []string{"CONNECT", "CREATE"}
			}),
			want: want{revoked: []call{{User: app, Database: "appdb", Privileges: []string{"CONNECT", "CREATE"}}}},
		},
		"NothingHeld": {
			reason: "Nothing held, nothing revoked",
			db:     &fakeServer{},
			cr:     newGrant([]string{"CONNECT"}),
			want:   want{},
		},
		"PrivilegesError": {
			reason: "An error reading privileges is returned and nothing is revoked",
			db:     &fakeServer{held: []string{"CONNECT"}, heldErr: errBoom},
			cr:     newGrant([]string{"CONNECT"}),
			want:   want{err: errBoom},
		},
		"NoUser": {
			reason: "A Grant that names no user is an error",
			db:     &fakeServer{held: []string{"CONNECT"}},
			cr:     newGrant([]string{"CONNECT"}, func(g *v1alpha1.Grant) { g.Spec.ForProvider.User = ptr("") }),
			want:   want{err: errors.New(errNoUser)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := (&external{db: tc.db}).Delete(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nDelete error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.revoked, tc.db.revoked); diff != "" {
				t.Errorf("%s\nRevoke: -want, +got:\n%s", tc.reason, diff)
			}
			if got := tc.cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonDeleting {
				t.Errorf("%s\nReady reason = %q, want %q", tc.reason, got, xpv2.ReasonDeleting)
			}
		})
	}
}

func TestDisconnect(t *testing.T) {
	db := &fakeServer{}
	if err := (&external{db: db}).Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !db.closed {
		t.Error("Disconnect did not close the server connection")
	}
}

func TestTarget(t *testing.T) {
	type want struct {
		user     dbms.UserName
		database string
		err      error
	}
	cases := map[string]struct {
		reason string
		cr     *v1alpha1.Grant
		want   want
	}{
		"NoUser": {
			reason: "A Grant must name its user",
			cr:     newGrant(nil, func(g *v1alpha1.Grant) { g.Spec.ForProvider.User = nil }),
			want:   want{err: errors.New(errNoUser)},
		},
		"EmptyUser": {
			reason: "An empty user (an unresolved reference) is no user",
			cr:     newGrant(nil, func(g *v1alpha1.Grant) { g.Spec.ForProvider.User = ptr("") }),
			want:   want{err: errors.New(errNoUser)},
		},
		"NoDatabase": {
			reason: "A Grant must name its database",
			cr:     newGrant(nil, func(g *v1alpha1.Grant) { g.Spec.ForProvider.Database = nil }),
			want:   want{err: errors.New(errNoDatabase)},
		},
		"EmptyDatabase": {
			reason: "An empty database (an unresolved reference) is no database",
			cr:     newGrant(nil, func(g *v1alpha1.Grant) { g.Spec.ForProvider.Database = ptr("") }),
			want:   want{err: errors.New(errNoDatabase)},
		},
		"User": {
			reason: "The user is looked for in the database (a SQL Server database user)",
			cr:     newGrant(nil),
			want:   want{user: dbms.UserName{Name: "app", Database: "appdb"}, database: "appdb"},
		},
		"MySQLAccount": {
			reason: "A MySQL account is name@host",
			cr:     newGrant(nil, func(g *v1alpha1.Grant) { g.Spec.ForProvider.Host = ptr("10.0.%") }),
			want:   want{user: dbms.UserName{Name: "app", Host: "10.0.%", Database: "appdb"}, database: "appdb"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u, db, err := target(tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\ntarget error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.user, u); diff != "" {
				t.Errorf("%s\ntarget user: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.database, db); diff != "" {
				t.Errorf("%s\ntarget database: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestOwnership: a Grant grants only on this namespace's databases and to
// its users, never on built-in databases nor to built-in or admin users;
// while deleting it lets go of what is not its namespace's without revoking.
func TestOwnership(t *testing.T) {
	deleting := func(g *v1alpha1.Grant) { now := metav1.Now(); g.SetDeletionTimestamp(&now) }
	on := func(db string) func(*v1alpha1.Grant) {
		return func(g *v1alpha1.Grant) { g.Spec.ForProvider.Database = ptr(db) }
	}
	to := func(u string) func(*v1alpha1.Grant) {
		return func(g *v1alpha1.Grant) { g.Spec.ForProvider.User = ptr(u) }
	}
	cases := map[string]struct {
		reason string
		engine dbms.Engine
		db     *fakeServer
		cr     *v1alpha1.Grant
		err    string
	}{
		"OtherTeamsDatabase": {
			reason: "Another team's database is refused",
			db:     &fakeServer{dbMarker: theirs, held: []string{"CONNECT"}},
			cr:     newGrant([]string{"CONNECT"}),
			err:    `database "appdb" belongs to namespace team-b, not ns: only databases and users of this namespace can be granted on or to`,
		},
		"UnmarkedDatabase": {
			reason: "A database the provider did not make (nor import) is refused",
			db:     &fakeServer{dbMarker: "a comment", held: []string{"CONNECT"}},
			cr:     newGrant([]string{"CONNECT"}),
			err:    `database "appdb" was not made by this provider in namespace ns (nor imported into it)`,
		},
		"OtherTeamsUser": {
			reason: "Another team's user is refused",
			db:     &fakeServer{userMarker: theirs},
			cr:     newGrant([]string{"CONNECT"}),
			err:    `user "app" belongs to namespace team-b, not ns`,
		},
		"MySQLSchema": {
			reason: "mysql is never granted on",
			engine: dbms.MariaDB,
			db:     &fakeServer{},
			cr:     newGrant([]string{"SELECT"}, on("mysql")),
			err:    `database "mysql" is a built-in database of the server`,
		},
		"Star": {
			reason: "* is never granted on",
			engine: dbms.MariaDB,
			db:     &fakeServer{},
			cr:     newGrant([]string{"SELECT"}, on("*")),
			err:    `database "*" is a wildcard that reaches every database`,
		},
		"ProviderBookkeeping": {
			reason: "The provider's own bookkeeping database is never granted on",
			engine: dbms.MariaDB,
			db:     &fakeServer{},
			cr:     newGrant([]string{"INSERT"}, on(dbms.ProviderDatabase)),
			err:    `database "dbaas_provider" is a built-in database of the server`,
		},
		"ToAdmin": {
			reason: "Nothing is granted to the admin",
			db:     &fakeServer{},
			cr:     newGrant([]string{"CONNECT"}, to("dbadmin")),
			err:    `user "dbadmin" is the server's admin account`,
		},
		"ToPostgres": {
			reason: "Nothing is granted to postgres",
			db:     &fakeServer{},
			cr:     newGrant([]string{"CONNECT"}, to("postgres")),
			err:    `user "postgres" is a built-in account of the server`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{db: tc.db, engine: tc.engine, admin: "dbadmin"}
			_, err := e.Observe(context.Background(), tc.cr)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s\nObserve error %v, want it to contain %q", tc.reason, err, tc.err)
			}
			_, err = e.Create(context.Background(), tc.cr)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s\nCreate error %v, want it to contain %q", tc.reason, err, tc.err)
			}
			if len(tc.db.granted) > 0 || len(tc.db.revoked) > 0 {
				t.Errorf("%s\nthe server was changed: granted %v, revoked %v", tc.reason, tc.db.granted, tc.db.revoked)
			}

			// Deleting lets go without revoking anything.
			cr := tc.cr.DeepCopy()
			deleting(cr)
			o, err := e.Observe(context.Background(), cr)
			if err != nil || o.ResourceExists {
				t.Errorf("%s\nObserve while deleting = %v, %v; want gone, no error", tc.reason, o.ResourceExists, err)
			}
			if len(tc.db.revoked) > 0 {
				t.Errorf("%s\nrevoked %v while letting go", tc.reason, tc.db.revoked)
			}
		})
	}
}
