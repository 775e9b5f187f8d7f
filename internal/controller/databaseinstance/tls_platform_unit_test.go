package databaseinstance

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
)

// platformCASecret is the platform's CA as a cert-manager CA Issuer keeps
// it: tls.crt and tls.key in a Secret of the platform's namespace.
func platformCASecret(t *testing.T, ns, name string) (*corev1.Secret, pki.Pair) {
	t.Helper()
	ca, err := pki.NewCA("platform CA "+name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: ca.Cert, corev1.TLSPrivateKeyKey: ca.Key},
	}, ca
}

// instanceTLSConfig is a ClusterProviderConfig's spec that names the
// platform's CA in Secret ns/name.
func instanceTLSConfig(ns, name string) *apisv1alpha1.ProviderConfigSpec {
	return &apisv1alpha1.ProviderConfigSpec{
		Backend:     apisv1alpha1.BackendLocal,
		InstanceTLS: &apisv1alpha1.InstanceTLS{CASecretRef: xpv2.SecretReference{Namespace: ns, Name: name}},
	}
}

// checkNoPlatformKey fails when the instance's TLS Secret holds the
// platform CA's key, under any key name, or a CA key at all.
func checkNoPlatformKey(t *testing.T, s *corev1.Secret, platformKey []byte) {
	t.Helper()
	if _, ok := s.Data[pki.KeyCAKey]; ok {
		t.Errorf("the instance's TLS Secret holds %s while the platform's CA signs", pki.KeyCAKey)
	}
	for k, v := range s.Data {
		if bytes.Equal(v, platformKey) {
			t.Errorf("the instance's TLS Secret holds the platform CA's private key under %s", k)
		}
	}
}

func TestServerCertificatePlatformCA(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.SchemeBuilder.AddToScheme(s)
	ctx := context.Background()
	hosts := certHosts("10.0.0.5")
	cr := &v1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "pg", UID: "uid-1"}}
	caSecret, platform := platformCASecret(t, "platform", "instance-ca")
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(caSecret).Build()
	c := &connector{kube: kube}
	pc := instanceTLSConfig("platform", "instance-ca")
	get := func() *corev1.Secret {
		sec := &corev1.Secret{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: "team-a", Name: "pg-tls"}, sec); err != nil {
			t.Fatal(err)
		}
		return sec
	}

	// The instance starts on its own CA, then moves to the platform's.
	own, err := c.serverCertificate(ctx, cr, nil, hosts)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := c.serverCertificate(ctx, cr, pc, hosts)
	if err != nil {
		t.Fatal(err)
	}
	sec := get()
	if !bytes.Equal(signed.ca, platform.Cert) || !bytes.Equal(sec.Data[pki.KeyCACert], platform.Cert) {
		t.Error("with the platform's CA, the TLS Secret's ca.crt is not the platform CA's certificate")
	}
	if bytes.Equal(signed.server.Cert, own.server.Cert) || !pki.Current(platform.Cert, signed.server, hosts, time.Now()) {
		t.Error("moving to the platform's CA did not issue a certificate the platform's CA signed")
	}
	if pki.Current(own.ca, signed.server, hosts, time.Now()) {
		t.Error("the certificate the platform's CA signed verifies against the instance's former CA")
	}
	if !bytes.Equal(sec.Data[pki.KeyServerCert], signed.server.Cert) || !bytes.Equal(sec.Data[pki.KeyServerKey], signed.server.Key) {
		t.Error("the TLS Secret does not hold the server certificate and key the members serve")
	}
	checkNoPlatformKey(t, sec, platform.Key)

	again, err := c.serverCertificate(ctx, cr, pc, hosts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.server.Cert, signed.server.Cert) {
		t.Error("a certificate the platform's CA signed and that names every host was issued again")
	}

	// The platform rotates its CA: a new certificate, from the new CA only.
	rotated, err := pki.NewCA("platform CA, rotated", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	caSecret.Data = map[string][]byte{corev1.TLSCertKey: rotated.Cert, corev1.TLSPrivateKeyKey: rotated.Key}
	if err := kube.Update(ctx, caSecret); err != nil {
		t.Fatal(err)
	}
	renewed, err := c.serverCertificate(ctx, cr, pc, hosts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(renewed.ca, rotated.Cert) || !pki.Current(rotated.Cert, renewed.server, hosts, time.Now()) {
		t.Error("after the platform's CA rotated, the certificate is not one the new CA signed")
	}
	if pki.Current(platform.Cert, renewed.server, hosts, time.Now()) {
		t.Error("after the platform's CA rotated, the certificate still verifies against the old CA")
	}
	checkNoPlatformKey(t, get(), rotated.Key)

	// Back to a CA of its own: the instance makes one, and its key is kept.
	back, err := c.serverCertificate(ctx, cr, nil, hosts)
	if err != nil {
		t.Fatal(err)
	}
	sec = get()
	if bytes.Equal(back.ca, rotated.Cert) || len(sec.Data[pki.KeyCAKey]) == 0 || bytes.Equal(sec.Data[pki.KeyCAKey], rotated.Key) {
		t.Error("moving off the platform's CA did not give the instance a CA of its own, kept in its Secret")
	}
	if !pki.Current(back.ca, back.server, hosts, time.Now()) || pki.Current(rotated.Cert, back.server, hosts, time.Now()) {
		t.Error("moving off the platform's CA did not issue a certificate from the instance's own CA")
	}
}

func TestServerCertificatePlatformCARefused(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.SchemeBuilder.AddToScheme(s)
	ctx := context.Background()
	now := time.Now()
	ca, err := pki.NewCA("platform CA", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := pki.IssueServer(ca, []string{"db.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	secret := func(name string, data map[string][]byte) client.Object {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "platform", Name: name}, Data: data}
	}
	cases := map[string]struct {
		reason string
		ref    string
		want   string
	}{
		"Missing": {
			reason: "a CA Secret that does not exist is named in the error",
			ref:    "absent",
			want:   "cannot get the platform's CA Secret platform/absent",
		},
		"NoKey": {
			reason: "a CA Secret without a key cannot sign",
			ref:    "cert-only",
			want:   "lacks tls.crt or tls.key",
		},
		"NotACA": {
			reason: "a Secret with a server's certificate, not a CA's, signs nothing",
			ref:    "leaf",
			want:   "is not a CA's",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(
				secret("cert-only", map[string][]byte{corev1.TLSCertKey: ca.Cert}),
				secret("leaf", map[string][]byte{corev1.TLSCertKey: leaf.Cert, corev1.TLSPrivateKeyKey: leaf.Key}),
			).Build()
			c := &connector{kube: kube}
			cr := &v1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "pg", UID: "uid-1"}}
			_, err := c.serverCertificate(ctx, cr, instanceTLSConfig("platform", tc.ref), certHosts("10.0.0.5"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err = %v, want one saying %q", tc.reason, err, tc.want)
			}
			// Nothing was written: the members keep what they serve.
			if err := kube.Get(ctx, types.NamespacedName{Namespace: "team-a", Name: "pg-tls"}, &corev1.Secret{}); err == nil {
				t.Errorf("%s: a TLS Secret was written although no certificate could be issued", tc.reason)
			}
		})
	}
}
