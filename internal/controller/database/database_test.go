package database

import (
	"context"
	"strings"
	"testing"
	"time"

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

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

func ptr[T any](v T) *T { return &v }

// fakeServer answers from its fields and records what was asked of it.
// Methods it does not implement panic through the nil embedded interface,
// which shows a test reached an unexpected call.
type fakeServer struct {
	dbms.Server

	// catalog holds the databases that exist, by name.
	catalog    map[string]*dbms.DatabaseObservation
	observeErr error
	// users holds the users that exist, by name.
	users   map[string]bool
	userErr error
	// result is what every procedure returns, callErr what it fails with,
	// and onCall what it does to the server.
	result  *dbms.Result
	callErr error
	onCall  func(f *fakeServer, c dbms.Call)

	created    *dbms.DatabaseParameters
	updated    *dbms.DatabaseParameters
	dropped    string
	usersAsked []dbms.UserName
	calls      []dbms.Call
	closed     bool
	// unmarked leaves the catalog without this Database's marker;
	// foreignUsers makes every user another namespace's.
	unmarked     bool
	foreignUsers bool
	marked       string
	marker       string
}

const uid = types.UID("8f4e2b1c-0000-4000-8000-000000000002")

// mine is the marker of the Databases newDatabase makes.
var mine = ownership.Owner{Namespace: "ns", UID: string(uid)}.Marker()

func (f *fakeServer) ObserveDatabase(_ context.Context, name string) (*dbms.DatabaseObservation, error) {
	if f.observeErr != nil {
		return nil, f.observeErr
	}
	o := f.catalog[name]
	if o == nil {
		return nil, nil
	}
	// A database in a fixture was made by this Database unless the
	// fixture says otherwise.
	c := *o
	if c.Marker == "" && !f.unmarked {
		c.Marker = mine
	}
	return &c, nil
}

func (f *fakeServer) MarkDatabase(_ context.Context, name, marker string) error {
	f.marked, f.marker = name, marker
	return nil
}

func (f *fakeServer) ObserveUser(_ context.Context, u dbms.UserName) (*dbms.UserObservation, error) {
	f.usersAsked = append(f.usersAsked, u)
	if f.userErr != nil {
		return nil, f.userErr
	}
	if !f.users[u.Name] {
		return nil, nil
	}
	// Users in fixtures are this namespace's unless foreignUsers is set.
	m := ownership.Owner{Namespace: "ns", UID: "8f4e2b1c-0000-4000-8000-0000000000ff"}.Marker()
	if f.foreignUsers {
		m = ownership.Owner{Namespace: "team-b", UID: "8f4e2b1c-0000-4000-8000-0000000000bb"}.Marker()
	}
	return &dbms.UserObservation{CanLogin: true, Marker: m}, nil
}

func (f *fakeServer) CreateDatabase(_ context.Context, _ string, p dbms.DatabaseParameters) error {
	f.created = &p
	return nil
}

func (f *fakeServer) UpdateDatabase(_ context.Context, _ string, p dbms.DatabaseParameters) error {
	f.updated = &p
	return nil
}

func (f *fakeServer) DropDatabase(_ context.Context, name string) error {
	f.dropped = name
	return nil
}

func (f *fakeServer) CallProcedure(_ context.Context, c dbms.Call) (*dbms.Result, error) {
	f.calls = append(f.calls, c)
	if f.callErr != nil {
		return nil, f.callErr
	}
	if f.onCall != nil {
		f.onCall(f, c)
	}
	return f.result, nil
}

func (f *fakeServer) Close(context.Context) error {
	f.closed = true
	return nil
}

func newDatabase(mod ...func(*v1alpha1.Database)) *v1alpha1.Database {
	d := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app", UID: uid}}
	meta.SetExternalName(d, "app")
	d.Spec.ForProvider.Instance = "pg"
	for _, m := range mod {
		m(d)
	}
	return d
}

func TestObserve(t *testing.T) {
	errBoom := errors.New("boom")
	type want struct {
		o          managed.ExternalObservation
		err        error
		available  bool
		atProvider v1alpha1.DatabaseObservation
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		cr     *v1alpha1.Database
		want   want
	}{
		"NoExternalName": {
			reason: "Without a name there is nothing to observe",
			db:     &fakeServer{},
			cr:     newDatabase(func(d *v1alpha1.Database) { meta.SetExternalName(d, "") }),
			want:   want{err: errors.New(errNoName)},
		},
		"Error": {
			reason: "Errors are returned",
			db:     &fakeServer{observeErr: errBoom},
			cr:     newDatabase(),
			want:   want{err: errBoom},
		},
		"Missing": {
			reason: "A missing database does not exist",
			db:     &fakeServer{},
			cr:     newDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: false}},
		},
		"UpToDate": {
			reason: "A database as specified is up to date and available, and what was seen is recorded; the encoding is not compared",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Owner: "o", Encoding: "UTF8", ConnectionLimit: ptr[int32](3)}}},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.Owner = ptr("o")
				d.Spec.ForProvider.ConnectionLimit = ptr[int32](3)
				d.Spec.ForProvider.Encoding = "LATIN1"
			}),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{Owner: "o", Encoding: "UTF8", ConnectionLimit: ptr[int32](3)},
			},
		},
		"UnsetIsServersChoice": {
			reason: "Settings the spec leaves unset are not compared",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Owner: "postgres", ConnectionLimit: ptr[int32](-1)}}},
			cr:     newDatabase(),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{Owner: "postgres", ConnectionLimit: ptr[int32](-1)},
			},
		},
		"OwnerDiffers": {
			reason: "Another owner needs an update",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Owner: "postgres", ConnectionLimit: ptr[int32](-1)}}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("o") }),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{Owner: "postgres", ConnectionLimit: ptr[int32](-1)},
			},
		},
		"LimitDiffers": {
			reason: "Another connection limit needs an update",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Owner: "postgres", ConnectionLimit: ptr[int32](-1)}}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.ConnectionLimit = ptr[int32](5) }),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{Owner: "postgres", ConnectionLimit: ptr[int32](-1)},
			},
		},
		"LimitUnknown": {
			reason: "A connection limit the server does not report needs an update when one is asked for",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Owner: "postgres"}}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.ConnectionLimit = ptr[int32](5) }),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{Owner: "postgres"},
			},
		},
		"CharsetAndCollationIgnoreCase": {
			reason: "MySQL character sets and collations are compared without regard to case",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {CharacterSet: "utf8mb4", Collation: "utf8mb4_unicode_ci"}}},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.CharacterSet = "UTF8MB4"
				d.Spec.ForProvider.Collation = "UTF8MB4_Unicode_CI"
			}),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{CharacterSet: "utf8mb4", Collation: "utf8mb4_unicode_ci"},
			},
		},
		"CharsetDiffers": {
			reason: "Another character set needs an update",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {CharacterSet: "latin1", Collation: "latin1_swedish_ci"}}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.CharacterSet = "utf8mb4" }),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{CharacterSet: "latin1", Collation: "latin1_swedish_ci"},
			},
		},
		"CollationDiffers": {
			reason: "Another collation needs an update",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Collation: "SQL_Latin1_General_CP1_CI_AS"}}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Collation = "Latin1_General_100_CI_AS_SC_UTF8" }),
			want: want{
				o:          managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false},
				available:  true,
				atProvider: v1alpha1.DatabaseObservation{Collation: "SQL_Latin1_General_CP1_CI_AS"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{db: tc.db}
			o, err := e.Observe(context.Background(), tc.cr)
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
			if diff := cmp.Diff(tc.want.atProvider, tc.cr.Status.AtProvider); diff != "" {
				t.Errorf("%s\nstatus.atProvider: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	errBoom := errors.New("boom")
	type want struct {
		err        error
		created    *dbms.DatabaseParameters
		usersAsked []dbms.UserName
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		cr     *v1alpha1.Database
		want   want
	}{
		"OwnerMissing": {
			reason: "Create waits, with a clear message, for the owner's role",
			db:     &fakeServer{},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("app-user") }),
			want: want{
				err:        errors.New(`owner role "app-user" does not exist yet`),
				usersAsked: []dbms.UserName{{Name: "app-user"}},
			},
		},
		"OwnerCheckFails": {
			reason: "An error checking the owner says so, and nothing is created",
			db:     &fakeServer{userErr: errBoom},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("app-user") }),
			want: want{
				err:        errors.Wrap(errBoom, errCheckOwner),
				usersAsked: []dbms.UserName{{Name: "app-user"}},
			},
		},
		"Created": {
			reason: "The spec is passed on",
			db:     &fakeServer{users: map[string]bool{"app-user": true}},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.Owner = ptr("app-user")
				d.Spec.ForProvider.Encoding = "UTF8"
				d.Spec.ForProvider.ConnectionLimit = ptr[int32](2)
			}),
			want: want{
				created:    &dbms.DatabaseParameters{Owner: "app-user", Encoding: "UTF8", ConnectionLimit: ptr[int32](2)},
				usersAsked: []dbms.UserName{{Name: "app-user"}},
			},
		},
		"CreatedMySQL": {
			reason: "A MySQL character set and collation are passed on",
			db:     &fakeServer{},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.CharacterSet = "utf8mb4"
				d.Spec.ForProvider.Collation = "utf8mb4_bin"
			}),
			want: want{created: &dbms.DatabaseParameters{CharacterSet: "utf8mb4", Collation: "utf8mb4_bin"}},
		},
		"NoOwner": {
			reason: "Without an owner no role is checked",
			db:     &fakeServer{},
			cr:     newDatabase(),
			want:   want{created: &dbms.DatabaseParameters{}},
		},
		"EmptyOwner": {
			reason: "An empty owner is no owner",
			db:     &fakeServer{},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("") }),
			want:   want{created: &dbms.DatabaseParameters{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{db: tc.db}
			c, err := e.Create(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nCreate error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(managed.ExternalCreation{}, c); diff != "" {
				t.Errorf("%s\nCreate: -want, +got:\n%s", tc.reason, diff)
			}
			if c := tc.db.created; c != nil {
				if c.Marker != mine {
					t.Errorf("%s\nCreateDatabase marker = %q, want %q", tc.reason, c.Marker, mine)
				}
				c.Marker = ""
			}
			if diff := cmp.Diff(tc.want.created, tc.db.created); diff != "" {
				t.Errorf("%s\nCreateDatabase: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.usersAsked, tc.db.usersAsked); diff != "" {
				t.Errorf("%s\nObserveUser: -want, +got:\n%s", tc.reason, diff)
			}
			if got := tc.cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonCreating {
				t.Errorf("%s\nReady reason = %q, want %q", tc.reason, got, xpv2.ReasonCreating)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	type want struct {
		err     error
		updated *dbms.DatabaseParameters
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		cr     *v1alpha1.Database
		want   want
	}{
		"Updated": {
			reason: "The spec is passed on",
			db:     &fakeServer{users: map[string]bool{"o": true}},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.Owner = ptr("o")
				d.Spec.ForProvider.ConnectionLimit = ptr[int32](4)
			}),
			want: want{updated: &dbms.DatabaseParameters{Owner: "o", ConnectionLimit: ptr[int32](4)}},
		},
		"OwnerMissing": {
			reason: "A new owner that does not exist yet is waited for, and nothing is changed",
			db:     &fakeServer{},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("o") }),
			want:   want{err: errors.Errorf(errOwnerMissing, "o")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{db: tc.db}
			_, err := e.Update(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nUpdate error: -want, +got:\n%s", tc.reason, diff)
			}
			if u := tc.db.updated; u != nil {
				if u.Marker != mine {
					t.Errorf("%s\nUpdateDatabase marker = %q, want %q", tc.reason, u.Marker, mine)
				}
				u.Marker = ""
			}
			if diff := cmp.Diff(tc.want.updated, tc.db.updated); diff != "" {
				t.Errorf("%s\nUpdateDatabase: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDeleteAndDisconnect(t *testing.T) {
	db := &fakeServer{}
	e := &external{db: db}
	cr := newDatabase(func(d *v1alpha1.Database) { meta.SetExternalName(d, "orders") })
	if _, err := e.Delete(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("orders", db.dropped); diff != "" {
		t.Errorf("DropDatabase: -want, +got:\n%s", diff)
	}
	if got := cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonDeleting {
		t.Errorf("Ready reason = %q, want %q", got, xpv2.ReasonDeleting)
	}
	if err := e.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !db.closed {
		t.Error("Disconnect did not close the server connection")
	}
}

type nopTracker struct{}

func (nopTracker) Track(context.Context, resource.ModernManaged) error { return nil }

func TestConnect(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = enginev1alpha1.SchemeBuilder.AddToScheme(s)
	_ = v1alpha1.SchemeBuilder.AddToScheme(s)
	_ = apisv1alpha1.SchemeBuilder.AddToScheme(s)

	instance := func(ready bool) *enginev1alpha1.DatabaseInstance {
		di := &enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg"}}
		di.Spec.ForProvider.AdminPasswordSecretRef = xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "admin"}, Key: "pw"}
		if ready {
			di.Status.AtProvider.Endpoint, di.Status.AtProvider.Port = "10.0.0.1", 5433
			di.Status.SetConditions(xpv2.Available())
		}
		return di
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "admin"}, Data: map[string][]byte{"pw": []byte("s3cret")}}
	// The instance's CA, as its controller keeps it: the server is verified.
	tlsSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg-tls"}, Data: map[string][]byte{"ca.crt": []byte("CA PEM")}}
	// A provider config whose existing server is a MySQL server.
	mysqlPC := &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "mysql"}}
	mysqlPC.Spec.Server = &apisv1alpha1.ExistingServer{
		Engine:                    apisv1alpha1.ServerEngineMySQL,
		Host:                      "mysql.example",
		AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: "ns", Name: "mysql-admin"},
	}
	mysqlAdmin := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "mysql-admin"}, Data: map[string][]byte{"username": []byte("root"), "password": []byte("r00t")}}
	class := func(engine string) *v1alpha1.DatabaseClass {
		c := &v1alpha1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: "gold"}}
		c.Spec.Engine = engine
		c.Spec.Create.Procedure = "dba.create_database"
		return c
	}
	onMySQL := func(d *v1alpha1.Database) {
		d.Spec.ForProvider.Instance = ""
		d.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "mysql"}
	}
	withClass := func(d *v1alpha1.Database) { d.Spec.ForProvider.ClassRef = &v1alpha1.ClassReference{Name: "gold"} }
	deleted := func(d *v1alpha1.Database) {
		now := metav1.Now()
		d.SetDeletionTimestamp(&now)
		d.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
	}

	type want struct {
		err string
		// client is the kind of external client returned: "native",
		// "class" or "gone".
		client string
		cfg    *dbms.Config
		closed bool
		// server is a class client's part of the server in the
		// connection secret.
		server managed.ConnectionDetails
	}
	cases := map[string]struct {
		reason string
		objs   []client.Object
		cr     *v1alpha1.Database
		want   want
	}{
		"NotReady": {
			reason: "An instance that is not Ready is waited for",
			objs:   []client.Object{secret, instance(false)},
			cr:     newDatabase(),
			want:   want{err: "cannot find the PostgreSQL server: DatabaseInstance pg is not ready yet"},
		},
		"NotReadyWhileDeleting": {
			reason: "A Database being deleted waits for an instance that is not Ready, within the delete bound",
			objs:   []client.Object{secret, instance(false)},
			cr:     newDatabase(deleted),
			want:   want{err: "cannot find the PostgreSQL server: DatabaseInstance pg is not ready yet"},
		},
		"NotReadyPastBound": {
			reason: "Past the delete bound a Database whose instance is not Ready is let go",
			objs:   []client.Object{secret, instance(false)},
			cr: newDatabase(func(d *v1alpha1.Database) {
				long := metav1.NewTime(time.Now().Add(-time.Hour))
				d.SetDeletionTimestamp(&long)
				d.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
			}),
			want: want{client: "abandoned"},
		},
		"Ready": {
			reason: "dbaas_admin, not the superuser, connects to the instance's endpoint with the password derived from its Secret",
			objs:   []client.Object{secret, tlsSecret, instance(true)},
			cr:     newDatabase(),
			want: want{
				client: "native",
				cfg: &dbms.Config{Engine: dbms.PostgreSQL, Host: "10.0.0.1", Port: 5433, User: pgroles.Admin, Password: pgroles.Password("s3cret", pgroles.Admin),
					TLS: dbms.TLS{Mode: dbms.TLSVerifyFull, CA: []byte("CA PEM")}},
			},
		},
		"InstanceGone": {
			reason: "A Database being deleted whose instance is gone went with it",
			objs:   []client.Object{secret},
			cr:     newDatabase(deleted),
			want:   want{client: "gone"},
		},
		"ExistingServer": {
			reason: "A Database that names no instance is made on its provider config's existing server",
			objs:   []client.Object{mysqlPC, mysqlAdmin},
			cr:     newDatabase(onMySQL),
			want: want{
				client: "native",
				cfg:    &dbms.Config{Engine: dbms.MySQL, Host: "mysql.example", Port: 3306, User: "root", Password: "r00t", MaxConns: server.DefaultMaxConns},
			},
		},
		"ClassMissing": {
			reason: "A class that does not exist is an error that names it, and the connection is closed",
			objs:   []client.Object{secret, tlsSecret, instance(true)},
			cr:     newDatabase(withClass),
			want: want{
				err: `cannot get DatabaseClass "gold": databaseclasses.sql.dbaas.io "gold" not found`,
				cfg: &dbms.Config{Engine: dbms.PostgreSQL, Host: "10.0.0.1", Port: 5433, User: pgroles.Admin, Password: pgroles.Password("s3cret", pgroles.Admin),
					TLS: dbms.TLS{Mode: dbms.TLSVerifyFull, CA: []byte("CA PEM")}},
				closed: true,
			},
		},
		"Class": {
			reason: "A Database that names a class of its server's engine is handled by the class",
			objs:   []client.Object{secret, tlsSecret, instance(true), class("postgresql")},
			cr:     newDatabase(withClass),
			want: want{
				client: "class",
				cfg: &dbms.Config{Engine: dbms.PostgreSQL, Host: "10.0.0.1", Port: 5433, User: pgroles.Admin, Password: pgroles.Password("s3cret", pgroles.Admin),
					TLS: dbms.TLS{Mode: dbms.TLSVerifyFull, CA: []byte("CA PEM")}},
				server: managed.ConnectionDetails{"endpoint": []byte("10.0.0.1"), "port": []byte("5433"), "sslmode": []byte("verify-full"), "ca.crt": []byte("CA PEM")},
			},
		},
		"ClassForMariaDBOnMySQL": {
			reason: "A MariaDB class works on a MySQL server: their procedures are called alike",
			objs:   []client.Object{mysqlPC, mysqlAdmin, class("mariadb")},
			cr:     newDatabase(onMySQL, withClass),
			want: want{
				client: "class",
				cfg:    &dbms.Config{Engine: dbms.MySQL, Host: "mysql.example", Port: 3306, User: "root", Password: "r00t", MaxConns: server.DefaultMaxConns},
				server: managed.ConnectionDetails{"endpoint": []byte("mysql.example"), "port": []byte("3306"), "sslmode": []byte("verify-full")},
			},
		},
		"ClassOfOtherEngine": {
			reason: "A class written for another engine is refused, and the connection closed",
			objs:   []client.Object{mysqlPC, mysqlAdmin, class("postgresql")},
			cr:     newDatabase(onMySQL, withClass),
			want: want{
				err:    `DatabaseClass "gold" is for postgresql, but the Database's server is a mysql server`,
				cfg:    &dbms.Config{Engine: dbms.MySQL, Host: "mysql.example", Port: 3306, User: "root", Password: "r00t", MaxConns: server.DefaultMaxConns},
				closed: true,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(tc.objs...).WithStatusSubresource(&enginev1alpha1.DatabaseInstance{}).Build()
			var got *dbms.Config
			db := &fakeServer{}
			c := &connector{kube: kube, bound: sqlowner.Bound{After: 10 * time.Minute}, Connector: server.Connector{Kube: kube, Usage: nopTracker{}, Policy: exampleHosts, Open: func(_ context.Context, cfg dbms.Config) (dbms.Server, error) {
				got = &cfg
				return db, nil
			}}}
			ext, err := c.Connect(context.Background(), tc.cr)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.want.err, gotErr); diff != "" {
				t.Errorf("%s\nConnect error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cfg, got); diff != "" {
				t.Errorf("%s\nconfig: -want, +got:\n%s", tc.reason, diff)
			}
			kind := ""
			if b, ok := ext.(sqlowner.Bounded[*v1alpha1.Database]); ok {
				ext = b.TypedExternalClient
			}
			switch e := ext.(type) {
			case *external:
				kind = "native"
				if server.Unwrap(e.db) != db {
					t.Errorf("%s\nthe native client does not use the opened server", tc.reason)
				}
			case *classExternal:
				kind = "class"
				if server.Unwrap(e.db) != db || e.class == nil || e.class.GetName() != "gold" || e.kube == nil {
					t.Errorf("%s\nthe class client is not wired to the server, class and kube: %+v", tc.reason, e)
				}
				if diff := cmp.Diff(tc.want.server, e.server); diff != "" {
					t.Errorf("%s\nthe server's part of the connection secret: -want, +got:\n%s", tc.reason, diff)
				}
			case dependents.Gone[*v1alpha1.Database]:
				kind = "gone"
			case sqlowner.Abandoned[*v1alpha1.Database]:
				kind = "abandoned"
			case nil:
			default:
				t.Errorf("%s\nunexpected client %T", tc.reason, ext)
			}
			if diff := cmp.Diff(tc.want.client, kind); diff != "" {
				t.Errorf("%s\nclient: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.closed, db.closed); diff != "" {
				t.Errorf("%s\nclosed: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// exampleHosts lets the tests' namespaced ProviderConfigs point at their
// servers, as a platform's --namespaced-endpoints would.
var exampleHosts = providerconfig.Policy{Endpoints: []string{"*.example", "db.example"}}

// TestOwnership: a database the Database did not make is refused and left
// as it is, unless imported where the server allows it; built-in databases
// are refused whatever is asked; a database goes only to this namespace's
// roles.
func TestOwnership(t *testing.T) {
	other := ownership.Owner{Namespace: "team-b", UID: "8f4e2b1c-0000-4000-8000-0000000000bb"}.Marker()
	importing := func(d *v1alpha1.Database) {
		meta.AddAnnotations(d, map[string]string{ownership.ImportAnnotation: "true"})
	}
	deleting := func(d *v1alpha1.Database) { now := metav1.Now(); d.SetDeletionTimestamp(&now) }
	named := func(n string) func(*v1alpha1.Database) {
		return func(d *v1alpha1.Database) { meta.SetExternalName(d, n) }
	}
	type want struct {
		exists, upToDate bool
		err              string
		adopt            bool
	}
	cases := map[string]struct {
		reason  string
		db      *fakeServer
		imports bool
		cr      *v1alpha1.Database
		want    want
	}{
		"OtherTeams": {
			reason: "Another team's database is refused",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Marker: other}}},
			cr:     newDatabase(),
			want:   want{err: `database "app" belongs to another resource (team-b/8f4e2b1c-0000-4000-8000-0000000000bb): choose another name`},
		},
		"Unmarked": {
			reason: "A database the provider did not make is refused",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {}}, unmarked: true},
			cr:     newDatabase(),
			want:   want{err: `database "app" exists and was not made by this provider: choose another name, or annotate the resource dbaas.io/import: "true" to adopt it (only through a ClusterProviderConfig)`},
		},
		"ImportRefused": {
			reason: "An import through a namespaced ProviderConfig is refused",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Marker: other}}},
			cr:     newDatabase(importing),
			want:   want{err: `database "app" belongs to another resource (team-b/8f4e2b1c-0000-4000-8000-0000000000bb), and imports are allowed only through a ClusterProviderConfig: choose another name`},
		},
		"ImportAllowed": {
			reason:  "An import where the server allows it is adopted and needs the update that marks it",
			db:      &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {}}, unmarked: true},
			imports: true,
			cr:      newDatabase(importing),
			want:    want{exists: true, adopt: true},
		},
		"BuiltIn": {
			reason:  "template1 is never managed, import or not",
			db:      &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"template1": {}}, unmarked: true},
			imports: true,
			cr:      newDatabase(importing, named("template1")),
			want:    want{err: `database "template1" is a built-in database of the server, which this provider never manages, creates, changes, grants on or drops: choose another name`},
		},
		"DeletingOtherTeams": {
			reason: "A Database being deleted lets go of another team's database: reported gone, never dropped",
			db:     &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {Marker: other}}},
			cr:     newDatabase(deleting),
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{db: tc.db, engine: dbms.PostgreSQL, admin: "dbadmin", imports: tc.imports}
			o, err := e.Observe(context.Background(), tc.cr)
			got := want{exists: o.ResourceExists, upToDate: o.ResourceUpToDate, adopt: e.adopt}
			if err != nil {
				got.err = err.Error()
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nObserve: -want, +got:\n%s", tc.reason, diff)
			}
			if tc.db.created != nil || tc.db.updated != nil || tc.db.dropped != "" || tc.db.marked != "" {
				t.Errorf("%s\nObserve changed the server", tc.reason)
			}
		})
	}

	t.Run("UpdateMarksImport", func(t *testing.T) {
		db := &fakeServer{catalog: map[string]*dbms.DatabaseObservation{"app": {}}}
		e := &external{db: db, engine: dbms.PostgreSQL, adopt: true}
		if _, err := e.Update(context.Background(), newDatabase()); err != nil {
			t.Fatal(err)
		}
		if db.marked != "app" || db.marker != mine {
			t.Errorf("Update of an import marked %q with %q, want app with %q", db.marked, db.marker, mine)
		}
	})
	t.Run("OwnerOfAnotherTeam", func(t *testing.T) {
		db := &fakeServer{users: map[string]bool{"theirs": true}, foreignUsers: true}
		e := &external{db: db, engine: dbms.PostgreSQL}
		_, err := e.Create(context.Background(), newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("theirs") }))
		if err == nil || !strings.Contains(err.Error(), `owner role "theirs" belongs to namespace team-b, not ns`) || db.created != nil {
			t.Errorf("Create with another team's owner role: err %v, created %v; want refused, nothing made", err, db.created)
		}
	})
	t.Run("OwnerBuiltIn", func(t *testing.T) {
		db := &fakeServer{users: map[string]bool{"postgres": true}}
		e := &external{db: db, engine: dbms.PostgreSQL}
		_, err := e.Create(context.Background(), newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("postgres") }))
		if err == nil || !strings.Contains(err.Error(), `user "postgres" is a built-in account`) || db.created != nil {
			t.Errorf("Create with owner postgres: err %v, created %v; want refused, nothing made", err, db.created)
		}
	})
}
