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

	t.Run("EncryptionIsImmutable", func(t *testing.T) { encryptionImmutability(ctx, t, env) })

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

// encryptionImmutability updates stores of both kinds: encryption can be
// neither added, removed nor changed, while a store whose encryption stays
// as it was still takes other changes.
func encryptionImmutability(ctx context.Context, t *testing.T, env *testenv.Env) {
	clusterPass := func(name string) *opsv1alpha1.ClusterStoreEncryption {
		return &opsv1alpha1.ClusterStoreEncryption{PassphraseSecretRef: xpv2.SecretKeySelector{
			SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: name}, Key: "passphrase"}}
	}
	pass := func(name string) *opsv1alpha1.StoreEncryption {
		return &opsv1alpha1.StoreEncryption{PassphraseSecretRef: xpv2.LocalSecretKeySelector{
			LocalSecretReference: xpv2.LocalSecretReference{Name: name}, Key: "passphrase"}}
	}
	// refused is the start of the message; each kind's names the kind.
	const refused = "encryption cannot be added, removed or changed: make a new "
	cases := map[string]struct {
		reason   string
		from, to storeState
		refused  bool
	}{
		"Added":     {reason: "encryption added to a plain store", from: storeState{}, to: storeState{enc: "pass"}, refused: true},
		"Removed":   {reason: "encryption removed from an encrypted store", from: storeState{enc: "pass"}, to: storeState{}, refused: true},
		"Changed":   {reason: "an encrypted store's passphrase moved to another Secret", from: storeState{enc: "pass"}, to: storeState{enc: "other"}, refused: true},
		"Unchanged": {reason: "an encrypted store's retention changed, its encryption kept", from: storeState{enc: "pass", retain: 2}, to: storeState{enc: "pass", retain: 3}},
		"NeverSet":  {reason: "a plain store's retention changed", from: storeState{retain: 2}, to: storeState{retain: 3}},
	}
	for name, tc := range cases {
		t.Run("Cluster"+name, func(t *testing.T) {
			set := func(p *opsv1alpha1.ClusterBackupStoreParameters, s storeState) {
				p.Encryption, p.Retention = nil, s.retention()
				if s.enc != "" {
					p.Encryption = clusterPass(s.enc)
				}
			}
			obj := clusterStore(func(p *opsv1alpha1.ClusterBackupStoreParameters) { set(p, tc.from) })
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			set(&obj.Spec.ForProvider, tc.to)
			checkAnswer(t, tc.reason, env.Client.Update(ctx, obj), wantIf(tc.refused, refused+"ClusterBackupStore"))
		})
		t.Run("Namespaced"+name, func(t *testing.T) {
			set := func(p *opsv1alpha1.BackupStoreParameters, s storeState) {
				p.Encryption, p.Retention = nil, s.retention()
				if s.enc != "" {
					p.Encryption = pass(s.enc)
				}
			}
			obj := &opsv1alpha1.BackupStore{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "tenant-"},
				Spec: opsv1alpha1.BackupStoreSpec{ForProvider: opsv1alpha1.BackupStoreParameters{
					Posix: &opsv1alpha1.PosixStore{Directory: "nightly"},
				}},
			}
			set(&obj.Spec.ForProvider, tc.from)
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			set(&obj.Spec.ForProvider, tc.to)
			checkAnswer(t, tc.reason, env.Client.Update(ctx, obj), wantIf(tc.refused, refused+"BackupStore"))
		})
	}
}

// storeState is what an encryption case sets on a store of either kind.
type storeState struct {
	enc    string // the passphrase Secret's name; none when empty
	retain int32  // full backups kept; no retention when zero
}

func (s storeState) retention() *common.BackupRetention {
	if s.retain == 0 {
		return nil
	}
	return &common.BackupRetention{FullCount: ptr.To(s.retain)}
}

// wantIf is message when an answer should be a refusal, else empty.
func wantIf(refuse bool, message string) string {
	if refuse {
		return message
	}
	return ""
}
