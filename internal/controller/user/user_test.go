package user

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/rotation"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
)

func ptr[T any](v T) *T { return &v }

// A privilegeCall is one Grant (or Privileges) call.
type privilegeCall struct {
	User       dbms.UserName
	Database   string
	Privileges []string
}

// fakeServer answers from its fields and records what was asked of it.
// Methods it does not implement panic through the nil embedded interface,
// which shows a test reached an unexpected call.
type fakeServer struct {
	dbms.Server
	// engine the server runs; PostgreSQL when empty.
	engine   dbms.Engine
	user     *dbms.UserObservation
	password string   // the password that logs in
	held     []string // privileges held on the user's database

	observedAs []dbms.UserName
	createdAs  *dbms.UserName
	created    *dbms.UserParameters
	updatedAs  *dbms.UserName
	updated    *dbms.UserParameters
	asked      []privilegeCall // Privileges calls
	granted    []privilegeCall
	dropped    *dbms.UserName
	droppedIn  []string
	grantErr   error
	// unmarked leaves user without this User's marker; database is the
	// User's database as observed (this namespace's when nil).
	unmarked bool
	database *dbms.DatabaseObservation
	markedAs *dbms.UserName
	marker   string
}

func (f *fakeServer) ObserveUser(_ context.Context, u dbms.UserName) (*dbms.UserObservation, error) {
	f.observedAs = append(f.observedAs, u)
	if f.user == nil {
		return nil, nil
	}
	// A role in a fixture was made by this User unless the fixture says
	// otherwise.
	o := *f.user
	if o.Marker == "" && !f.unmarked {
		o.Marker = mine
	}
	return &o, nil
}

// ObserveDatabase answers for the User's database: this namespace's unless
// the fixture says otherwise.
func (f *fakeServer) ObserveDatabase(_ context.Context, _ string) (*dbms.DatabaseObservation, error) {
	if f.database != nil {
		return f.database, nil
	}
	return &dbms.DatabaseObservation{Marker: mine}, nil
}

func (f *fakeServer) MarkUser(_ context.Context, u dbms.UserName, marker string) error {
	f.markedAs, f.marker = &u, marker
	return nil
}

func (f *fakeServer) CanLogin(_ context.Context, _ dbms.UserName, pw string) (bool, error) {
	return pw == f.password, nil
}

func (f *fakeServer) Privileges(_ context.Context, u dbms.UserName, db string) ([]string, error) {
	f.asked = append(f.asked, privilegeCall{User: u, Database: db})
	return f.held, nil
}

func (f *fakeServer) CreateUser(_ context.Context, u dbms.UserName, p dbms.UserParameters) error {
	f.createdAs, f.created = &u, &p
	return nil
}

func (f *fakeServer) UpdateUser(_ context.Context, u dbms.UserName, p dbms.UserParameters) error {
	f.updatedAs, f.updated = &u, &p
	return nil
}

func (f *fakeServer) Grant(_ context.Context, u dbms.UserName, db string, privileges []string) error {
	if f.grantErr != nil {
		return f.grantErr
	}
	f.granted = append(f.granted, privilegeCall{User: u, Database: db, Privileges: privileges})
	return nil
}

func (f *fakeServer) DropUser(_ context.Context, u dbms.UserName, alsoIn []string) error {
	f.dropped, f.droppedIn = &u, alsoIn
	return nil
}

const uid = types.UID("8f4e2b1c-0000-4000-8000-000000000001")

// mine is the marker of the Users newUser makes.
var mine = ownership.Owner{Namespace: "ns", UID: string(uid)}.Marker()

func newUser(mod ...func(*v1alpha1.User)) *v1alpha1.User {
	u := &v1alpha1.User{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app", UID: uid}}
	meta.SetExternalName(u, "app")
	u.Spec.ForProvider.Instance = "pg"
	u.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "app-conn"}
	for _, m := range mod {
		m(u)
	}
	return u
}

// connSecret is the User's connection secret holding pw.
func connSecret(pw string) client.Object {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app-conn", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: v1alpha1.UserKind, Name: "app", UID: uid, Controller: ptr(true),
		}}},
		Data: map[string][]byte{"password": []byte(pw)},
	}
}

func givenSecret(pw string) client.Object {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "given"}, Data: map[string][]byte{"pw": []byte(pw)}}
}

func withGiven(u *v1alpha1.User) {
	u.Spec.ForProvider.PasswordSecretRef = &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "given"}, Key: "pw"}
}

func withDatabase(db string) func(*v1alpha1.User) {
	return func(u *v1alpha1.User) { u.Spec.ForProvider.Database = ptr(db) }
}

func withRotation(requested, recorded string) func(*v1alpha1.User) {
	return func(u *v1alpha1.User) {
		u.Spec.ForProvider.CredentialRotation = requested
		u.Status.AtProvider.CredentialRotation = recorded
	}
}

func createdWithRotation(r string) func(*v1alpha1.User) {
	return func(u *v1alpha1.User) { meta.AddAnnotations(u, map[string]string{rotation.Annotation: r}) }
}

// onMySQL makes u a MySQL account name@host with resource limits.
func onMySQL(u *v1alpha1.User) {
	u.Spec.ForProvider.Instance = ""
	u.Spec.ForProvider.Host = ptr("10.0.%")
	u.Spec.ForProvider.ResourceLimits = &v1alpha1.ResourceLimits{MaxQueriesPerHour: ptr[int32](100), MaxUserConnections: ptr[int32](5)}
}

// newExternal is the external client Connect makes for db's engine.
func newExternal(db *fakeServer, objs ...client.Object) *external {
	engine := db.engine
	if engine == "" {
		engine = dbms.PostgreSQL
	}
	kube := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(objs...).Build()
	return &external{
		db:        db,
		passwords: &passwords{kube: kube},
		endpoint:  "10.0.0.1",
		port:      dbms.DefaultPort(engine),
		access:    accessPrivileges[engine],
		defaultDB: defaultDatabases[engine],
	}
}

func TestObserve(t *testing.T) {
	loginRole := &dbms.UserObservation{CanLogin: true, ConnectionLimit: ptr[int32](-1)}
	mysqlAccount := &dbms.UserObservation{CanLogin: true, Limits: dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](100), MaxUserConnections: ptr[int32](5)}}
	type want struct {
		exists, upToDate bool
		password         string
		// privilegesAsked counts Privileges calls.
		privilegesAsked int
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		objs   []client.Object
		cr     *v1alpha1.User
		want   want
	}{
		"Missing": {
			reason: "A missing role does not exist",
			db:     &fakeServer{},
			cr:     newUser(),
			want:   want{},
		},
		"GeneratedKept": {
			reason: "The password from the connection secret is checked and published again",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{exists: true, upToDate: true, password: "kept"},
		},
		"GeneratedChangedOnServer": {
			reason: "A role whose password no longer matches the stored one needs an update",
			db:     &fakeServer{user: loginRole, password: "other"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
		"GeneratedLost": {
			reason: "A generated password that was never published needs an update",
			db:     &fakeServer{user: loginRole},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false},
		},
		"NowhereToKeep": {
			reason: "Without a connection secret an unknown password is left alone",
			db:     &fakeServer{user: loginRole},
			cr:     newUser(func(u *v1alpha1.User) { u.Spec.WriteConnectionSecretToReference = nil }),
			want:   want{exists: true, upToDate: true},
		},
		"NotOurSecret": {
			reason: "A Secret the User does not control is not trusted as its password store",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app-conn"}, Data: map[string][]byte{"password": []byte("kept")}}},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false},
		},
		"GivenChanged": {
			reason: "A changed passwordSecretRef password needs an update",
			db:     &fakeServer{user: loginRole, password: "old"},
			objs:   []client.Object{givenSecret("new")},
			cr:     newUser(withGiven),
			want:   want{exists: true, upToDate: false, password: "new"},
		},
		"NoLogin": {
			reason: "A role that cannot log in needs an update",
			db:     &fakeServer{user: &dbms.UserObservation{ConnectionLimit: ptr[int32](-1)}, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
		"ConnectionLimitDiffers": {
			reason: "Another connection limit needs an update",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(func(u *v1alpha1.User) { u.Spec.ForProvider.ConnectionLimit = ptr[int32](3) }),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
		"NoAccess": {
			reason: "A role without access to its database needs an update",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want:   want{exists: true, upToDate: false, password: "kept", privilegesAsked: 1},
		},
		"PartialAccess": {
			reason: "A role that may connect to its database but not make temporary tables needs an update",
			db:     &fakeServer{user: loginRole, password: "kept", held: []string{"CONNECT"}},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want:   want{exists: true, upToDate: false, password: "kept", privilegesAsked: 1},
		},
		"Access": {
			reason: "A role that holds the access privileges, and more, is up to date",
			db:     &fakeServer{user: loginRole, password: "kept", held: []string{"CONNECT", "CREATE", "TEMPORARY"}},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want:   want{exists: true, upToDate: true, password: "kept", privilegesAsked: 1},
		},
		"RotationRequested": {
			reason: "A credentialRotation other than the one carried out needs an update, though the password works",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withRotation("2", "1")),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
		"RotationCarriedOut": {
			reason: "A credentialRotation already carried out needs nothing",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withRotation("2", "2")),
			want:   want{exists: true, upToDate: true, password: "kept"},
		},
		"RotationAtCreation": {
			reason: "The credentialRotation the user was created with needs no rotation",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withRotation("1", ""), createdWithRotation("1")),
			want:   want{exists: true, upToDate: true, password: "kept"},
		},
		"RotationSinceCreation": {
			reason: "A credentialRotation changed since creation needs an update",
			db:     &fakeServer{user: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withRotation("2", ""), createdWithRotation("1")),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
		"MySQLLimitsMatch": {
			reason: "A MySQL account with the limits asked for is up to date; it needs no access privileges, so none are read",
			db:     &fakeServer{engine: dbms.MySQL, user: mysqlAccount, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(onMySQL, withDatabase("appdb")),
			want:   want{exists: true, upToDate: true, password: "kept"},
		},
		"MySQLLimitsDiffer": {
			reason: "A MySQL account with other limits needs an update",
			db: &fakeServer{engine: dbms.MySQL, password: "kept", user: &dbms.UserObservation{
				CanLogin: true, Limits: dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](50), MaxUserConnections: ptr[int32](5)},
			}},
			objs: []client.Object{connSecret("kept")},
			cr:   newUser(onMySQL),
			want: want{exists: true, upToDate: false, password: "kept"},
		},
		"SQLServerNoAccessPrivileges": {
			reason: "A SQL Server user's database user is its access: no privileges are read",
			db:     &fakeServer{engine: dbms.SQLServer, user: &dbms.UserObservation{CanLogin: true}, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want:   want{exists: true, upToDate: true, password: "kept"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := newExternal(tc.db, tc.objs...).Observe(context.Background(), tc.cr)
			if err != nil {
				t.Fatalf("%s\nObserve: %v", tc.reason, err)
			}
			got := want{exists: o.ResourceExists, upToDate: o.ResourceUpToDate, password: string(o.ConnectionDetails["password"]), privilegesAsked: len(tc.db.asked)}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nObserve: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestObserveRecords(t *testing.T) {
	db := &fakeServer{engine: dbms.MySQL, password: "kept", user: &dbms.UserObservation{
		CanLogin: true, Limits: dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](100), MaxUserConnections: ptr[int32](5)},
	}}
	cr := newUser(onMySQL, withDatabase("appdb"))
	if _, err := newExternal(db, connSecret("kept")).Observe(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]dbms.UserName{{Name: "app", Host: "10.0.%", Database: "appdb"}}, db.observedAs); diff != "" {
		t.Errorf("ObserveUser: the account is name@host: -want, +got:\n%s", diff)
	}
	want := v1alpha1.UserObservation{CanLogin: true, ResourceLimits: &v1alpha1.ResourceLimits{MaxQueriesPerHour: ptr[int32](100), MaxUserConnections: ptr[int32](5)}}
	if diff := cmp.Diff(want, cr.Status.AtProvider); diff != "" {
		t.Errorf("status.atProvider: -want, +got:\n%s", diff)
	}
	if cr.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		t.Error("an existing user is not Available")
	}
}

func TestObserveErrors(t *testing.T) {
	if _, err := newExternal(&fakeServer{}).Observe(context.Background(), newUser(func(u *v1alpha1.User) { meta.SetExternalName(u, "") })); err == nil || err.Error() != errNoName {
		t.Errorf("Observe without an external name: err = %v, want %q", err, errNoName)
	}
	_, err := newExternal(&fakeServer{user: &dbms.UserObservation{CanLogin: true}}, givenSecret("x")).Observe(context.Background(), newUser(func(u *v1alpha1.User) {
		withGiven(u)
		u.Spec.ForProvider.PasswordSecretRef.Key = "other"
	}))
	if diff := cmp.Diff(errors.Errorf(errNoPasswordKey, "given", "other"), err, test.EquateErrors()); diff != "" {
		t.Errorf("Observe with a passwordSecretRef key that is not there: -want, +got:\n%s", diff)
	}
}

func TestCreate(t *testing.T) {
	type want struct {
		password   string // "" means a generated password
		as         dbms.UserName
		parameters dbms.UserParameters // but the password
		database   string              // the connection secret's; "" means none
		port       string
		annotation string
	}
	cases := map[string]struct {
		reason string
		engine dbms.Engine
		objs   []client.Object
		cr     *v1alpha1.User
		want   want
	}{
		"Generated": {
			reason: "Without any password one is generated",
			cr:     newUser(),
			want:   want{as: dbms.UserName{Name: "app"}, database: "postgres", port: "5432"},
		},
		"Reused": {
			reason: "A password already in the connection secret is reused",
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{password: "kept", as: dbms.UserName{Name: "app"}, database: "postgres", port: "5432"},
		},
		"Given": {
			reason: "A passwordSecretRef password is used",
			objs:   []client.Object{givenSecret("given")},
			cr:     newUser(withGiven),
			want:   want{password: "given", as: dbms.UserName{Name: "app"}, database: "postgres", port: "5432"},
		},
		"ConnectionLimit": {
			reason: "A PostgreSQL connection limit is passed on, and the secret points at the user's database",
			cr:     newUser(withDatabase("appdb"), func(u *v1alpha1.User) { u.Spec.ForProvider.ConnectionLimit = ptr[int32](7) }),
			want: want{
				as:         dbms.UserName{Name: "app", Database: "appdb"},
				parameters: dbms.UserParameters{ConnectionLimit: ptr[int32](7)},
				database:   "appdb",
				port:       "5432",
			},
		},
		"MySQLHostAndLimits": {
			reason: "A MySQL account is made as name@host with its resource limits; MySQL has no default database for the secret",
			engine: dbms.MySQL,
			cr:     newUser(onMySQL),
			want: want{
				as:         dbms.UserName{Name: "app", Host: "10.0.%"},
				parameters: dbms.UserParameters{Limits: dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](100), MaxUserConnections: ptr[int32](5)}},
				port:       "3306",
			},
		},
		"SQLServerContained": {
			reason: "A contained SQL Server user is made in its database",
			engine: dbms.SQLServer,
			cr:     newUser(withDatabase("appdb"), func(u *v1alpha1.User) { u.Spec.ForProvider.Contained = ptr(true) }),
			want: want{
				as:         dbms.UserName{Name: "app", Database: "appdb"},
				parameters: dbms.UserParameters{Contained: true},
				database:   "appdb",
				port:       "1433",
			},
		},
		"SQLServerDefaultDatabase": {
			reason: "A SQL Server user without a database gets master in its secret",
			engine: dbms.SQLServer,
			cr:     newUser(),
			want:   want{as: dbms.UserName{Name: "app"}, database: "master", port: "1433"},
		},
		"RecordsRotationAtCreation": {
			reason: "The credentialRotation a user is created with is recorded, so that it does not rotate at once",
			cr:     newUser(withRotation("1", "")),
			want:   want{as: dbms.UserName{Name: "app"}, database: "postgres", port: "5432", annotation: "1"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := &fakeServer{engine: tc.engine}
			c, err := newExternal(db, tc.objs...).Create(context.Background(), tc.cr)
			if err != nil {
				t.Fatal(err)
			}
			pw := db.created.Password
			if tc.want.password != "" && pw != tc.want.password {
				t.Errorf("%s\nCreateUser password = %q, want %q", tc.reason, pw, tc.want.password)
			}
			if tc.want.password == "" && len(pw) < 16 {
				t.Errorf("%s\ngenerated password %q is too short", tc.reason, pw)
			}
			if diff := cmp.Diff(tc.want.as, *db.createdAs); diff != "" {
				t.Errorf("%s\nCreateUser name: -want, +got:\n%s", tc.reason, diff)
			}
			p := *db.created
			p.Password = ""
			if p.Marker != mine {
				t.Errorf("%s\nCreateUser marker = %q, want %q", tc.reason, p.Marker, mine)
			}
			p.Marker = ""
			if diff := cmp.Diff(tc.want.parameters, p); diff != "" {
				t.Errorf("%s\nCreateUser parameters: -want, +got:\n%s", tc.reason, diff)
			}
			wantDetails := managed.ConnectionDetails{
				"username": []byte("app"), "password": []byte(pw), "endpoint": []byte("10.0.0.1"), "port": []byte(tc.want.port),
				// The server's config names no TLS mode: the default.
				"sslmode": []byte("verify-full"),
			}
			if tc.want.database != "" {
				wantDetails["database"] = []byte(tc.want.database)
			}
			if diff := cmp.Diff(wantDetails, c.ConnectionDetails); diff != "" {
				t.Errorf("%s\nconnection details: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.annotation, tc.cr.GetAnnotations()[rotation.Annotation]); diff != "" {
				t.Errorf("%s\nrotation annotation: -want, +got:\n%s", tc.reason, diff)
			}
			if len(db.granted) > 0 {
				t.Errorf("%s\nCreate granted %v; access is Update's to grant", tc.reason, db.granted)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	type want struct {
		setPassword string // "*" means a generated one
		granted     []privilegeCall
		// privilegesAsked counts Privileges calls.
		privilegesAsked int
		// published is the password in the returned details.
		published string // "*" means the generated one
		recorded  string // status.atProvider.credentialRotation
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		objs   []client.Object
		cr     *v1alpha1.User
		want   want
	}{
		"KeepsWorkingPassword": {
			reason: "A password that logs in is not set again",
			db:     &fakeServer{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{published: "kept"},
		},
		"RestoresStoredPassword": {
			reason: "A stored password that no longer logs in is set back, not replaced",
			db:     &fakeServer{password: "other"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{setPassword: "kept", published: "kept"},
		},
		"GeneratesLostPassword": {
			reason: "A lost generated password is replaced",
			db:     &fakeServer{},
			cr:     newUser(),
			want:   want{setPassword: "*", published: "*"},
		},
		"SetsGivenPassword": {
			reason: "A changed given password is set",
			db:     &fakeServer{password: "old"},
			objs:   []client.Object{givenSecret("new")},
			cr:     newUser(withGiven),
			want:   want{setPassword: "new", published: "new"},
		},
		"Grants": {
			reason: "Access to the database is granted",
			db:     &fakeServer{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want: want{
				granted:         []privilegeCall{{User: dbms.UserName{Name: "app", Database: "appdb"}, Database: "appdb", Privileges: []string{"CONNECT", "TEMPORARY"}}},
				privilegesAsked: 1,
				published:       "kept",
			},
		},
		"GrantsOnlyMissing": {
			reason: "Only the access privileges the role lacks are granted",
			db:     &fakeServer{password: "kept", held: []string{"CONNECT", "CREATE"}},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want: want{
				granted:         []privilegeCall{{User: dbms.UserName{Name: "app", Database: "appdb"}, Database: "appdb", Privileges: []string{"TEMPORARY"}}},
				privilegesAsked: 1,
				published:       "kept",
			},
		},
		"GrantsNothingHeld": {
			reason: "A role that holds its access privileges is granted nothing",
			db:     &fakeServer{password: "kept", held: []string{"CONNECT", "TEMPORARY"}},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want:   want{privilegesAsked: 1, published: "kept"},
		},
		"NoDatabaseNoGrant": {
			reason: "A user without a database is granted nothing and no privileges are read",
			db:     &fakeServer{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{published: "kept"},
		},
		"MySQLNoGrant": {
			reason: "MySQL accounts get privileges from Grants only: none are read or granted",
			db:     &fakeServer{engine: dbms.MySQL, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(onMySQL, withDatabase("appdb")),
			want:   want{published: "kept"},
		},
		"SQLServerNoGrant": {
			reason: "SQL Server users get no access privileges: none are read or granted",
			db:     &fakeServer{engine: dbms.SQLServer, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withDatabase("appdb")),
			want:   want{published: "kept"},
		},
		"Rotates": {
			reason: "A requested rotation replaces a working generated password, publishes it and records the rotation",
			db:     &fakeServer{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withRotation("2", "1")),
			want:   want{setPassword: "*", published: "*", recorded: "2"},
		},
		"RotatesSinceCreation": {
			reason: "A rotation requested after creation replaces the password",
			db:     &fakeServer{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withRotation("2", ""), createdWithRotation("1")),
			want:   want{setPassword: "*", published: "*", recorded: "2"},
		},
		"NoRotationPending": {
			reason: "A rotation already carried out does not replace the password",
			db:     &fakeServer{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(withRotation("2", "2")),
			want:   want{published: "kept", recorded: "2"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u, err := newExternal(tc.db, tc.objs...).Update(context.Background(), tc.cr)
			if err != nil {
				t.Fatal(err)
			}
			got := want{
				setPassword:     tc.db.updated.Password,
				granted:         tc.db.granted,
				privilegesAsked: len(tc.db.asked),
				published:       string(u.ConnectionDetails["password"]),
				recorded:        tc.cr.Status.AtProvider.CredentialRotation,
			}
			if tc.want.setPassword == "*" {
				// A generated password is long, new, and the one published.
				if len(got.setPassword) >= 16 && got.setPassword != tc.db.password && got.published == got.setPassword {
					got.setPassword, got.published = "*", "*"
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nUpdate: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpdateMySQL(t *testing.T) {
	db := &fakeServer{engine: dbms.MySQL, password: "kept"}
	cr := newUser(onMySQL)
	if _, err := newExternal(db, connSecret("kept")).Update(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dbms.UserName{Name: "app", Host: "10.0.%"}, *db.updatedAs); diff != "" {
		t.Errorf("UpdateUser name: -want, +got:\n%s", diff)
	}
	want := dbms.UserParameters{Limits: dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](100), MaxUserConnections: ptr[int32](5)}}
	if diff := cmp.Diff(want, *db.updated); diff != "" {
		t.Errorf("UpdateUser parameters: -want, +got:\n%s", diff)
	}
}

// TestUpdateGrantFailsFirst: when access cannot be granted (the database
// is not there yet), a rotation must change nothing, or the new password
// would be on the server and in no secret.
func TestUpdateGrantFailsFirst(t *testing.T) {
	db := &fakeServer{password: "old", grantErr: errors.New("database does not exist")}
	cr := newUser(withDatabase("appdb"), func(u *v1alpha1.User) { u.Spec.ForProvider.CredentialRotation = "2" })
	u, err := newExternal(db, connSecret("old")).Update(context.Background(), cr)
	if err == nil {
		t.Fatal("Update succeeded although the grant failed")
	}
	if db.updated != nil {
		t.Errorf("UpdateUser was called with %+v before access was granted", *db.updated)
	}
	if cr.Status.AtProvider.CredentialRotation != "" || len(u.ConnectionDetails) != 0 {
		t.Errorf("a failed update recorded rotation %q and details %v", cr.Status.AtProvider.CredentialRotation, u.ConnectionDetails)
	}
}

func TestDelete(t *testing.T) {
	db := &fakeServer{engine: dbms.MySQL}
	cr := newUser(onMySQL, withDatabase("appdb"))
	if _, err := newExternal(db).Delete(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dbms.UserName{Name: "app", Host: "10.0.%", Database: "appdb"}, *db.dropped); diff != "" {
		t.Errorf("DropUser name: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"appdb"}, db.droppedIn); diff != "" {
		t.Errorf("DropUser alsoIn: -want, +got:\n%s", diff)
	}
	if got := cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonDeleting {
		t.Errorf("Ready reason = %q, want %q", got, xpv2.ReasonDeleting)
	}
}

func TestLimitsUpToDate(t *testing.T) {
	cases := map[string]struct {
		reason string
		want   *v1alpha1.ResourceLimits
		got    dbms.ResourceLimits
		up     bool
	}{
		"NoneAsked": {
			reason: "Without limits asked for, any limits are fine",
			got:    dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](10)},
			up:     true,
		},
		"EmptyAsked": {
			reason: "Limits that are all unset leave the server's alone",
			want:   &v1alpha1.ResourceLimits{},
			got:    dbms.ResourceLimits{MaxUpdatesPerHour: ptr[int32](3)},
			up:     true,
		},
		"Same": {
			reason: "Every limit as asked is up to date",
			want:   &v1alpha1.ResourceLimits{MaxQueriesPerHour: ptr[int32](1), MaxUpdatesPerHour: ptr[int32](2), MaxConnectionsPerHour: ptr[int32](3), MaxUserConnections: ptr[int32](4)},
			got:    dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](1), MaxUpdatesPerHour: ptr[int32](2), MaxConnectionsPerHour: ptr[int32](3), MaxUserConnections: ptr[int32](4)},
			up:     true,
		},
		"UnsetIgnored": {
			reason: "Limits not asked for are not compared",
			want:   &v1alpha1.ResourceLimits{MaxUserConnections: ptr[int32](4)},
			got:    dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](9), MaxUserConnections: ptr[int32](4)},
			up:     true,
		},
		"ZeroIsUnlimited": {
			reason: "0 (unlimited) is compared like any value",
			want:   &v1alpha1.ResourceLimits{MaxConnectionsPerHour: ptr[int32](0)},
			got:    dbms.ResourceLimits{MaxConnectionsPerHour: ptr[int32](0)},
			up:     true,
		},
		"Differs": {
			reason: "A limit other than asked is not up to date",
			want:   &v1alpha1.ResourceLimits{MaxUpdatesPerHour: ptr[int32](2)},
			got:    dbms.ResourceLimits{MaxUpdatesPerHour: ptr[int32](20)},
			up:     false,
		},
		"NotReported": {
			reason: "A limit asked for that the server does not report is not up to date",
			want:   &v1alpha1.ResourceLimits{MaxConnectionsPerHour: ptr[int32](0)},
			got:    dbms.ResourceLimits{},
			up:     false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := limitsUpToDate(tc.want, tc.got); got != tc.up {
				t.Errorf("%s\nlimitsUpToDate(...) = %t, want %t", tc.reason, got, tc.up)
			}
		})
	}
}

type nopTracker struct{}

func (nopTracker) Track(context.Context, resource.ModernManaged) error { return nil }

func TestConnect(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apisv1alpha1.SchemeBuilder.AddToScheme(s)
	admin := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "admin"}, Data: map[string][]byte{"username": []byte("root"), "password": []byte("r00t")}}
	pc := func(engine apisv1alpha1.ServerEngine) *apisv1alpha1.ProviderConfig {
		p := &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "server"}}
		p.Spec.Server = &apisv1alpha1.ExistingServer{Engine: engine, Host: "db.example", AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: "ns", Name: "admin"}}
		return p
	}
	type want struct {
		endpoint  string
		port      int
		access    []string
		defaultDB string
	}
	cases := map[string]struct {
		reason string
		engine apisv1alpha1.ServerEngine
		want   want
	}{
		"PostgreSQL": {
			reason: "A PostgreSQL role is let into its database and points at postgres by default",
			engine: apisv1alpha1.ServerEnginePostgreSQL,
			want:   want{endpoint: "db.example", port: 5432, access: []string{"CONNECT", "TEMPORARY"}, defaultDB: "postgres"},
		},
		"MySQL": {
			reason: "A MySQL account gets no access privileges and no default database",
			engine: apisv1alpha1.ServerEngineMySQL,
			want:   want{endpoint: "db.example", port: 3306},
		},
		"SQLServer": {
			reason: "A SQL Server login gets no access privileges and points at master by default",
			engine: apisv1alpha1.ServerEngineSQLServer,
			want:   want{endpoint: "db.example", port: 1433, defaultDB: "master"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(admin, pc(tc.engine)).Build()
			db := &fakeServer{}
			c := &connector{kube: kube, Connector: server.Connector{Kube: kube, Usage: nopTracker{}, Policy: exampleHosts, Open: func(context.Context, dbms.Config) (dbms.Server, error) {
				return db, nil
			}}}
			cr := newUser(func(u *v1alpha1.User) {
				u.Spec.ForProvider.Instance = ""
				u.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "server"}
			})
			ext, err := c.Connect(context.Background(), cr)
			if err != nil {
				t.Fatalf("%s\nConnect: %v", tc.reason, err)
			}
			b, ok := ext.(sqlowner.Bounded[*v1alpha1.User])
			if !ok {
				t.Fatalf("%s\nConnect returned %T, want a bounded client", tc.reason, ext)
			}
			e, ok := b.TypedExternalClient.(*external)
			if !ok {
				t.Fatalf("%s\nConnect returned %T, want *external", tc.reason, ext)
			}
			got := want{endpoint: e.endpoint, port: e.port, access: e.access, defaultDB: e.defaultDB}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nexternal: -want, +got:\n%s", tc.reason, diff)
			}
			if server.Unwrap(e.db) != db || e.passwords == nil || e.passwords.kube == nil {
				t.Errorf("%s\nthe external client is not wired to the server and the API reader", tc.reason)
			}
		})
	}
}

// exampleHosts lets the tests' namespaced ProviderConfigs point at their
// servers, as a platform's --namespaced-endpoints would.
var exampleHosts = providerconfig.Policy{Endpoints: []string{"*.example", "db.example"}}

// TestObserveOwnership: a login the User did not make is refused and
// nothing is published, unless it is imported where the server allows it;
// reserved logins are refused whatever the User asks.
func TestObserveOwnership(t *testing.T) {
	other := ownership.Owner{Namespace: "team-b", UID: "8f4e2b1c-0000-4000-8000-0000000000bb"}.Marker()
	importing := func(u *v1alpha1.User) { meta.AddAnnotations(u, map[string]string{ownership.ImportAnnotation: "true"}) }
	named := func(n string) func(*v1alpha1.User) { return func(u *v1alpha1.User) { meta.SetExternalName(u, n) } }
	deleting := func(u *v1alpha1.User) { now := metav1.Now(); u.SetDeletionTimestamp(&now) }
	type want struct {
		exists, upToDate bool
		errContains      string
		published        bool
		adopt            bool
	}
	cases := map[string]struct {
		reason  string
		db      *fakeServer
		imports bool
		cr      *v1alpha1.User
		want    want
	}{
		"OtherTeams": {
			reason: "Another team's role is refused and its password is not published",
			db:     &fakeServer{user: &dbms.UserObservation{CanLogin: true, Marker: other}, password: "kept"},
			cr:     newUser(),
			want:   want{errContains: `user "app" belongs to another resource (team-b/`},
		},
		"Unmarked": {
			reason: "A role the provider did not make is refused",
			db:     &fakeServer{user: &dbms.UserObservation{CanLogin: true}, unmarked: true, password: "kept"},
			cr:     newUser(),
			want:   want{errContains: `user "app" exists and was not made by this provider`},
		},
		"ImportRefused": {
			reason: "An import through a namespaced ProviderConfig is refused",
			db:     &fakeServer{user: &dbms.UserObservation{CanLogin: true}, unmarked: true, password: "kept"},
			cr:     newUser(importing),
			want:   want{errContains: "honoured only through a ClusterProviderConfig"},
		},
		"ImportAllowed": {
			reason:  "An import where the server allows it is adopted, and needs an update that marks it",
			db:      &fakeServer{user: &dbms.UserObservation{CanLogin: true, ConnectionLimit: ptr[int32](-1)}, unmarked: true, password: "kept"},
			imports: true,
			cr:      newUser(importing),
			want:    want{exists: true, published: true, adopt: true},
		},
		"Postgres": {
			reason:  "postgres is never managed, import or not",
			db:      &fakeServer{user: &dbms.UserObservation{CanLogin: true}, unmarked: true},
			imports: true,
			cr:      newUser(importing, named("postgres")),
			want:    want{errContains: `user "postgres" is a built-in account of the server`},
		},
		"PgRole": {
			reason: "pg_* roles are never managed",
			db:     &fakeServer{user: &dbms.UserObservation{CanLogin: true}},
			cr:     newUser(named("pg_read_all_data")),
			want:   want{errContains: "a PostgreSQL built-in role"},
		},
		"Admin": {
			reason: "The admin account of the server is never managed",
			db:     &fakeServer{user: &dbms.UserObservation{CanLogin: true}},
			cr:     newUser(named("dbadmin")),
			want:   want{errContains: `user "dbadmin" is the server's admin account`},
		},
		"DeletingOtherTeams": {
			reason: "A User being deleted lets go of another team's role: it is reported gone, not dropped",
			db:     &fakeServer{user: &dbms.UserObservation{CanLogin: true, Marker: other}},
			cr:     newUser(deleting),
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newExternal(tc.db, connSecret("kept"))
			e.imports, e.admin = tc.imports, "dbadmin"
			o, err := e.Observe(context.Background(), tc.cr)
			got := want{exists: o.ResourceExists, upToDate: o.ResourceUpToDate, published: len(o.ConnectionDetails) > 0, adopt: e.adopt}
			if err != nil {
				got.errContains = tc.want.errContains
				if !strings.Contains(err.Error(), tc.want.errContains) || tc.want.errContains == "" {
					t.Errorf("%s\nObserve error %q, want it to contain %q", tc.reason, err, tc.want.errContains)
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nObserve: -want, +got:\n%s", tc.reason, diff)
			}
			if tc.db.updated != nil || tc.db.dropped != nil || len(tc.db.granted) > 0 || tc.db.markedAs != nil {
				t.Errorf("%s\nObserve changed the server", tc.reason)
			}
		})
	}
}

// TestUpdateMarksImport: an adopted login is marked before anything else.
func TestUpdateMarksImport(t *testing.T) {
	db := &fakeServer{user: &dbms.UserObservation{CanLogin: true}, password: "kept"}
	e := newExternal(db, connSecret("kept"))
	e.adopt = true
	if _, err := e.Update(context.Background(), newUser()); err != nil {
		t.Fatal(err)
	}
	if db.markedAs == nil || db.marker != mine {
		t.Errorf("Update of an import did not mark it: marked %v with %q, want %q", db.markedAs, db.marker, mine)
	}
}
