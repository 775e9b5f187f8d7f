package dependents

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/dbaas-io/dbaas/apis"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
)

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOnInstanceAndOnMachine(t *testing.T) {
	objs := []client.Object{
		&sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "db1"}, Spec: sqlv1alpha1.DatabaseSpec{ForProvider: sqlv1alpha1.DatabaseParameters{InstanceReference: sqlv1alpha1.InstanceReference{Instance: "i1"}}}},
		&sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "db2"}, Spec: sqlv1alpha1.DatabaseSpec{ForProvider: sqlv1alpha1.DatabaseParameters{InstanceReference: sqlv1alpha1.InstanceReference{Instance: "i2"}}}},
		&sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "db3"}, Spec: sqlv1alpha1.DatabaseSpec{ForProvider: sqlv1alpha1.DatabaseParameters{InstanceReference: sqlv1alpha1.InstanceReference{Instance: "i1"}}}},
		&sqlv1alpha1.User{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "u1"}, Spec: sqlv1alpha1.UserSpec{ForProvider: sqlv1alpha1.UserParameters{InstanceReference: sqlv1alpha1.InstanceReference{Instance: "i1"}}}},
		&enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "i1"}, Spec: enginev1alpha1.DatabaseInstanceSpec{ForProvider: enginev1alpha1.DatabaseInstanceParameters{VirtualMachines: []string{"vm1"}}}},
		&enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "i2"}, Spec: enginev1alpha1.DatabaseInstanceSpec{ForProvider: enginev1alpha1.DatabaseInstanceParameters{VirtualMachines: []string{"vm2", "vm1"}}}},
	}
	c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(objs...).Build()
	ctx := context.Background()

	cases := map[string]struct {
		reason string
		got    func() ([]string, error)
		want   []string
	}{
		"InstanceInItsNamespace": {
			reason: "only databases and users of that instance in that namespace",
			got:    func() ([]string, error) { return OnInstance(ctx, c, "a", "i1") },
			want:   []string{"Database/db1", "User/u1"},
		},
		"InstanceWithoutDependents": {
			reason: "an instance nothing lives on has no dependents",
			got:    func() ([]string, error) { return OnInstance(ctx, c, "a", "i9") },
			want:   nil,
		},
		"MachineOfSeveralInstances": {
			reason: "every instance with a member on the machine",
			got:    func() ([]string, error) { return OnMachine(ctx, c, "a", "vm1") },
			want:   []string{"DatabaseInstance/i1", "DatabaseInstance/i2"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.got()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	if err := WaitError("DatabaseInstance", []string{"Database/db1"}); err == nil || err.Error() != "waiting for Database/db1 to be deleted first: they live on this DatabaseInstance" {
		t.Errorf("WaitError: got %v", err)
	}
	if err := WaitError("DatabaseInstance", nil); err != nil {
		t.Errorf("WaitError with nothing to wait for: got %v", err)
	}
}
