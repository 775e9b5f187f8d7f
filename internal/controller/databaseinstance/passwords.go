package databaseinstance

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/password"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

const (
	errGetSecret   = "cannot get password Secret %s"
	errNoPassword  = "admin password Secret %s has no key %q and autoGeneratePassword is false"
	errGenerate    = "cannot generate a password"
	errWriteSecret = "cannot write password Secret %s"
	errNotOwned    = "Secret %s exists and is not owned by this instance; it cannot hold the replication password"

	// replicationSecretSuffix names the Secret, owned by the instance, that
	// keeps the replication user's generated password.
	replicationSecretSuffix = "-replication"
	replicationSecretKey    = "password"
)

// adminPassword reads the admin password, generating it into the Secret
// when it is missing and autoGeneratePassword is set. The generated Secret
// is owned by the instance so that it goes with it.
func (c *connector) adminPassword(ctx context.Context, cr *v1alpha1.DatabaseInstance) (string, error) {
	ref := cr.Spec.ForProvider.AdminPasswordSecretRef
	pw, err := c.secretPassword(ctx, cr, ref.Name, ref.Key, cr.Spec.ForProvider.AutoGeneratePassword, false)
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", errors.Errorf(errNoPassword, ref.Name, ref.Key)
	}
	return pw, nil
}

// replicationPassword reads the replication user's password from the
// instance's own Secret, generating it the first time. Nobody needs to
// know it but the members, so the provider keeps it; a Secret of that name
// that the instance does not own is someone else's and left alone.
func (c *connector) replicationPassword(ctx context.Context, cr *v1alpha1.DatabaseInstance) (string, error) {
	return c.secretPassword(ctx, cr, cr.GetName()+replicationSecretSuffix, replicationSecretKey, true, true)
}

// secretPassword returns the password under key in the named Secret of the
// instance's namespace. When it is missing and generate is set, it
// generates one into the Secret, creating the Secret owned by the instance;
// otherwise it returns "". With mustOwn, a Secret not owned by the instance
// is an error.
func (c *connector) secretPassword(ctx context.Context, cr *v1alpha1.DatabaseInstance, name, key string, generate, mustOwn bool) (string, error) {
	nn := types.NamespacedName{Namespace: cr.GetNamespace(), Name: name}
	s := &corev1.Secret{}
	err := c.kube.Get(ctx, nn, s)
	if err != nil && !kerrors.IsNotFound(err) {
		return "", errors.Wrapf(err, errGetSecret, name)
	}
	exists := err == nil
	if exists && mustOwn && !ownedBy(s, cr) {
		return "", errors.Errorf(errNotOwned, name)
	}
	if pw, ok := s.Data[key]; exists && ok && len(pw) > 0 {
		return string(pw), nil
	}
	if !generate {
		return "", nil
	}
	pw, err := password.Generate()
	if err != nil {
		return "", errors.Wrap(err, errGenerate)
	}
	if !exists {
		s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: nn.Namespace, Name: nn.Name}}
		meta.AddOwnerReference(s, meta.AsOwner(meta.TypedReferenceTo(cr, v1alpha1.DatabaseInstanceGroupVersionKind)))
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	s.Data[key] = []byte(pw)
	if !exists {
		err = c.kube.Create(ctx, s)
	} else {
		// An Update conflicts if someone else wrote the Secret meanwhile,
		// so two writers cannot each believe their password won.
		err = c.kube.Update(ctx, s)
	}
	if err != nil {
		return "", errors.Wrapf(err, errWriteSecret, name)
	}
	return pw, nil
}

func ownedBy(s *corev1.Secret, cr *v1alpha1.DatabaseInstance) bool {
	for _, o := range s.GetOwnerReferences() {
		if o.UID == cr.GetUID() {
			return true
		}
	}
	return false
}
