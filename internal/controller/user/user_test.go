package user

import (
	"context"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
)

func ptr[T any](v T) *T { return &v }

// fakeDB answers from its fields and records what was set.
type fakeDB struct {
	postgresql.DB
	role      *postgresql.RoleObservation
	password  string // the password that logs in
	hasAccess bool

	created *postgresql.RoleParameters
	updated *postgresql.RoleParameters
	granted string
}

func (f *fakeDB) ObserveRole(context.Context, string) (*postgresql.RoleObservation, error) {
	return f.role, nil
}
func (f *fakeDB) CanLogin(_ context.Context, _, pw string) (bool, error) {
	return pw == f.password, nil
}
func (f *fakeDB) HasDatabaseAccess(context.Context, string, string) (bool, error) {
	return f.hasAccess, nil
}
func (f *fakeDB) CreateRole(_ context.Context, _ string, p postgresql.RoleParameters) error {
	f.created = &p
	return nil
}
func (f *fakeDB) UpdateRole(_ context.Context, _ string, p postgresql.RoleParameters) error {
	f.updated = &p
	return nil
}
func (f *fakeDB) GrantDatabaseAccess(_ context.Context, _, db string) error {
	f.granted = db
	return nil
}

const uid = types.UID("user-uid")

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

func newExternal(db *fakeDB, objs ...client.Object) *external {
	kube := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(objs...).Build()
	return &external{db: db, passwords: &passwords{kube: kube}, endpoint: "10.0.0.1", port: 5432, defaultDB: "postgres"}
}

func TestObserve(t *testing.T) {
	loginRole := &postgresql.RoleObservation{CanLogin: true, ConnectionLimit: -1}
	type want struct {
		exists, upToDate bool
		password         string
	}
	cases := map[string]struct {
		reason string
		db     *fakeDB
		objs   []client.Object
		cr     *v1alpha1.User
		want   want
	}{
		"Missing": {
			reason: "A missing role does not exist",
			db:     &fakeDB{},
			cr:     newUser(),
			want:   want{},
		},
		"GeneratedKept": {
			reason: "The password from the connection secret is checked and published again",
			db:     &fakeDB{role: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{exists: true, upToDate: true, password: "kept"},
		},
		"GeneratedChangedOnServer": {
			reason: "A role whose password no longer matches the stored one needs an update",
			db:     &fakeDB{role: loginRole, password: "other"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
		"GeneratedLost": {
			reason: "A generated password that was never published needs an update",
			db:     &fakeDB{role: loginRole},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false},
		},
		"NowhereToKeep": {
			reason: "Without a connection secret an unknown password is left alone",
			db:     &fakeDB{role: loginRole},
			cr:     newUser(func(u *v1alpha1.User) { u.Spec.WriteConnectionSecretToReference = nil }),
			want:   want{exists: true, upToDate: true},
		},
		"NotOurSecret": {
			reason: "A Secret the User does not control is not trusted as its password store",
			db:     &fakeDB{role: loginRole, password: "kept"},
			objs:   []client.Object{&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app-conn"}, Data: map[string][]byte{"password": []byte("kept")}}},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false},
		},
		"GivenChanged": {
			reason: "A changed passwordSecretRef password needs an update",
			db:     &fakeDB{role: loginRole, password: "old"},
			objs:   []client.Object{givenSecret("new")},
			cr:     newUser(withGiven),
			want:   want{exists: true, upToDate: false, password: "new"},
		},
		"NoLogin": {
			reason: "A role that cannot log in needs an update",
			db:     &fakeDB{role: &postgresql.RoleObservation{ConnectionLimit: -1}, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
		"NoAccess": {
			reason: "A role without access to its database needs an update",
			db:     &fakeDB{role: loginRole, password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(func(u *v1alpha1.User) { u.Spec.ForProvider.Database = ptr("appdb") }),
			want:   want{exists: true, upToDate: false, password: "kept"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := newExternal(tc.db, tc.objs...).Observe(context.Background(), tc.cr)
			if err != nil {
				t.Fatalf("%s\nObserve: %v", tc.reason, err)
			}
			got := want{exists: o.ResourceExists, upToDate: o.ResourceUpToDate, password: string(o.ConnectionDetails["password"])}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nObserve: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	cases := map[string]struct {
		reason string
		objs   []client.Object
		cr     *v1alpha1.User
		want   string // "" means a generated password
	}{
		"Generated": {reason: "Without any password one is generated", cr: newUser()},
		"Reused":    {reason: "A password already in the connection secret is reused", objs: []client.Object{connSecret("kept")}, cr: newUser(), want: "kept"},
		"Given":     {reason: "A passwordSecretRef password is used", objs: []client.Object{givenSecret("given")}, cr: newUser(withGiven), want: "given"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := &fakeDB{}
			c, err := newExternal(db, tc.objs...).Create(context.Background(), tc.cr)
			if err != nil {
				t.Fatal(err)
			}
			pw := db.created.Password
			if tc.want != "" && pw != tc.want {
				t.Errorf("%s\nCreateRole password = %q, want %q", tc.reason, pw, tc.want)
			}
			if tc.want == "" && len(pw) < 16 {
				t.Errorf("%s\ngenerated password %q is too short", tc.reason, pw)
			}
			wantDetails := managed.ConnectionDetails{
				"username": []byte("app"), "password": []byte(pw), "endpoint": []byte("10.0.0.1"), "port": []byte("5432"), "database": []byte("postgres"),
			}
			if diff := cmp.Diff(wantDetails, c.ConnectionDetails); diff != "" {
				t.Errorf("%s\nconnection details: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	type want struct {
		setPassword string // "*" means a generated one
		granted     string
	}
	cases := map[string]struct {
		reason string
		db     *fakeDB
		objs   []client.Object
		cr     *v1alpha1.User
		want   want
	}{
		"KeepsWorkingPassword": {
			reason: "A password that logs in is not set again",
			db:     &fakeDB{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{},
		},
		"RestoresStoredPassword": {
			reason: "A stored password that no longer logs in is set back, not replaced",
			db:     &fakeDB{password: "other"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(),
			want:   want{setPassword: "kept"},
		},
		"GeneratesLostPassword": {
			reason: "A lost generated password is replaced",
			db:     &fakeDB{},
			cr:     newUser(),
			want:   want{setPassword: "*"},
		},
		"SetsGivenPassword": {
			reason: "A changed given password is set",
			db:     &fakeDB{password: "old"},
			objs:   []client.Object{givenSecret("new")},
			cr:     newUser(withGiven),
			want:   want{setPassword: "new"},
		},
		"Grants": {
			reason: "Access to the database is granted",
			db:     &fakeDB{password: "kept"},
			objs:   []client.Object{connSecret("kept")},
			cr:     newUser(func(u *v1alpha1.User) { u.Spec.ForProvider.Database = ptr("appdb") }),
			want:   want{granted: "appdb"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := newExternal(tc.db, tc.objs...).Update(context.Background(), tc.cr); err != nil {
				t.Fatal(err)
			}
			got := want{setPassword: tc.db.updated.Password, granted: tc.db.granted}
			if tc.want.setPassword == "*" && len(got.setPassword) >= 16 {
				got.setPassword = "*"
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nUpdate: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
