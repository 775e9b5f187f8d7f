package databaseinstance

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

const (
	errGetConnSecret = "cannot read the connection secret %s"
	errAuthCheck     = "cannot check the admin password on the primary"
	errRotate        = "cannot give the admin user the password of Secret %s"
)

// publishedPassword is the admin password in the instance's connection
// secret: the one the provider last published, and so, until a changed
// admin password Secret is applied, the one the server still takes. Empty
// when the instance publishes no secret or has not yet.
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

// A credential says which admin password Observe uses, and whether the
// server is to be given the Secret's.
type credential struct {
	// useWanted: the server takes the Secret's password.
	useWanted bool
	// usePublished: the server still takes the published password only;
	// Observe uses it and Update sets the Secret's.
	usePublished bool
}

// chooseCredential decides from what the server accepted. When the
// Secret's password works nothing is to be done; when only the published
// one works the Secret changed and the server is to follow it; when
// neither works (or the server could not be asked) the Secret's is used
// and the server reports not ready, as before.
func chooseCredential(wantedWorks, publishedWorks bool, wanted, published string) credential {
	switch {
	case wantedWorks:
		return credential{useWanted: true}
	case published != "" && published != wanted && publishedWorks:
		return credential{usePublished: true}
	default:
		return credential{useWanted: true}
	}
}

// resolvePassword has Observe use an admin password the primary takes:
// the Secret's, or, when the Secret changed since it was applied, the
// published one, keeping the Secret's in pendingPassword for Update. A
// primary that is down or not running is not asked.
func (e *external) resolvePassword(ctx context.Context) error {
	if e.primaryMember().off != "" || e.primaryMember().inst == nil || !running(ctx, e.primaryMember().inst) || e.published == "" || e.published == e.password {
		return nil
	}
	wantedWorks, err := e.primaryMember().inst.Authenticates(ctx, e.password)
	if err != nil {
		// Starting or refusing connections: Status says so.
		return nil //nolint:nilerr // Not ready is a state, not an error.
	}
	publishedWorks := false
	if !wantedWorks {
		if publishedWorks, err = e.primaryMember().inst.Authenticates(ctx, e.published); err != nil {
			return errors.Wrap(err, errAuthCheck)
		}
	}
	if chooseCredential(wantedWorks, publishedWorks, e.password, e.published).usePublished {
		e.pendingPassword, e.password = e.password, e.published
	}
	return nil
}

// rotatePassword gives the admin user the Secret's password, logging in
// with the one that still works, and uses the new one from then on.
func (e *external) rotatePassword(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	if e.pendingPassword == "" {
		return nil
	}
	if err := e.primaryMember().inst.SetAdminPassword(ctx, e.password, e.pendingPassword); err != nil {
		return errors.Wrapf(err, errRotate, cr.Spec.ForProvider.AdminPasswordSecretRef.Name)
	}
	e.password, e.pendingPassword = e.pendingPassword, ""
	return nil
}
