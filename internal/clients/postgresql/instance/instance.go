// Package instance finds how to reach the PostgreSQL server of a
// DatabaseInstance as its admin, from the DatabaseInstance object and its
// admin Secret alone, so that SQL controllers need no other controller's code.
package instance

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

const (
	errNoInstance     = "no DatabaseInstance is named"
	errGetInstance    = "cannot get DatabaseInstance"
	errNotReady       = "DatabaseInstance %s is not ready yet"
	errNotPostgreSQL  = "DatabaseInstance %s does not run PostgreSQL"
	errGetAdminSecret = "cannot get the admin password Secret of DatabaseInstance"
	errNoAdminKey     = "the admin password Secret of DatabaseInstance %s has no key %q"
	errGetTLSSecret   = "cannot get the TLS Secret %s of DatabaseInstance %s, which holds the CA its server certificate is verified with"
	errNoCA           = "the TLS Secret %s of DatabaseInstance %s has no %q"
)

// ErrGone is returned when the DatabaseInstance does not exist (any more).
var ErrGone = errors.New("the DatabaseInstance does not exist")

// Config returns the admin connection to the DatabaseInstance name in
// namespace: pgroles.Admin, with the password derived from the admin
// password Secret, over TCP with TLS. The superuser is never used over
// TCP; what only it may do (untrusted extensions) goes through the
// instance's functions (pgroles.CreateExtension). It fails until the instance is Ready, so that SQL objects wait
// for their server instead of failing against a half-started one.
func Config(ctx context.Context, kube client.Reader, namespace, name string) (postgresql.Config, error) {
	if name == "" {
		return postgresql.Config{}, errors.New(errNoInstance)
	}
	di := &enginev1alpha1.DatabaseInstance{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, di); err != nil {
		if kerrors.IsNotFound(err) {
			return postgresql.Config{}, ErrGone
		}
		return postgresql.Config{}, errors.Wrap(err, errGetInstance)
	}
	if e := di.Spec.ForProvider.Engine; e != "" && e != enginev1alpha1.EnginePostgreSQL {
		return postgresql.Config{}, errors.Errorf(errNotPostgreSQL, name)
	}
	obs := di.Status.AtProvider
	if di.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue || obs.Endpoint == "" || obs.Port == 0 {
		return postgresql.Config{}, errors.Errorf(errNotReady, name)
	}
	ref := di.Spec.ForProvider.AdminPasswordSecretRef
	s := &corev1.Secret{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, s); err != nil {
		return postgresql.Config{}, errors.Wrap(err, errGetAdminSecret)
	}
	pw, ok := s.Data[ref.Key]
	if !ok {
		return postgresql.Config{}, errors.Errorf(errNoAdminKey, name, ref.Key)
	}
	// The server is verified against the instance's own CA, never reached
	// in plain text: its certificate names the endpoint, so verify-full.
	ts := &corev1.Secret{}
	tn := TLSSecretName(name)
	if err := kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: tn}, ts); err != nil {
		return postgresql.Config{}, errors.Wrapf(err, errGetTLSSecret, tn, name)
	}
	if len(ts.Data[KeyCACert]) == 0 {
		return postgresql.Config{}, errors.Errorf(errNoCA, tn, name, KeyCACert)
	}
	return postgresql.Config{
		Host:     obs.Endpoint,
		Port:     int(obs.Port),
		User:     pgroles.Admin,
		Password: pgroles.Password(string(pw), pgroles.Admin),
		TLS:      dbms.TLS{Mode: dbms.TLSVerifyFull, CA: ts.Data[KeyCACert]},
	}, nil
}
