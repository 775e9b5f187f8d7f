// Package backupstore turns a BackupStore (ops.dbaas.io) into the
// pgBackRest repository its instances archive and back up into: it reads
// the store's Secrets, which must be in the store's own namespace, and
// places a posix store below the provider's backup root and the
// namespace, so a namespace never chooses where root writes.
package backupstore

import (
	"context"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	errGetStore   = "cannot get BackupStore %s/%s"
	errGetSecret  = "cannot get Secret %s/%s of BackupStore %s"
	errNoKey      = "Secret %s/%s of BackupStore %s has no key %q"
	errNoKind     = "BackupStore %s sets neither s3 nor posix"
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
)

// A Store is a BackupStore resolved for pgBackRest.
type Store struct {
	// Repo is the repository, with its credentials and passphrase. For an
	// S3 store with a CA, Repo.S3.CAFile is empty: the CA's file is placed
	// on each machine by whoever writes pgbackrest.conf there.
	Repo pgbackrest.Repo
	// CA is the PEM CA certificate the S3 endpoint is verified against,
	// or nil for the machines' trusted CAs.
	CA []byte
}

// Resolve reads the BackupStore name in namespace ns and its Secrets.
// backupRoot is the provider's root of posix stores.
func Resolve(ctx context.Context, kube client.Reader, ns, name, backupRoot string) (Store, error) {
	bs := &opsv1alpha1.BackupStore{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, bs); err != nil {
		return Store{}, errors.Wrapf(err, errGetStore, ns, name)
	}
	return FromSpec(ctx, kube, bs, backupRoot)
}

// FromSpec resolves bs, whose Secrets are read from its own namespace only.
func FromSpec(ctx context.Context, kube client.Reader, bs *opsv1alpha1.BackupStore, backupRoot string) (Store, error) {
	p := bs.Spec.ForProvider
	secret := func(ref, key string) (string, error) {
		s := &corev1.Secret{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: bs.Namespace, Name: ref}, s); err != nil {
			return "", errors.Wrapf(err, errGetSecret, bs.Namespace, ref, bs.Name)
		}
		v, ok := s.Data[key]
		if !ok || len(v) == 0 {
			return "", errors.Errorf(errNoKey, bs.Namespace, ref, bs.Name, key)
		}
		return string(v), nil
	}

	var st Store
	switch {
	case p.S3 != nil:
		ak, err := secret(p.S3.CredentialsSecretRef.Name, KeyAccessKeyID)
		if err != nil {
			return Store{}, err
		}
		sk, err := secret(p.S3.CredentialsSecretRef.Name, KeySecretAccessKey)
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
			ca, err := secret(ref.Name, ref.Key)
			if err != nil {
				return Store{}, err
			}
			st.CA = []byte(ca)
		}
	case p.Posix != nil:
		dir, err := PosixPath(backupRoot, bs.Namespace, p.Posix.Directory)
		if err != nil {
			return Store{}, err
		}
		st.Repo = pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: dir}
	default:
		return Store{}, errors.Errorf(errNoKind, bs.Name)
	}

	if e := p.Encryption; e != nil {
		pass, err := secret(e.PassphraseSecretRef.Name, e.PassphraseSecretRef.Key)
		if err != nil {
			return Store{}, err
		}
		st.Repo.CipherPass = pass
	}
	st.Repo.Retention = retention(p.Retention)
	st.Repo.Compress = string(p.Compression)
	return st, nil
}

// retention maps the store's retention onto pgBackRest's.
func retention(r *opsv1alpha1.StoreRetention) pgbackrest.Retention {
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
