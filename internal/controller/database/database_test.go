package database

import (
	"context"
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
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
	pginstance "github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
)

func ptr[T any](v T) *T { return &v }

// fakeDB records what was asked of it; unset methods panic through the nil
// embedded interface, which shows a test reached an unexpected call.
type fakeDB struct {
	postgresql.DB
	observe    *postgresql.DatabaseObservation
	observeErr error
	roleExists bool
	created    *postgresql.DatabaseParameters
	updated    *postgresql.DatabaseParameters
	dropped    string
}

func (f *fakeDB) ObserveDatabase(context.Context, string) (*postgresql.DatabaseObservation, error) {
	return f.observe, f.observeErr
}
func (f *fakeDB) RoleExists(context.Context, string) (bool, error) { return f.roleExists, nil }
func (f *fakeDB) CreateDatabase(_ context.Context, _ string, p postgresql.DatabaseParameters) error {
	f.created = &p
	return nil
}
func (f *fakeDB) UpdateDatabase(_ context.Context, _ string, p postgresql.DatabaseParameters) error {
	f.updated = &p
	return nil
}
func (f *fakeDB) DropDatabase(_ context.Context, name string) error { f.dropped = name; return nil }

func newDatabase(mod ...func(*v1alpha1.Database)) *v1alpha1.Database {
	d := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app"}}
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
		o         managed.ExternalObservation
		err       error
		available bool
	}
	cases := map[string]struct {
		reason string
		db     *fakeDB
		cr     *v1alpha1.Database
		want   want
	}{
		"NoExternalName": {
			reason: "Without a name there is nothing to observe",
			db:     &fakeDB{},
			cr:     newDatabase(func(d *v1alpha1.Database) { meta.SetExternalName(d, "") }),
			want:   want{err: errors.New(errNoName)},
		},
		"Error": {
			reason: "Errors are returned",
			db:     &fakeDB{observeErr: errBoom},
			cr:     newDatabase(),
			want:   want{err: errBoom},
		},
		"Missing": {
			reason: "A missing database does not exist",
			db:     &fakeDB{},
			cr:     newDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: false}},
		},
		"UpToDate": {
			reason: "A database as specified is up to date and available",
			db:     &fakeDB{observe: &postgresql.DatabaseObservation{Owner: "o", Encoding: "UTF8", ConnectionLimit: 3}},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.Owner = ptr("o")
				d.Spec.ForProvider.ConnectionLimit = ptr[int32](3)
				d.Spec.ForProvider.Encoding = "utf8"
			}),
			want: want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, available: true},
		},
		"OwnerDiffers": {
			reason: "Another owner needs an update",
			db:     &fakeDB{observe: &postgresql.DatabaseObservation{Owner: "postgres", ConnectionLimit: -1}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("o") }),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, available: true},
		},
		"LimitDiffers": {
			reason: "Another connection limit needs an update",
			db:     &fakeDB{observe: &postgresql.DatabaseObservation{Owner: "postgres", ConnectionLimit: -1}},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.ConnectionLimit = ptr[int32](5) }),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, available: true},
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
		})
	}
}

func TestCreate(t *testing.T) {
	type want struct {
		err     string
		created *postgresql.DatabaseParameters
	}
	cases := map[string]struct {
		reason string
		db     *fakeDB
		cr     *v1alpha1.Database
		want   want
	}{
		"OwnerMissing": {
			reason: "Create waits, with a clear message, for the owner's role",
			db:     &fakeDB{},
			cr:     newDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Owner = ptr("app-user") }),
			want:   want{err: `owner role "app-user" does not exist yet`},
		},
		"Created": {
			reason: "The spec is passed on",
			db:     &fakeDB{roleExists: true},
			cr: newDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.Owner = ptr("app-user")
				d.Spec.ForProvider.Encoding = "UTF8"
				d.Spec.ForProvider.ConnectionLimit = ptr[int32](2)
			}),
			want: want{created: &postgresql.DatabaseParameters{Owner: "app-user", Encoding: "UTF8", ConnectionLimit: ptr[int32](2)}},
		},
		"NoOwner": {
			reason: "Without an owner no role is checked",
			db:     &fakeDB{},
			cr:     newDatabase(),
			want:   want{created: &postgresql.DatabaseParameters{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{db: tc.db}
			_, err := e.Create(context.Background(), tc.cr)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.want.err, gotErr); diff != "" {
				t.Errorf("%s\nCreate error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.created, tc.db.created); diff != "" {
				t.Errorf("%s\nCreateDatabase: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpdateAndDelete(t *testing.T) {
	db := &fakeDB{roleExists: true}
	e := &external{db: db}
	cr := newDatabase(func(d *v1alpha1.Database) {
		d.Spec.ForProvider.Owner = ptr("o")
		d.Spec.ForProvider.ConnectionLimit = ptr[int32](4)
	})
	if _, err := e.Update(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&postgresql.DatabaseParameters{Owner: "o", ConnectionLimit: ptr[int32](4)}, db.updated); diff != "" {
		t.Errorf("UpdateDatabase: -want, +got:\n%s", diff)
	}
	if _, err := e.Delete(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("app", db.dropped); diff != "" {
		t.Errorf("DropDatabase: -want, +got:\n%s", diff)
	}
}

type nopTracker struct{}

func (nopTracker) Track(context.Context, resource.ModernManaged) error { return nil }

func TestConnect(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = enginev1alpha1.SchemeBuilder.AddToScheme(s)
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
	type want struct {
		err string
		cfg *postgresql.Config
	}
	cases := map[string]struct {
		reason   string
		instance *enginev1alpha1.DatabaseInstance
		want     want
	}{
		"NotReady": {
			reason:   "An instance that is not Ready is waited for",
			instance: instance(false),
			want:     want{err: "cannot find the PostgreSQL server: DatabaseInstance pg is not ready yet"},
		},
		"Ready": {
			reason:   "The admin connects to the instance's endpoint with its Secret's password",
			instance: instance(true),
			want:     want{cfg: &postgresql.Config{Host: "10.0.0.1", Port: 5433, User: "postgres", Password: "s3cret"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(secret).WithStatusSubresource(tc.instance).WithObjects(tc.instance).Build()
			var got *postgresql.Config
			c := &connector{Connector: pginstance.Connector{Kube: kube, Usage: nopTracker{}, NewDB: func(_ context.Context, cfg postgresql.Config) (postgresql.DB, error) {
				got = &cfg
				return &fakeDB{}, nil
			}}}
			_, err := c.Connect(context.Background(), newDatabase())
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
		})
	}
}
