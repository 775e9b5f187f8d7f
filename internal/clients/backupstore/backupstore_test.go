package backupstore

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/common"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

func TestFromObject(t *testing.T) {
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "s3"},
		Data:       map[string][]byte{KeyAccessKeyID: []byte("ak"), KeySecretAccessKey: []byte("sk"), "ca.crt": []byte("PEM"), "pass": []byte("phrase")},
	}
	otherNS := creds.DeepCopy()
	otherNS.Namespace = "team-b"
	otherNS.Name = "b-only"
	platform := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "platform-s3"},
		Data:       map[string][]byte{KeyAccessKeyID: []byte("pak"), KeySecretAccessKey: []byte("psk"), "ca.crt": []byte("PPEM"), "pass": []byte("pphrase")},
	}
	inTeamA := func(p opsv1alpha1.BackupStoreParameters) client.Object {
		return &opsv1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "store"}, Spec: opsv1alpha1.BackupStoreSpec{ForProvider: p}}
	}
	cluster := func(p opsv1alpha1.ClusterBackupStoreParameters) client.Object {
		return &opsv1alpha1.ClusterBackupStore{ObjectMeta: metav1.ObjectMeta{Name: "platform"}, Spec: opsv1alpha1.ClusterBackupStoreSpec{ForProvider: p}}
	}
	platformRef := func(key string) xpv2.SecretKeySelector {
		return xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "platform-s3"}, Key: key}
	}
	loc := opsv1alpha1.S3Location{Endpoint: "127.0.0.1", Port: 7070, Bucket: "backups", Region: "us-east-1", Prefix: "/a", URIStyle: opsv1alpha1.URIStylePath}

	cases := map[string]struct {
		reason  string
		obj     client.Object
		want    Store
		wantErr string
	}{
		"S3WithCAEncryptionAndRetention": {
			reason: "A BackupStore's Secrets are read from its own namespace.",
			obj: inTeamA(opsv1alpha1.BackupStoreParameters{
				S3: &opsv1alpha1.S3Store{
					S3Location:           loc,
					CASecretRef:          &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3"}, Key: "ca.crt"},
					CredentialsSecretRef: xpv2.LocalSecretReference{Name: "s3"},
				},
				Encryption:   &opsv1alpha1.StoreEncryption{PassphraseSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3"}, Key: "pass"}},
				StoreOptions: opsv1alpha1.StoreOptions{Retention: &common.BackupRetention{FullDays: ptr.To[int32](7), DiffCount: ptr.To[int32](3)}},
			}),
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
		"ClusterS3FromThePlatformsNamespace": {
			reason: "A ClusterBackupStore's Secrets are read from the namespace each reference names, and resolve to the same Store as a BackupStore's.",
			obj: cluster(opsv1alpha1.ClusterBackupStoreParameters{
				S3:           &opsv1alpha1.ClusterS3Store{S3Location: loc, CASecretRef: ptr.To(platformRef("ca.crt")), CredentialsSecretRef: platformRef("").SecretReference},
				Encryption:   &opsv1alpha1.ClusterStoreEncryption{PassphraseSecretRef: platformRef("pass")},
				StoreOptions: opsv1alpha1.StoreOptions{Retention: &common.BackupRetention{FullCount: ptr.To[int32](2)}, Compression: opsv1alpha1.CompressionZst},
			}),
			want: Store{
				Repo: pgbackrest.Repo{
					Type: pgbackrest.RepoS3, Path: "/a",
					S3:         &pgbackrest.S3{Endpoint: "127.0.0.1", Port: 7070, Bucket: "backups", Region: "us-east-1", URIStyle: "path", AccessKey: "pak", SecretKey: "psk"},
					CipherPass: "pphrase",
					Retention:  pgbackrest.Retention{Full: 2, FullType: pgbackrest.RetentionCount},
					Compress:   pgbackrest.CompressZst,
				},
				CA: []byte("PPEM"),
			},
		},
		"PosixBelowRootAndNamespace": {
			reason: "A BackupStore's directory is below the backup root and its namespace.",
			obj:    inTeamA(opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "nightly"}, StoreOptions: opsv1alpha1.StoreOptions{Retention: &common.BackupRetention{FullCount: ptr.To[int32](2)}, Compression: opsv1alpha1.CompressionZst}}),
			want: Store{Repo: pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: "/backups/team-a/nightly",
				Retention: pgbackrest.Retention{Full: 2, FullType: pgbackrest.RetentionCount}, Compress: pgbackrest.CompressZst}},
		},
		"ClusterPosixBelowRootAndUnderscoreCluster": {
			reason: "A ClusterBackupStore's directory is below _cluster, which no namespace can be named, so it never meets a BackupStore's.",
			obj:    cluster(opsv1alpha1.ClusterBackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "nightly"}}),
			want:   Store{Repo: pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: "/backups/_cluster/nightly"}},
		},
		"PosixClimbingOutIsRefused": {
			reason:  "A directory that leaves the namespace's place is refused.",
			obj:     inTeamA(opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: ".."}}),
			wantErr: `".." cannot be a directory name below the backup root`,
		},
		"CredentialsOfAnotherNamespaceAreNotFound": {
			reason: "A BackupStore names a Secret by name only, looked up in its own namespace: another namespace's is not found.",
			obj: inTeamA(opsv1alpha1.BackupStoreParameters{S3: &opsv1alpha1.S3Store{
				S3Location: opsv1alpha1.S3Location{Endpoint: "127.0.0.1", Bucket: "backups", Region: "r"}, CredentialsSecretRef: xpv2.LocalSecretReference{Name: "b-only"},
			}}),
			wantErr: `Secret team-a/b-only, which BackupStore store names, does not exist: create it with the key "accessKeyId"`,
		},
		"PlatformSecretsAreNotFoundFromANamespace": {
			reason: "A namespace's BackupStore naming the platform's Secret gets its own namespace's, which does not exist: the platform's keys are never read for it.",
			obj: inTeamA(opsv1alpha1.BackupStoreParameters{S3: &opsv1alpha1.S3Store{
				S3Location: loc, CredentialsSecretRef: xpv2.LocalSecretReference{Name: "platform-s3"},
			}}),
			wantErr: `Secret team-a/platform-s3, which BackupStore store names, does not exist: create it with the key "accessKeyId"`,
		},
		"MissingKey": {
			reason: "A key missing from the Secret is named.",
			obj: inTeamA(opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "d"},
				Encryption: &opsv1alpha1.StoreEncryption{PassphraseSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "s3"}, Key: "nope"}}}),
			wantErr: `Secret team-a/s3 of BackupStore store has no key "nope"`,
		},
		"NeitherKind": {
			reason:  "A store with neither s3 nor posix is refused.",
			obj:     cluster(opsv1alpha1.ClusterBackupStoreParameters{}),
			wantErr: "ClusterBackupStore platform sets neither s3 nor posix",
		},
	}
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(creds, otherNS, platform).Build()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := FromObject(context.Background(), kube, tc.obj, "/backups")
			if (err != nil) != (tc.wantErr != "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%s\nFromObject(...): error %v, want one holding %q", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nFromObject(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestResolveRef(t *testing.T) {
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	_ = opsv1alpha1.SchemeBuilder.AddToScheme(s)
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(
		&opsv1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "mine"},
			Spec: opsv1alpha1.BackupStoreSpec{ForProvider: opsv1alpha1.BackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "d"}}}},
		&opsv1alpha1.ClusterBackupStore{ObjectMeta: metav1.ObjectMeta{Name: "platform"},
			Spec: opsv1alpha1.ClusterBackupStoreSpec{ForProvider: opsv1alpha1.ClusterBackupStoreParameters{Posix: &opsv1alpha1.PosixStore{Directory: "p"}}}},
	).Build()
	cases := map[string]struct {
		reason   string
		ref      Ref
		wantPath string
		wantErr  string
	}{
		"BackupStoreOfTheNamespace": {
			reason:   "An instance's BackupStore is found in the instance's namespace.",
			ref:      InstanceStore("team-a", &enginev1alpha1.InstanceBackupParameters{Store: "mine"}),
			wantPath: "/r/team-a/d",
		},
		"BackupStoreOfAnotherNamespace": {
			reason:  "Another namespace's BackupStore is not found: an instance reaches its own namespace's only.",
			ref:     InstanceStore("team-b", &enginev1alpha1.InstanceBackupParameters{Store: "mine"}),
			wantErr: "cannot get BackupStore mine",
		},
		"ClusterBackupStoreFromAnyNamespace": {
			reason:   "A ClusterBackupStore is found from every namespace.",
			ref:      InstanceStore("team-b", &enginev1alpha1.InstanceBackupParameters{Store: "platform", StoreKind: enginev1alpha1.StoreKindClusterBackupStore}),
			wantPath: "/r/_cluster/p",
		},
		"ClusterKindIsNotABackupStore": {
			reason:  "storeKind BackupStore never finds a ClusterBackupStore of that name.",
			ref:     InstanceStore("team-a", &enginev1alpha1.InstanceBackupParameters{Store: "platform"}),
			wantErr: "cannot get BackupStore platform",
		},
		"RestoreSourceResolvesTheSameKinds": {
			reason:   "A restore's source names its store the same way.",
			ref:      SourceStore("team-a", &enginev1alpha1.RecoverySource{Instance: "db", Store: "platform", StoreKind: enginev1alpha1.StoreKindClusterBackupStore}),
			wantPath: "/r/_cluster/p",
		},
		"UnknownKind": {
			reason:  "A kind that is no store is refused, naming both kinds.",
			ref:     Ref{Kind: "Bucket", Namespace: "team-a", Name: "mine"},
			wantErr: `"Bucket" is not a kind of store: use BackupStore or ClusterBackupStore`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Resolve(context.Background(), kube, tc.ref, "/r")
			if (err != nil) != (tc.wantErr != "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%s\nResolve(%v): error %v, want one holding %q", tc.reason, tc.ref, err, tc.wantErr)
			}
			if got.Repo.Path != tc.wantPath {
				t.Errorf("%s\nResolve(%v): path %q, want %q", tc.reason, tc.ref, got.Repo.Path, tc.wantPath)
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
