package database

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/rotation"
)

func str(s string) *string { return &s }

// newClass is a class whose procedures take the database's name, a tier
// parameter and the resource's namespace/name, and return a user and a
// password; the user is published as username.
func newClass(mod ...func(*v1alpha1.DatabaseClass)) *v1alpha1.DatabaseClass {
	inputs := []v1alpha1.ProcedureInput{
		{Name: "db_name", Value: "{{ .ExternalName }}"},
		{Name: "tier", Value: "{{ .Parameters.tier }}"},
		{Value: "{{ .Namespace }}/{{ .Name }}"},
	}
	outputs := []v1alpha1.ProcedureOutput{{Key: "user", ConnectionSecretKey: "username"}, {Key: "password"}}
	c := &v1alpha1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: "gold"}}
	c.Spec.Engine = "postgresql"
	c.Spec.Create = v1alpha1.ProcedureCall{Procedure: "dba.create_database", Inputs: inputs, Outputs: outputs}
	c.Spec.Delete = &v1alpha1.ProcedureCall{Procedure: "dba.drop_database", Inputs: inputs[:1]}
	c.Spec.Rotate = &v1alpha1.ProcedureCall{Procedure: "dba.rotate_database", Inputs: inputs[:1], Outputs: outputs}
	for _, m := range mod {
		m(c)
	}
	return c
}

// classDatabase is a Database of class gold named orders on the server.
func classDatabase(mod ...func(*v1alpha1.Database)) *v1alpha1.Database {
	d := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "orders-db"}}
	meta.SetExternalName(d, "orders")
	d.Spec.ForProvider.Instance = "pg"
	d.Spec.ForProvider.ClassRef = &v1alpha1.ClassReference{Name: "gold"}
	d.Spec.ForProvider.Parameters = map[string]string{"tier": "small"}
	d.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "orders-conn"}
	for _, m := range mod {
		m(d)
	}
	return d
}

// connectionSecret is classDatabase's connection secret holding keys.
func connectionSecret(keys ...string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "orders-conn"}, Data: map[string][]byte{}}
	for _, k := range keys {
		s.Data[k] = []byte("v")
	}
	return s
}

// keyValues is a procedure result of (key, value) rows.
func keyValues(kv ...string) *dbms.Result {
	r := &dbms.Result{Columns: []string{"key", "value"}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Rows = append(r.Rows, []*string{str(kv[i]), str(kv[i+1])})
	}
	return r
}

// makes and drops are what a class's procedures do to the catalog.
func makes(name string) func(*fakeServer, dbms.Call) {
	return func(f *fakeServer, _ dbms.Call) {
		if f.catalog == nil {
			f.catalog = map[string]*dbms.DatabaseObservation{}
		}
		f.catalog[name] = &dbms.DatabaseObservation{Owner: "dba"}
	}
}

func drops(name string) func(*fakeServer, dbms.Call) {
	return func(f *fakeServer, _ dbms.Call) { delete(f.catalog, name) }
}

// withOutputs makes the class's create procedure publish keys too.
func withOutputs(keys ...string) func(*v1alpha1.DatabaseClass) {
	return func(c *v1alpha1.DatabaseClass) {
		for _, k := range keys {
			c.Spec.Create.Outputs = append(c.Spec.Create.Outputs, v1alpha1.ProcedureOutput{Key: k})
		}
	}
}

func withRotation(requested, recorded string) func(*v1alpha1.Database) {
	return func(d *v1alpha1.Database) {
		d.Spec.ForProvider.CredentialRotation = requested
		d.Status.AtProvider.CredentialRotation = recorded
	}
}

func newClassExternal(db *fakeServer, class *v1alpha1.DatabaseClass, kube client.Reader) *classExternal {
	return &classExternal{db: db, class: class, kube: kube, server: testServer}
}

// testServer is the server's part of the connection secrets in these tests.
var testServer = server.Details("10.0.0.1", 5432, dbms.TLS{CA: []byte("CA PEM")})

// published is a connection secret of classDatabase: the server's part and
// kv, pairs of key and value.
func published(kv ...string) managed.ConnectionDetails {
	d := managed.ConnectionDetails{}
	for k, v := range testServer {
		d[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i]] = []byte(kv[i+1])
	}
	return d
}

func kubeWith(objs ...client.Object) client.Reader {
	return fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(objs...).Build()
}

var orders = map[string]*dbms.DatabaseObservation{"orders": {Owner: "dba", Encoding: "UTF8"}}

func TestClassObserve(t *testing.T) {
	errBoom := errors.New("boom")
	complete := connectionSecret("username", "password")
	// observed is what Observe publishes for the class gold: the server's
	// part and the database's name, which the class does not publish.
	observed := published("database", "orders")
	type want struct {
		o         managed.ExternalObservation
		err       error
		available bool
		owner     string
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		class  *v1alpha1.DatabaseClass
		kube   client.Reader
		cr     *v1alpha1.Database
		want   want
	}{
		"NoExternalName": {
			reason: "Without a name there is nothing to observe",
			db:     &fakeServer{},
			kube:   kubeWith(),
			cr:     classDatabase(func(d *v1alpha1.Database) { meta.SetExternalName(d, "") }),
			want:   want{err: errors.New(errNoName)},
		},
		"Error": {
			reason: "An error reading the catalog is returned",
			db:     &fakeServer{observeErr: errBoom},
			kube:   kubeWith(),
			cr:     classDatabase(),
			want:   want{err: errBoom},
		},
		"NotExists": {
			reason: "A database that is not in the catalog does not exist, whatever the secret holds",
			db:     &fakeServer{},
			kube:   kubeWith(complete),
			cr:     classDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: false}},
		},
		"UpToDate": {
			reason: "A database in the catalog whose secret holds every key is up to date and available",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(complete),
			cr:     classDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"RotationRequested": {
			reason: "A credentialRotation other than the one carried out needs an update",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(complete),
			cr:     classDatabase(withRotation("2", "1")),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"RotationCarriedOut": {
			reason: "A credentialRotation already carried out needs nothing",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(complete),
			cr:     classDatabase(withRotation("2", "2")),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"RotationAtCreation": {
			reason: "The credentialRotation the database was created with, recorded in the annotation, needs no rotation",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(complete),
			cr: classDatabase(withRotation("1", ""), func(d *v1alpha1.Database) {
				meta.AddAnnotations(d, map[string]string{rotation.Annotation: "1"})
			}),
			want: want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"RotationSinceCreation": {
			reason: "A credentialRotation changed since creation needs an update",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(complete),
			cr: classDatabase(withRotation("2", ""), func(d *v1alpha1.Database) {
				meta.AddAnnotations(d, map[string]string{rotation.Annotation: "1"})
			}),
			want: want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"SecretLacksKey": {
			reason: "A connection secret without a key the create procedure returned needs an update",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(connectionSecret("username")),
			cr:     classDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"SecretHoldsUnmappedKeyName": {
			reason: "The secret is checked for the published key (username), not the procedure's key (user)",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(connectionSecret("user", "password")),
			cr:     classDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"SecretMissing": {
			reason: "A connection secret that does not exist lacks every key",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(),
			cr:     classDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"NoSecretRef": {
			reason: "Without a connection secret there are no keys to miss",
			db:     &fakeServer{catalog: orders},
			kube:   kubeWith(),
			cr:     classDatabase(func(d *v1alpha1.Database) { d.Spec.WriteConnectionSecretToReference = nil }),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"NoOutputs": {
			reason: "A class whose create procedure returns nothing needs nothing in the secret",
			db:     &fakeServer{catalog: orders},
			class:  newClass(func(c *v1alpha1.DatabaseClass) { c.Spec.Create.Outputs = nil }),
			kube:   kubeWith(),
			cr:     classDatabase(),
			want:   want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: observed}, available: true, owner: "dba"},
		},
		"ClassKeysLeftToTheClass": {
			reason: "Keys the class's procedures publish are not published by Observe, which would overwrite the procedure's values",
			db:     &fakeServer{catalog: orders},
			class:  newClass(withOutputs("endpoint", "database")),
			kube:   kubeWith(connectionSecret("username", "password", "endpoint", "database")),
			cr:     classDatabase(),
			want: want{o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: func() managed.ConnectionDetails {
				d := published()
				delete(d, "endpoint")
				return d
			}()}, available: true, owner: "dba"},
		},
		"SecretError": {
			reason: "An error reading the connection secret is returned",
			db:     &fakeServer{catalog: orders},
			kube:   &test.MockClient{MockGet: test.NewMockGetFn(errBoom)},
			cr:     classDatabase(),
			want:   want{err: errors.Wrap(errBoom, errGetSecret), available: true, owner: "dba"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			class := tc.class
			if class == nil {
				class = newClass()
			}
			o, err := newClassExternal(tc.db, class, tc.kube).Observe(context.Background(), tc.cr)
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
			if diff := cmp.Diff(tc.want.owner, tc.cr.Status.AtProvider.Owner); diff != "" {
				t.Errorf("%s\nstatus.atProvider.owner: -want, +got:\n%s", tc.reason, diff)
			}
			if len(tc.db.calls) > 0 {
				t.Errorf("%s\nObserve called procedures: %v", tc.reason, tc.db.calls)
			}
		})
	}
}

func TestClassCreate(t *testing.T) {
	createCall := dbms.Call{Procedure: "dba.create_database", Args: []dbms.Arg{
		{Name: "db_name", Value: "orders"},
		{Name: "tier", Value: "small"},
		{Value: "team-a/orders-db"},
	}}
	type want struct {
		details managed.ConnectionDetails
		// err is the exact error; errHas are parts of it, when the
		// message comes from another package.
		err        error
		errHas     []string
		calls      []dbms.Call
		annotation string
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		class  *v1alpha1.DatabaseClass
		cr     *v1alpha1.Database
		want   want
	}{
		"Created": {
			reason: "Inputs are rendered from the Database and bound; the outputs are published under their secret keys",
			db:     &fakeServer{result: keyValues("user", "orders_owner", "password", "pw1"), onCall: makes("orders")},
			cr:     classDatabase(),
			want: want{
				details: published("database", "orders", "username", "orders_owner", "password", "pw1"),
				calls:   []dbms.Call{createCall},
			},
		},
		"ValuesAreOnlyBound": {
			reason: "A parameter that looks like SQL reaches the server as a bound value, unchanged",
			db:     &fakeServer{result: keyValues("user", "u", "password", "p"), onCall: makes("orders")},
			cr: classDatabase(func(d *v1alpha1.Database) {
				d.Spec.ForProvider.Parameters["tier"] = `x'); DROP DATABASE postgres; --`
			}),
			want: want{
				details: published("database", "orders", "username", "u", "password", "p"),
				calls: []dbms.Call{{Procedure: "dba.create_database", Args: []dbms.Arg{
					{Name: "db_name", Value: "orders"},
					{Name: "tier", Value: `x'); DROP DATABASE postgres; --`},
					{Value: "team-a/orders-db"},
				}}},
			},
		},
		"OutParameterShape": {
			reason: "One row whose columns are the keys is accepted too",
			db: &fakeServer{
				result: &dbms.Result{Columns: []string{"user", "password"}, Rows: [][]*string{{str("orders_owner"), str("pw1")}}},
				onCall: makes("orders"),
			},
			cr: classDatabase(),
			want: want{
				details: published("database", "orders", "username", "orders_owner", "password", "pw1"),
				calls:   []dbms.Call{createCall},
			},
		},
		"RecordsRotationAtCreation": {
			reason: "The credentialRotation a database is created with is recorded, so that it does not rotate at once",
			db:     &fakeServer{result: keyValues("user", "orders_owner", "password", "pw1"), onCall: makes("orders")},
			cr:     classDatabase(withRotation("1", "")),
			want: want{
				details:    published("database", "orders", "username", "orders_owner", "password", "pw1"),
				calls:      []dbms.Call{createCall},
				annotation: "1",
			},
		},
		"ProcedureError": {
			reason: "The procedure's own error is returned, naming the class",
			db:     &fakeServer{callErr: errors.New(`ERROR: tier "small" is sold out (SQLSTATE P0001)`)},
			cr:     classDatabase(),
			want: want{
				err:   errors.Wrapf(errors.New(`ERROR: tier "small" is sold out (SQLSTATE P0001)`), errClassCall, "gold"),
				calls: []dbms.Call{createCall},
			},
		},
		"MissingKey": {
			reason: "A result without a mapped key is an error and publishes nothing",
			db:     &fakeServer{result: keyValues("user", "orders_owner"), onCall: makes("orders")},
			cr:     classDatabase(),
			want: want{
				errHas: []string{`DatabaseClass "gold"`, "dba.create_database did not return the keys password", "nothing was published"},
				calls:  []dbms.Call{createCall},
			},
		},
		"ExtraKey": {
			reason: "A result with a key the class does not map is an error and publishes nothing",
			db:     &fakeServer{result: keyValues("user", "orders_owner", "password", "pw1", "host", "db.internal"), onCall: makes("orders")},
			cr:     classDatabase(),
			want: want{
				errHas: []string{`DatabaseClass "gold"`, "keys the class does not map, host", "nothing was published"},
				calls:  []dbms.Call{createCall},
			},
		},
		"MissingParameter": {
			reason: "An input naming a parameter the Database lacks is an error, and nothing is called",
			db:     &fakeServer{},
			cr:     classDatabase(func(d *v1alpha1.Database) { d.Spec.ForProvider.Parameters = nil }),
			want: want{
				errHas: []string{`DatabaseClass "gold"`, "cannot render input 2 (tier)"},
			},
		},
		"NotInCatalog": {
			reason: "A create procedure that returns without making the database is an error, and publishes nothing",
			db:     &fakeServer{result: keyValues("user", "orders_owner", "password", "pw1")},
			cr:     classDatabase(),
			want: want{
				err:   errors.Errorf(errNotCreated, "gold", "dba.create_database", "orders"),
				calls: []dbms.Call{createCall},
			},
		},
		"NoOutputs": {
			reason: "A class that returns nothing publishes only what the provider knows (the server and the database's name), and still checks the catalog",
			db:     &fakeServer{onCall: makes("orders")},
			class:  newClass(func(c *v1alpha1.DatabaseClass) { c.Spec.Create.Outputs = nil }),
			cr:     classDatabase(),
			want: want{
				details: published("database", "orders"),
				calls:   []dbms.Call{createCall},
			},
		},
		"ClassKeysWin": {
			reason: "An endpoint and a database the procedure returns are published instead of the provider's",
			db:     &fakeServer{result: keyValues("user", "u", "password", "p", "endpoint", "pooler.internal", "database", "orders_v2"), onCall: makes("orders")},
			class:  newClass(withOutputs("endpoint", "database")),
			cr:     classDatabase(),
			want: want{
				details: published("username", "u", "password", "p", "endpoint", "pooler.internal", "database", "orders_v2"),
				calls:   []dbms.Call{createCall},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			class := tc.class
			if class == nil {
				class = newClass()
			}
			c, err := newClassExternal(tc.db, class, kubeWith()).Create(context.Background(), tc.cr)
			checkErr(t, tc.reason, "Create", tc.want.err, tc.want.errHas, err)
			if diff := cmp.Diff(tc.want.details, c.ConnectionDetails); diff != "" {
				t.Errorf("%s\nconnection details: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.calls, tc.db.calls); diff != "" {
				t.Errorf("%s\nCallProcedure: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.annotation, tc.cr.GetAnnotations()[rotation.Annotation]); diff != "" {
				t.Errorf("%s\nrotation annotation: -want, +got:\n%s", tc.reason, diff)
			}
			if got := tc.cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonCreating {
				t.Errorf("%s\nReady reason = %q, want %q", tc.reason, got, xpv2.ReasonCreating)
			}
		})
	}
}

func TestClassUpdate(t *testing.T) {
	errBoom := errors.New("boom")
	rotateCall := dbms.Call{Procedure: "dba.rotate_database", Args: []dbms.Arg{{Name: "db_name", Value: "orders"}}}
	noRotate := func(c *v1alpha1.DatabaseClass) { c.Spec.Rotate = nil }
	type want struct {
		details  managed.ConnectionDetails
		err      error
		errHas   []string
		calls    []dbms.Call
		recorded string
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		class  *v1alpha1.DatabaseClass
		kube   client.Reader
		cr     *v1alpha1.Database
		want   want
	}{
		"Rotates": {
			reason: "A requested rotation calls the rotate procedure, publishes its credentials and records the rotation",
			db:     &fakeServer{catalog: orders, result: keyValues("user", "orders_owner", "password", "pw2")},
			kube:   kubeWith(connectionSecret("username", "password")),
			cr:     classDatabase(withRotation("2", "1")),
			want: want{
				details:  published("database", "orders", "username", "orders_owner", "password", "pw2"),
				calls:    []dbms.Call{rotateCall},
				recorded: "2",
			},
		},
		"RestoresLostKeys": {
			reason: "A secret that lost keys is filled again by rotating",
			db:     &fakeServer{catalog: orders, result: keyValues("user", "orders_owner", "password", "pw2")},
			kube:   kubeWith(connectionSecret("username")),
			cr:     classDatabase(),
			want: want{
				details: published("database", "orders", "username", "orders_owner", "password", "pw2"),
				calls:   []dbms.Call{rotateCall},
			},
		},
		"RotateFails": {
			reason: "A failed rotation names the class and is not recorded",
			db:     &fakeServer{catalog: orders, callErr: errBoom},
			kube:   kubeWith(),
			cr:     classDatabase(withRotation("2", "1")),
			want: want{
				err:      errors.Wrapf(errBoom, errClassCall, "gold"),
				calls:    []dbms.Call{rotateCall},
				recorded: "1",
			},
		},
		"RotateReturnsTooLittle": {
			reason: "A rotation whose result lacks a key publishes nothing and is not recorded",
			db:     &fakeServer{catalog: orders, result: keyValues("password", "pw2")},
			kube:   kubeWith(),
			cr:     classDatabase(withRotation("2", "1")),
			want: want{
				errHas:   []string{`DatabaseClass "gold"`, "did not return the keys user"},
				calls:    []dbms.Call{rotateCall},
				recorded: "1",
			},
		},
		"NoRotateProcedure": {
			reason: "A class without a rotate procedure cannot rotate, and says which class",
			db:     &fakeServer{catalog: orders},
			class:  newClass(noRotate),
			kube:   kubeWith(connectionSecret("username", "password")),
			cr:     classDatabase(withRotation("2", "1")),
			want: want{
				err:      errors.Errorf(errNoRotate, "gold"),
				recorded: "1",
			},
		},
		"NoRotateProcedureKeysLost": {
			reason: "Without a rotate procedure, lost keys are reported by name",
			db:     &fakeServer{catalog: orders},
			class:  newClass(noRotate),
			kube:   kubeWith(connectionSecret("username")),
			cr:     classDatabase(),
			want: want{
				err: errors.Errorf(errMissingSecretKey, "password", "gold"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			class := tc.class
			if class == nil {
				class = newClass()
			}
			u, err := newClassExternal(tc.db, class, tc.kube).Update(context.Background(), tc.cr)
			checkErr(t, tc.reason, "Update", tc.want.err, tc.want.errHas, err)
			if diff := cmp.Diff(tc.want.details, u.ConnectionDetails); diff != "" {
				t.Errorf("%s\nconnection details: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.calls, tc.db.calls); diff != "" {
				t.Errorf("%s\nCallProcedure: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.recorded, tc.cr.Status.AtProvider.CredentialRotation); diff != "" {
				t.Errorf("%s\nstatus.atProvider.credentialRotation: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestClassDelete(t *testing.T) {
	errBoom := errors.New("boom")
	dropCall := dbms.Call{Procedure: "dba.drop_database", Args: []dbms.Arg{{Name: "db_name", Value: "orders"}}}
	catalog := func() map[string]*dbms.DatabaseObservation {
		return map[string]*dbms.DatabaseObservation{"orders": {Owner: "dba"}}
	}
	type want struct {
		err   error
		calls []dbms.Call
	}
	cases := map[string]struct {
		reason string
		db     *fakeServer
		class  *v1alpha1.DatabaseClass
		want   want
	}{
		"Deleted": {
			reason: "The delete procedure is called, and the database is gone afterwards",
			db:     &fakeServer{catalog: catalog(), onCall: drops("orders")},
			want:   want{calls: []dbms.Call{dropCall}},
		},
		"NoDeleteProcedure": {
			reason: "A class without a delete procedure cannot delete: the error says to orphan the database",
			db:     &fakeServer{catalog: catalog()},
			class:  newClass(func(c *v1alpha1.DatabaseClass) { c.Spec.Delete = nil }),
			want:   want{err: errors.Errorf(errNoDelete, "gold")},
		},
		"ProcedureError": {
			reason: "The delete procedure's error names the class",
			db:     &fakeServer{catalog: catalog(), callErr: errBoom},
			want:   want{err: errors.Wrapf(errBoom, errClassCall, "gold"), calls: []dbms.Call{dropCall}},
		},
		"StillExists": {
			reason: "A delete procedure that leaves the database in place is an error",
			db:     &fakeServer{catalog: catalog()},
			want:   want{err: errors.Errorf(errNotDeleted, "gold", "dba.drop_database", "orders"), calls: []dbms.Call{dropCall}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			class := tc.class
			if class == nil {
				class = newClass()
			}
			cr := classDatabase()
			_, err := newClassExternal(tc.db, class, kubeWith()).Delete(context.Background(), cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nDelete error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.calls, tc.db.calls); diff != "" {
				t.Errorf("%s\nCallProcedure: -want, +got:\n%s", tc.reason, diff)
			}
			if got := cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonDeleting {
				t.Errorf("%s\nReady reason = %q, want %q", tc.reason, got, xpv2.ReasonDeleting)
			}
		})
	}
}

func TestClassDisconnect(t *testing.T) {
	db := &fakeServer{}
	if err := newClassExternal(db, newClass(), kubeWith()).Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !db.closed {
		t.Error("Disconnect did not close the server connection")
	}
}

func TestSameEngine(t *testing.T) {
	cases := map[string]struct {
		reason string
		class  dbms.Engine
		server dbms.Engine
		want   bool
	}{
		"Same":             {reason: "A class runs on a server of its engine", class: dbms.SQLServer, server: dbms.SQLServer, want: true},
		"MySQLOnMariaDB":   {reason: "MySQL procedures are called on MariaDB alike", class: dbms.MySQL, server: dbms.MariaDB, want: true},
		"MariaDBOnMySQL":   {reason: "MariaDB procedures are called on MySQL alike", class: dbms.MariaDB, server: dbms.MySQL, want: true},
		"UnsetIsPostgres":  {reason: "A class without an engine is a PostgreSQL class", class: "", server: dbms.PostgreSQL, want: true},
		"PostgresOnMySQL":  {reason: "PostgreSQL procedures are not MySQL's", class: dbms.PostgreSQL, server: dbms.MySQL, want: false},
		"MySQLOnSQLServer": {reason: "MySQL procedures are not SQL Server's", class: dbms.MySQL, server: dbms.SQLServer, want: false},
		"UnsetOnMySQL":     {reason: "A class without an engine is not a MySQL class", class: "", server: dbms.MySQL, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sameEngine(tc.class, tc.server); got != tc.want {
				t.Errorf("%s\nsameEngine(%q, %q) = %t, want %t", tc.reason, tc.class, tc.server, got, tc.want)
			}
		})
	}
}

// checkErr compares err with want exactly, or, when want is nil and parts
// are given, checks that err contains every part.
func checkErr(t *testing.T, reason, op string, want error, parts []string, err error) {
	t.Helper()
	if len(parts) == 0 {
		if diff := cmp.Diff(want, err, test.EquateErrors()); diff != "" {
			t.Errorf("%s\n%s error: -want, +got:\n%s", reason, op, diff)
		}
		return
	}
	if err == nil {
		t.Errorf("%s\n%s: no error, want one containing %q", reason, op, parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s\n%s error %q does not contain %q", reason, op, err, p)
		}
	}
}
