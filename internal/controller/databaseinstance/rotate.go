package databaseinstance

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errGetConnSecret = "cannot read the connection secret %s"
	errObserveRoles  = "cannot read the provider's roles on the primary"
	errRotate        = "cannot give the provider's roles the passwords of Secret %s"

	// rolesMissing is why an instance whose roles are not made yet is
	// not Ready: the connection secret names dbaas_admin.
	rolesMissing = "the provider's roles (" + pgroles.Admin + ") are not made yet"
)

// publishedPassword is the password in the instance's connection secret:
// the one the provider last published, and so, until a changed admin
// password Secret is applied, the one dbaas_admin still has. Empty when the
// instance publishes no secret or has not yet.
func (c *connector) publishedPassword(ctx context.Context, cr *v1alpha1.DatabaseInstance) (string, error) {
	ref := cr.Spec.WriteConnectionSecretToReference
	if ref == nil {
		return "", nil
	}
	s := &corev1.Secret{}
	if err := c.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}, s); err != nil {
		if kerrors.IsNotFound(err) {
			return "", nil
		}
		return "", errors.Wrapf(err, errGetConnSecret, ref.Name)
	}
	return string(s.Data[ConnectionPassword]), nil
}

// observeRoles reads the provider's roles on a primary that answered:
// whether they are made (the instance is Ready only then) and whether they
// have the passwords the admin password Secret gives them. Roles that are
// there with other passwords mean the Secret changed: Update gives them
// the new ones, and until it did, the connection secret keeps the password
// dbaas_admin still has.
// read is what the primary's look already read of them, if it did; they
// are asked for on their own otherwise.
func (e *external) observeRoles(ctx context.Context, read *postgresql.RolesState) (missing bool, err error) {
	if read == nil {
		s, err := e.primaryMember().inst.ObserveRoles(ctx, e.password)
		if err != nil {
			return false, errors.Wrap(err, errObserveRoles)
		}
		read = &s
	}
	e.rolesStale = !read.Current
	return read.Missing, nil
}

// ensureRoles makes the provider's roles on the primary, or gives them the
// admin password Secret's passwords, and publishes dbaas_admin's from then
// on. The superuser's session is over the unix socket, so no password is
// needed to change any of them.
func (e *external) ensureRoles(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	if err := e.primaryMember().inst.EnsureRoles(ctx, e.password); err != nil {
		return errors.Wrapf(err, errRotate, cr.Spec.ForProvider.AdminPasswordSecretRef.Name)
	}
	e.rolesStale = false
	return nil
}

// connectionPassword is dbaas_admin's password as the connection secret
// publishes it: the one derived from the admin password Secret, or, while
// the roles still have the passwords of the Secret before it changed, the
// one published then, which still works.
func (e *external) connectionPassword() string {
	if e.rolesStale && e.published != "" {
		return e.published
	}
	return pgroles.Password(e.password, pgroles.Admin)
}
