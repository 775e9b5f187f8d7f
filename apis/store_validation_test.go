package apis_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/common"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func clusterStore(mod func(p *opsv1alpha1.ClusterBackupStoreParameters)) *opsv1alpha1.ClusterBackupStore {
	s := &opsv1alpha1.ClusterBackupStore{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "platform-"},
		Spec: opsv1alpha1.ClusterBackupStoreSpec{ForProvider: opsv1alpha1.ClusterBackupStoreParameters{
			S3: &opsv1alpha1.ClusterS3Store{
				S3Location:           opsv1alpha1.S3Location{Endpoint: "s3.example.com", Bucket: "backups"},
				CredentialsSecretRef: xpv2.SecretReference{Namespace: "crossplane-system", Name: "s3"},
			},
		}},
	}
	if mod != nil {
		mod(&s.Spec.ForProvider)
	}
	return s
}

// storeValidation checks the stores' schemas on env's API server: a
// ClusterBackupStore names the namespace of each Secret, and a
// BackupStore cannot name one at all.
func storeValidation(t *testing.T, env *testenv.Env) {
	ctx := context.Background()
	cases := map[string]createCase{
		"ClusterS3": {
			reason: "a cluster store with its Secrets in the platform's namespace, encrypted, with retention, is accepted",
			obj: clusterStore(func(p *opsv1alpha1.ClusterBackupStoreParameters) {
				p.S3.CASecretRef = &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "s3"}, Key: "ca.crt"}
				p.Encryption = &opsv1alpha1.ClusterStoreEncryption{PassphraseSecretRef: xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "s3"}, Key: "passphrase"}}
				p.Retention = &common.BackupRetention{FullCount: ptr.To[int32](7)}
			}),
		},
		"ClusterSecretWithoutNamespace": {
			reason: "a cluster store's Secret must say its namespace",
			obj:    clusterStore(func(p *opsv1alpha1.ClusterBackupStoreParameters) { p.S3.CredentialsSecretRef.Namespace = "" }),
			want:   "a ClusterBackupStore's Secret references must name their namespace",
		},
		"ClusterBothKinds": {
			reason: "a cluster store is S3 or posix, not both",
			obj: clusterStore(func(p *opsv1alpha1.ClusterBackupStoreParameters) {
				p.Posix = &opsv1alpha1.PosixStore{Directory: "nightly"}
			}),
			want: "set exactly one of s3 or posix",
		},
		"ClusterPosixClimbingOut": {
			reason: "a cluster store's directory is a plain name, as a namespaced one's",
			obj: clusterStore(func(p *opsv1alpha1.ClusterBackupStoreParameters) {
				p.S3, p.Posix = nil, &opsv1alpha1.PosixStore{Directory: "a..b"}
			}),
			want: "directory must not hold ..",
		},
		"ClusterRetentionBoth": {
			reason: "retention keeps a count or days of full backups, not both",
			obj: clusterStore(func(p *opsv1alpha1.ClusterBackupStoreParameters) {
				p.Retention = &common.BackupRetention{FullCount: ptr.To[int32](2), FullDays: ptr.To[int32](7)}
			}),
			want: "set fullCount or fullDays, not both",
		},
	}
	createCases(ctx, t, env, cases)

	t.Run("ClusterEncryptionIsImmutable", func(t *testing.T) {
		pass := func(name string) *opsv1alpha1.ClusterStoreEncryption {
			return &opsv1alpha1.ClusterStoreEncryption{PassphraseSecretRef: xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: name}, Key: "passphrase"}}
		}
		s := clusterStore(func(p *opsv1alpha1.ClusterBackupStoreParameters) { p.Encryption = pass("s3") })
		if err := env.Client.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		s.Spec.ForProvider.Encryption = pass("other")
		err := env.Client.Update(ctx, s)
		if err == nil || !strings.Contains(err.Error(), "encryption is immutable: make a new ClusterBackupStore") {
			t.Errorf("changing a cluster store's passphrase should be refused, got: %v", err)
		}
	})

	// A namespace's BackupStore has no field that names a namespace: a
	// namespace given anyway is refused under strict field validation
	// (kubectl's default) and dropped otherwise, so the store's Secrets
	// are always its own namespace's, never the platform's.
	t.Run("BackupStoreCannotNameTheirNamespace", func(t *testing.T) {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": opsv1alpha1.SchemeGroupVersion.String(), "kind": opsv1alpha1.BackupStoreKind,
			"metadata": map[string]any{"namespace": "default", "generateName": "tenant-"},
			"spec": map[string]any{"forProvider": map[string]any{"s3": map[string]any{
				"endpoint": "s3.example.com", "bucket": "backups",
				"credentialsSecretRef": map[string]any{"name": "s3", "namespace": "crossplane-system"},
			}}},
		}}
		err := env.Client.Create(ctx, u.DeepCopy(), client.FieldValidation(metav1.FieldValidationStrict))
		if err == nil || !strings.Contains(err.Error(), `unknown field "spec.forProvider.s3.credentialsSecretRef.namespace"`) {
			t.Errorf("strict: want the namespace refused as an unknown field, got: %v", err)
		}
		if err := env.Client.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		// u is now what the API server stored.
		if ns, found, _ := unstructured.NestedString(u.Object, "spec", "forProvider", "s3", "credentialsSecretRef", "namespace"); found {
			t.Errorf("the API server kept credentialsSecretRef.namespace %q", ns)
		}
	})
}
