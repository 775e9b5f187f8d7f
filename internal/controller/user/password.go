package user

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/password"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
)

const (
	errGetPasswordSecret   = "cannot get the password Secret"
	errNoPasswordKey       = "the password Secret %s has no key %q"
	errGetConnectionSecret = "cannot get the connection Secret"
)

// passwords finds a User's password. A password from passwordSecretRef is
// the user's to change. A generated one lives only in the User's connection
// secret, and is read back from there so that it never changes by accident
// across reconciles or provider restarts.
type passwords struct {
	// kube must read through to the API server: a cache that has not yet
	// seen a just-published connection secret would make a new password.
	kube client.Reader
}

// known returns the password the role should have, or "" when it is to be
// generated or was lost.
func (p *passwords) known(ctx context.Context, cr *v1alpha1.User) (string, error) {
	if ref := cr.Spec.ForProvider.PasswordSecretRef; ref != nil {
		s := &corev1.Secret{}
		if err := p.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}, s); err != nil {
			return "", errors.Wrap(err, errGetPasswordSecret)
		}
		pw, ok := s.Data[ref.Key]
		if !ok || len(pw) == 0 {
			return "", errors.Errorf(errNoPasswordKey, ref.Name, ref.Key)
		}
		return string(pw), nil
	}
	ref := cr.GetWriteConnectionSecretToReference()
	if ref == nil {
		return "", nil
	}
	s := &corev1.Secret{}
	err := p.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}, s)
	if kerrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", errors.Wrap(err, errGetConnectionSecret)
	}
	// Only a Secret this User controls holds its password; the publisher
	// refuses to write to any other.
	if !metav1.IsControlledBy(s, cr) {
		return "", nil
	}
	return string(s.Data[keyPassword]), nil
}

// canKeepGenerated says whether a generated password has somewhere to live.
func (p *passwords) canKeepGenerated(cr *v1alpha1.User) bool {
	return cr.Spec.ForProvider.PasswordSecretRef == nil && cr.GetWriteConnectionSecretToReference() != nil
}

func (p *passwords) generate() (string, error) {
	pw, err := password.Generate()
	return pw, errors.Wrap(err, errGenerate)
}
