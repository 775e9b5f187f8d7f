package testenv

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

// TestIsolation checks what a test's view of the shared API server makes
// its managers see: before it created a namespace, nothing (a manager
// would see every test's objects); then its namespaces, its own
// cluster-scoped provider configs by label, and Secrets everywhere.
func TestIsolation(t *testing.T) {
	ctx := context.Background()
	iso := &isolation{label: "7", namespaces: map[string]bool{}}
	c := &isolatingClient{Client: fake.NewClientBuilder().WithScheme(Scheme(t)).Build(), iso: iso}

	if _, err := iso.cache(); err == nil {
		t.Error("cache options without a namespace: want an error, got none")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pc := &apisv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "pc", Labels: map[string]string{"kept": "yes"}}}
	if err := c.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	if got := pc.GetLabels(); got[LabelIsolation] != "7" || got["kept"] != "yes" {
		t.Errorf("a cluster-scoped object's labels: want %s=7 added to the test's, got %v", LabelIsolation, got)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "s"}}
	if err := c.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.GetLabels()[LabelIsolation]; ok {
		t.Errorf("a namespaced object: want no isolation label, got %v", s.GetLabels())
	}

	o, err := iso.cache()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o.DefaultNamespaces["team-a"]; !ok || len(o.DefaultNamespaces) != 1 {
		t.Errorf("DefaultNamespaces: want only team-a, got %v", o.DefaultNamespaces)
	}
	for obj, by := range o.ByObject {
		switch obj.(type) {
		case *apisv1alpha1.ClusterProviderConfig:
			if want := labels.SelectorFromSet(labels.Set{LabelIsolation: "7"}); by.Label.String() != want.String() {
				t.Errorf("ClusterProviderConfigs: want selector %s, got %v", want, by.Label)
			}
		case *corev1.Secret:
			if _, ok := by.Namespaces[cache.AllNamespaces]; !ok || len(by.Namespaces) != 1 {
				t.Errorf("Secrets: want every namespace, got %v", by.Namespaces)
			}
		default:
			t.Errorf("unexpected cache option for %T", obj)
		}
	}
	if len(o.ByObject) != 2 {
		t.Errorf("ByObject: want ClusterProviderConfigs and Secrets, got %d entries", len(o.ByObject))
	}
}
