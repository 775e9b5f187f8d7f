// Package backupstore turns a BackupStore or a ClusterBackupStore
// (ops.dbaas.io) into the pgBackRest repository its instances archive and
// back up into: it reads a BackupStore's Secrets from the store's own
// namespace only and a ClusterBackupStore's from the namespaces it names,
// and places a posix store below the provider's backup root and the
// namespace (or _cluster), so a namespace never chooses where root
// writes. The instance, schedule and restore paths all find their store
// through Resolve or Get.
package backupstore

import (
	"context"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/common"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	errGetStore  = "cannot get %s"
	errKind      = "%q is not a kind of store: use BackupStore or ClusterBackupStore"
	errGetSecret = "cannot get Secret %s/%s of %s"
	errNoSecret  = "Secret %s/%s, which %s names, does not exist: create it with the key %q, or point the store at a Secret that has it; " +
		"nothing is archived or backed up into the store until then"
	errNoKey      = "Secret %s/%s of %s has no key %q"
	errNoKind     = "%s sets neither s3 nor posix"
	errBackupRoot = "the provider's backup root %q must be an absolute, clean path"
	errStanza     = "instance %s/%s cannot name a stanza"
)

// Keys of the S3 credentials Secret.
const (
	KeyAccessKeyID     = "accessKeyId"
	KeySecretAccessKey = "secretAccessKey"
)

const (
	// DefaultBackupRoot is where posix stores live on the instances'
	// machines when the provider is not told otherwise (--backup-root).
	DefaultBackupRoot = "/var/lib/dbaas/backups"

	// ClusterDir is the directory below the backup root that the posix
	// ClusterBackupStores' directories go into: a namespace's name is a
	// DNS label and never holds an underscore, so no namespace's
	// BackupStores share it.
	ClusterDir = "_cluster"
)

// A Store is a BackupStore or ClusterBackupStore resolved for pgBackRest.
type Store struct {
	// Repo is the repository, with its credentials and passphrase. For an
	// S3 store with a CA, Repo.S3.CAFile is empty: the CA's file is placed
	// on each machine by whoever writes pgbackrest.conf there.
	Repo pgbackrest.Repo
	// CA is the PEM CA certificate the S3 endpoint is verified against,
	// or nil for the machines' trusted CAs.
	CA []byte
}

// A Ref names a store as an instance's backup settings or a restore's
// source do: a BackupStore of the referrer's namespace, or a
// ClusterBackupStore.
type Ref struct {
	Kind enginev1alpha1.StoreKind
	// Namespace is the referrer's: where a BackupStore is looked up.
	Namespace string
	Name      string
}

// String names the store in messages.
func (r Ref) String() string {
	if r.Kind == enginev1alpha1.StoreKindClusterBackupStore {
		return opsv1alpha1.ClusterBackupStoreKind + " " + r.Name
	}
	return opsv1alpha1.BackupStoreKind + " " + r.Name
}

// InstanceStore is the store the backup settings b of an instance of
// namespace ns name.
func InstanceStore(ns string, b *enginev1alpha1.InstanceBackupParameters) Ref {
	return Ref{Kind: kindOrDefault(b.StoreKind), Namespace: ns, Name: b.Store}
}

// SourceStore is the store a restore's source of namespace ns names.
func SourceStore(ns string, s *enginev1alpha1.RecoverySource) Ref {
	return Ref{Kind: kindOrDefault(s.StoreKind), Namespace: ns, Name: s.Store}
}

// kindOrDefault is k, or BackupStore when unset (the API's default, for
// objects made before storeKind existed or without the API server).
func kindOrDefault(k enginev1alpha1.StoreKind) enginev1alpha1.StoreKind {
	if k == "" {
		return enginev1alpha1.StoreKindBackupStore
	}
	return k
}

// Get reads the store ref names: a BackupStore from the referrer's
// namespace only, or a ClusterBackupStore.
func Get(ctx context.Context, kube client.Reader, ref Ref) (client.Object, error) {
	var o client.Object
	key := types.NamespacedName{Name: ref.Name}
	switch ref.Kind {
	case enginev1alpha1.StoreKindBackupStore:
		o, key.Namespace = &opsv1alpha1.BackupStore{}, ref.Namespace
	case enginev1alpha1.StoreKindClusterBackupStore:
		o = &opsv1alpha1.ClusterBackupStore{}
	default:
		return nil, errors.Errorf(errKind, ref.Kind)
	}
	if err := kube.Get(ctx, key, o); err != nil {
		return nil, errors.Wrapf(err, errGetStore, ref)
	}
	return o, nil
}

// Resolve reads the store ref names and its Secrets. backupRoot is the
// provider's root of posix stores.
func Resolve(ctx context.Context, kube client.Reader, ref Ref, backupRoot string) (Store, error) {
	o, err := Get(ctx, kube, ref)
	if err != nil {
		return Store{}, err
	}
	return FromObject(ctx, kube, o, backupRoot)
}

// FromObject resolves a BackupStore, whose Secrets are read from its own
// namespace only, or a ClusterBackupStore, whose Secrets are read from the
// namespaces it names: both become the same Store.
func FromObject(ctx context.Context, kube client.Reader, o client.Object, backupRoot string) (Store, error) {
	switch s := o.(type) {
	case *opsv1alpha1.BackupStore:
		return fromParams(ctx, kube, opsv1alpha1.BackupStoreKind+" "+s.Name, inNamespace(s.Namespace, s.Spec.ForProvider), s.Namespace, backupRoot)
	case *opsv1alpha1.ClusterBackupStore:
		return fromParams(ctx, kube, opsv1alpha1.ClusterBackupStoreKind+" "+s.Name, s.Spec.ForProvider, ClusterDir, backupRoot)
	}
	return Store{}, errors.Errorf(errKind, o.GetObjectKind().GroupVersionKind().Kind)
}

// inNamespace is a BackupStore's parameters with every Secret reference
// in the store's own namespace: its references cannot name another, and
// from here on a namespaced store is resolved as a cluster one.
func inNamespace(ns string, p opsv1alpha1.BackupStoreParameters) opsv1alpha1.ClusterBackupStoreParameters {
	out := opsv1alpha1.ClusterBackupStoreParameters{Posix: p.Posix, StoreOptions: p.StoreOptions}
	if p.S3 != nil {
		out.S3 = &opsv1alpha1.ClusterS3Store{
			S3Location:           p.S3.S3Location,
			CredentialsSecretRef: xpv2.SecretReference{Namespace: ns, Name: p.S3.CredentialsSecretRef.Name},
		}
		if ref := p.S3.CASecretRef; ref != nil {
			out.S3.CASecretRef = ref.ToSecretKeySelector(ns)
		}
	}
	if e := p.Encryption; e != nil {
		out.Encryption = &opsv1alpha1.ClusterStoreEncryption{PassphraseSecretRef: *e.PassphraseSecretRef.ToSecretKeySelector(ns)}
	}
	return out
}

// fromParams resolves a store's parameters; what names the store in
// messages, and posixDir is the directory below the backup root that a
// posix store's directory goes into.
func fromParams(ctx context.Context, kube client.Reader, what string, p opsv1alpha1.ClusterBackupStoreParameters, posixDir, backupRoot string) (Store, error) {
	secret := func(ref xpv2.SecretReference, key string) (string, error) {
		s := &corev1.Secret{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, s); err != nil {
			if kerrors.IsNotFound(err) {
				return "", errors.Errorf(errNoSecret, ref.Namespace, ref.Name, what, key)
			}
			return "", errors.Wrapf(err, errGetSecret, ref.Namespace, ref.Name, what)
		}
		v, ok := s.Data[key]
		if !ok || len(v) == 0 {
			return "", errors.Errorf(errNoKey, ref.Namespace, ref.Name, what, key)
		}
		return string(v), nil
	}

	var st Store
	switch {
	case p.S3 != nil:
		ak, err := secret(p.S3.CredentialsSecretRef, KeyAccessKeyID)
		if err != nil {
			return Store{}, err
		}
		sk, err := secret(p.S3.CredentialsSecretRef, KeySecretAccessKey)
		if err != nil {
			return Store{}, err
		}
		st.Repo = pgbackrest.Repo{
			Type: pgbackrest.RepoS3,
			Path: p.S3.Prefix,
			S3: &pgbackrest.S3{
				Endpoint:  p.S3.Endpoint,
				Port:      p.S3.Port,
				Bucket:    p.S3.Bucket,
				Region:    p.S3.Region,
				URIStyle:  string(p.S3.URIStyle),
				AccessKey: ak,
				SecretKey: sk,
			},
		}
		if ref := p.S3.CASecretRef; ref != nil {
			ca, err := secret(ref.SecretReference, ref.Key)
			if err != nil {
				return Store{}, err
			}
			st.CA = []byte(ca)
		}
	case p.Posix != nil:
		dir, err := PosixPath(backupRoot, posixDir, p.Posix.Directory)
		if err != nil {
			return Store{}, err
		}
		st.Repo = pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: dir}
	default:
		return Store{}, errors.Errorf(errNoKind, what)
	}

	if e := p.Encryption; e != nil {
		pass, err := secret(e.PassphraseSecretRef.SecretReference, e.PassphraseSecretRef.Key)
		if err != nil {
			return Store{}, err
		}
		st.Repo.CipherPass = pass
	}
	st.Repo.Retention = Retention(p.Retention)
	st.Repo.Compress = string(p.Compression)
	return st, nil
}

// Retention maps a store's or an instance's retention onto pgBackRest's.
func Retention(r *common.BackupRetention) pgbackrest.Retention {
	var out pgbackrest.Retention
	if r == nil {
		return out
	}
	switch {
	case r.FullCount != nil:
		out.Full, out.FullType = *r.FullCount, pgbackrest.RetentionCount
	case r.FullDays != nil:
		out.Full, out.FullType = *r.FullDays, pgbackrest.RetentionTime
	}
	if r.DiffCount != nil {
		out.Diff = *r.DiffCount
	}
	return out
}

// PosixPath is a posix store's directory on the machines: the backup root,
// then the namespace, then the store's directory, checked to stay below
// the root whatever the names hold.
func PosixPath(backupRoot, ns, dir string) (string, error) {
	if !path.IsAbs(backupRoot) || path.Clean(backupRoot) != backupRoot {
		return "", errors.Errorf(errBackupRoot, backupRoot)
	}
	for _, part := range []string{ns, dir} {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, "/\x00") {
			return "", errors.Errorf("%q cannot be a directory name below the backup root", part)
		}
	}
	return path.Join(backupRoot, ns, dir), nil
}

// Stanza is the name of an instance's backups in a store:
// <namespace>.<instance>. A namespace's name holds no dot, so two
// instances of different namespaces never share a stanza.
func Stanza(ns, instance string) (string, error) {
	s := ns + "." + instance
	if err := pgbackrest.ValidateStanza(s); err != nil {
		return "", errors.Wrapf(err, errStanza, ns, instance)
	}
	return s, nil
}
