package backupstore

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

func TestFromSpec(t *testing.T) {
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "s3"},
		Data:       map[string][]byte{KeyAccessKeyID: []byte("ak"), KeySecretAccessKey: []byte("sk"), "ca.crt": []byte("PEM"), "pass": []byte("phrase")},
	}
	otherNS := creds.DeepCopy()
	otherNS.Namespace = "team-b"
	otherNS.Name = "b-only"

	cases := map[string]struct {
		params  opsv1alpha1.BackupStoreParameters
		want    Store
		wantErr bool
	}{
		"S3WithCAEncryptionAndRetention": {
			params: opsv1alpha1.BackupStoreParameters{
				S3: &opsv1alpha1.S3Store{
					Endpoint: "127.0.0.1", Port: 7070, Bucket: "backups", Region: "us-east-1", Prefix: "/a", URIStyle: opsv1alpha1.URIStylePath,
					CASecretRef:          &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3"}, Key: "ca.crt"},
					CredentialsSecretRef: xpv2.LocalSecretReference{Name: "s3"},
				},
				Encryption: &opsv1alpha1.StoreEncryption{PassphraseSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3"}, Key: "pass"}},
				Retention:  &opsv1alpha1.StoreRetention{FullDays: ptr.To[int32](7), DiffCount: ptr.To[int32](3)},
			},
			want: Store{
				Repo: pgbackrest.Repo{
					Type: pgbackrest.RepoS3, Path: "/a",
					S3:         &pgbackrest.S3{Endpoint: "127.0.0.1", Port: 7070, Bucket: "backups", Region: "us-east-1", URIStyle: "path", AccessKey: "ak", SecretKey: "sk"},
					CipherPass: "phrase",
					Retention:  pgbackrest.Retention{Full: 7, FullType: pgbackrest.RetentionTime, Diff: 3},
				},
				CA: []byte("PEM"),
			},
		},
		"PosixBelowRootAndNamespace": {
			params: opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "nightly"}, Retention: &opsv1alpha1.StoreRetention{FullCount: ptr.To[int32](2)}, Compression: opsv1alpha1.CompressionZst},
			want: Store{Repo: pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: "/backups/team-a/nightly",
				Retention: pgbackrest.Retention{Full: 2, FullType: pgbackrest.RetentionCount}, Compress: pgbackrest.CompressZst}},
		},
		"PosixClimbingOutIsRefused": {
			params:  opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: ".."}},
			wantErr: true,
		},
		"CredentialsOfAnotherNamespaceAreNotFound": {
			params: opsv1alpha1.BackupStoreParameters{S3: &opsv1alpha1.S3Store{
				Endpoint: "127.0.0.1", Bucket: "backups", Region: "r", CredentialsSecretRef: xpv2.LocalSecretReference{Name: "b-only"},
			}},
			wantErr: true,
		},
		"MissingKey": {
			params: opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "d"},
				Encryption: &opsv1alpha1.StoreEncryption{PassphraseSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3"}, Key: "nope"}}},
			wantErr: true,
		},
		"NeitherKind": {wantErr: true},
	}
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(creds, otherNS).Build()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			bs := &opsv1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "store"}}
			bs.Spec.ForProvider = tc.params
			got, err := FromSpec(context.Background(), kube, bs, "/backups")
			if (err != nil) != tc.wantErr {
				t.Fatalf("FromSpec(...): error %v, want error %t", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FromSpec(...): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestStanza(t *testing.T) {
	cases := map[string]struct {
		ns, instance, want string
		wantErr            bool
	}{
		"NamespaceDotInstance": {ns: "team-a", instance: "orders", want: "team-a.orders"},
		// "a-b"/"c" and "a"/"b-c" would collide with a dash.
		"NoCollisionAcrossNamespaces": {ns: "a", instance: "b-c", want: "a.b-c"},
		"UpperCaseRefused":            {ns: "a", instance: "B", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Stanza(tc.ns, tc.instance)
			if (err != nil) != tc.wantErr || got != tc.want && !tc.wantErr {
				t.Errorf("Stanza(%q, %q) = %q, %v; want %q, error %t", tc.ns, tc.instance, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
