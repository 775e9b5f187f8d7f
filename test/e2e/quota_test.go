package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// TestResourceQuotaCapsDatabases applies the README's ResourceQuota
// (examples/quota) in a namespace and sees the API server refuse the
// Database beyond its cap, while the quota controller counts them.
func TestResourceQuotaCapsDatabases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ns = "quota"
	createNamespace(t, ns)

	root, _ := filepath.Abs("../..")
	b, err := os.ReadFile(filepath.Join(root, "examples", "quota", "resourcequota.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	quota := &corev1.ResourceQuota{}
	if err := yaml.UnmarshalStrict(b, quota); err != nil {
		t.Fatalf("cannot read the example ResourceQuota: %v", err)
	}
	const counted = corev1.ResourceName("count/databases.platform.dbaas.io")
	if _, ok := quota.Spec.Hard[counted]; !ok {
		t.Fatalf("the example ResourceQuota does not cap %s: %v", counted, quota.Spec.Hard)
	}
	// The example's cap, lowered on this copy so that the test creates few
	// Databases; the quota is otherwise the example's.
	const hard = 3
	quota.Namespace = ns
	quota.Spec.Hard[counted] = resource.MustParse(strconv.Itoa(hard))
	if err := env.Client.Create(ctx, quota); err != nil {
		t.Fatalf("cannot create the ResourceQuota: %v", err)
	}
	// The API server admits nothing the quota counts until the quota
	// controller has first written the quota's status.
	waitFor(t, 3*time.Minute, "the quota controller to take up the ResourceQuota", func() bool {
		q := &corev1.ResourceQuota{}
		_ = env.Client.Get(ctx, client.ObjectKeyFromObject(quota), q)
		_, ok := q.Status.Hard[counted]
		return ok
	})

	// An SKU the catalog does not offer: the function refuses these
	// Databases, so nothing is composed and no PostgreSQL starts.
	bad := map[string]any{"sku": "e2e-not-offered"}
	var made []*unstructured.Unstructured
	for i := range hard {
		db := newDatabase(ns, "capped-"+strconv.Itoa(i), bad)
		if err := env.Client.Create(ctx, db); err != nil {
			t.Fatalf("Database %d of %d was refused: %v", i+1, hard, err)
		}
		made = append(made, db)
	}
	t.Cleanup(func() {
		for _, o := range made {
			_ = env.Client.Delete(context.Background(), o)
		}
	})

	over := newDatabase(ns, "capped-over", bad)
	err = env.Client.Create(ctx, over)
	if err == nil {
		made = append(made, over)
		t.Fatalf("the API server took Database %d with a quota of %d", hard+1, hard)
	}
	if !strings.Contains(err.Error(), "exceeded quota") {
		t.Errorf("Database %d was refused, but not by the quota: %v", hard+1, err)
	}
	t.Logf("Database %d refused: %v", hard+1, err)

	waitFor(t, 3*time.Minute, "the ResourceQuota's status.used to count the Databases", func() bool {
		q := &corev1.ResourceQuota{}
		_ = env.Client.Get(ctx, client.ObjectKeyFromObject(quota), q)
		used, ok := q.Status.Used[counted]
		return ok && used.Value() == hard
	})

	for _, o := range made {
		deleteAndWait(t, o)
	}
}
