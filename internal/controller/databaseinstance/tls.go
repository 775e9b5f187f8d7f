package databaseinstance

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
)

const (
	errGetTLS      = "cannot get the TLS Secret %s"
	errTLSNotOwned = "Secret %s exists and is not owned by this instance; it cannot hold the instance's CA and server certificate: delete or rename it"
	errMakeCA      = "cannot make the instance's CA"
	errIssue       = "cannot issue the server certificate"
	errWriteTLS    = "cannot write the TLS Secret %s"
	errGetCA       = "cannot get the platform's CA Secret %s/%s, which the ClusterProviderConfig's spec.instanceTLS.caSecretRef names"
	errCAKeys      = "the platform's CA Secret %s/%s lacks %s or %s: it must hold the CA's PEM certificate and private key, as a cert-manager CA Issuer's Secret does"
	errIssueByCA   = "cannot issue the server certificate with the platform's CA in Secret %s/%s"

	// SSLModeVerifyFull is what the connection secret tells applications to
	// use: the server's certificate names the endpoint, IP addresses
	// included, so the strictest mode works.
	SSLModeVerifyFull = "verify-full"
)

// serverTLS is what the members serve TLS with: the CA's certificate and the
// server certificate and key it signed.
type serverTLS struct {
	ca     []byte
	server pki.Pair
}

// certHosts are the names the server certificate carries: the members'
// addresses, and loopback for clients on the member's own machine.
func certHosts(addresses ...string) []string {
	hosts := []string{}
	for _, h := range append(addresses, "127.0.0.1", "localhost") {
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// platformCA returns the CA that pc names to sign instances' certificates
// (spec.instanceTLS, a ClusterProviderConfig's only: Resolve refuses it on
// a ProviderConfig), or nil when it names none and each instance has a CA
// of its own. It is read on every connect, so a rotated CA is taken up by
// the next reconcile of each instance.
func (c *connector) platformCA(ctx context.Context, pc *apisv1alpha1.ProviderConfigSpec) (*pki.Pair, error) {
	if pc == nil || pc.InstanceTLS == nil {
		return nil, nil
	}
	ref := pc.InstanceTLS.CASecretRef
	s := &corev1.Secret{}
	if err := c.kube.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, s); err != nil {
		return nil, errors.Wrapf(err, errGetCA, ref.Namespace, ref.Name)
	}
	ca := &pki.Pair{Cert: s.Data[corev1.TLSCertKey], Key: s.Data[corev1.TLSPrivateKeyKey]}
	if len(ca.Cert) == 0 || len(ca.Key) == 0 {
		return nil, errors.Errorf(errCAKeys, ref.Namespace, ref.Name, corev1.TLSCertKey, corev1.TLSPrivateKeyKey)
	}
	return ca, nil
}

// serverCertificate returns the instance's CA and a server certificate for
// hosts, from the instance's TLS Secret. With a platform CA (pc's
// spec.instanceTLS) that CA signs, and the Secret holds its certificate but
// never its key, which stays in the platform's Secret. Without one the
// instance's own CA is made once, the first time, and kept in the Secret.
// The server certificate is issued again whenever it does not name every
// one of hosts, is about to expire, or the CA is another than the one that
// signed it: the platform's CA rotated, or the instance moved to or from
// it. The Secret is owned by the instance, so it goes with it; one of that
// name that the instance does not own is someone else's and left alone.
func (c *connector) serverCertificate(ctx context.Context, cr *v1alpha1.DatabaseInstance, pc *apisv1alpha1.ProviderConfigSpec, hosts []string) (serverTLS, error) {
	name := instance.TLSSecretName(cr.GetName())
	s := &corev1.Secret{}
	err := c.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: name}, s)
	if err != nil && !kerrors.IsNotFound(err) {
		return serverTLS{}, errors.Wrapf(err, errGetTLS, name)
	}
	exists := err == nil
	if exists && !ownedBy(s, cr) {
		return serverTLS{}, errors.Errorf(errTLSNotOwned, name)
	}
	platform, err := c.platformCA(ctx, pc)
	if err != nil {
		return serverTLS{}, err
	}
	now := time.Now()
	ca := pki.Pair{Cert: s.Data[instance.KeyCACert], Key: s.Data[pki.KeyCAKey]}
	srv := pki.Pair{Cert: s.Data[pki.KeyServerCert], Key: s.Data[pki.KeyServerKey]}
	changed := false
	switch {
	case platform != nil:
		ca = *platform
		changed = !bytes.Equal(s.Data[instance.KeyCACert], ca.Cert) || len(s.Data[pki.KeyCAKey]) != 0
	case len(ca.Cert) == 0 || len(ca.Key) == 0:
		// No CA yet, or the platform's, whose key the Secret never held:
		// the instance gets a CA of its own.
		if ca, err = pki.NewCA(cr.GetNamespace()+"/"+cr.GetName()+" DatabaseInstance CA", now); err != nil {
			return serverTLS{}, errors.Wrap(err, errMakeCA)
		}
		changed = true
	}
	if changed || !pki.Current(ca.Cert, srv, hosts, now) {
		if srv, err = pki.IssueServer(ca, hosts, now); err != nil {
			if platform != nil {
				ref := pc.InstanceTLS.CASecretRef
				return serverTLS{}, errors.Wrapf(err, errIssueByCA, ref.Namespace, ref.Name)
			}
			return serverTLS{}, errors.Wrap(err, errIssue)
		}
		changed = true
	}
	if !changed {
		return serverTLS{ca: ca.Cert, server: srv}, nil
	}
	if !exists {
		s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cr.GetNamespace(), Name: name}}
		meta.AddOwnerReference(s, meta.AsOwner(meta.TypedReferenceTo(cr, v1alpha1.DatabaseInstanceGroupVersionKind)))
	}
	s.Data = map[string][]byte{
		instance.KeyCACert: ca.Cert,
		pki.KeyServerCert:  srv.Cert, pki.KeyServerKey: srv.Key,
	}
	if platform == nil {
		s.Data[pki.KeyCAKey] = ca.Key
	}
	if !exists {
		err = c.kube.Create(ctx, s)
	} else {
		// An Update conflicts if someone else wrote the Secret meanwhile, so
		// two reconciles cannot each install a certificate of their own.
		err = c.kube.Update(ctx, s)
	}
	if err != nil {
		return serverTLS{}, errors.Wrapf(err, errWriteTLS, name)
	}
	return serverTLS{ca: ca.Cert, server: srv}, nil
}
