package backupstore

import (
	"context"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

func TestNotReady(t *testing.T) {
	s := runtime.NewScheme()
	_ = opsv1alpha1.SchemeBuilder.AddToScheme(s)
	const noBucket = "cannot reach BackupStore s3: ... NoSuchBucket: The specified bucket does not exist. (bucket b)"
	broken := &opsv1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "s3"}}
	broken.SetConditions(xpv2.Unavailable().WithMessage(noBucket))
	fine := &opsv1alpha1.ClusterBackupStore{ObjectMeta: metav1.ObjectMeta{Name: "platform"}}
	fine.SetConditions(xpv2.Available())
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(broken, fine).Build()
	cases := map[string]struct {
		reason string
		ref    Ref
		want   string
	}{
		"NotReady": {
			reason: "A store the provider cannot reach gives its Ready message.",
			ref:    InstanceStore("team-a", &enginev1alpha1.InstanceBackupParameters{Store: "s3"}),
			want:   noBucket,
		},
		"Ready": {
			reason: "A Ready store adds nothing.",
			ref:    InstanceStore("team-a", &enginev1alpha1.InstanceBackupParameters{Store: "platform", StoreKind: enginev1alpha1.StoreKindClusterBackupStore}),
		},
		"OtherNamespace": {
			reason: "Another namespace's store of that name is never read.",
			ref:    InstanceStore("team-b", &enginev1alpha1.InstanceBackupParameters{Store: "s3"}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := NotReady(context.Background(), kube, tc.ref); got != tc.want {
				t.Errorf("%s\nNotReady(%v) = %q, want %q", tc.reason, tc.ref, got, tc.want)
			}
		})
	}
}
