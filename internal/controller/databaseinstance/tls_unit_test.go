package databaseinstance

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
)

func TestServerCertificate(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.SchemeBuilder.AddToScheme(s)
	ctx := context.Background()
	cr := &v1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg", UID: "uid-1"}}
	kube := fake.NewClientBuilder().WithScheme(s).Build()
	c := &connector{kube: kube}
	get := func() *corev1.Secret {
		sec := &corev1.Secret{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "pg-tls"}, sec); err != nil {
			t.Fatal(err)
		}
		return sec
	}

	first, err := c.serverCertificate(ctx, cr, nil, certHosts("10.0.0.5"))
	if err != nil {
		t.Fatal(err)
	}
	sec := get()
	if !ownedBy(sec, cr) {
		t.Error("the TLS Secret is not owned by the instance, so it would outlive it")
	}
	if !pki.Current(first.ca, first.server, []string{"10.0.0.5", "127.0.0.1", "localhost"}, time.Now()) {
		t.Error("the server certificate does not name the member's address and loopback")
	}

	again, err := c.serverCertificate(ctx, cr, nil, certHosts("10.0.0.5"))
	if err != nil {
		t.Fatal(err)
	}
	if string(again.server.Cert) != string(first.server.Cert) || string(again.ca) != string(first.ca) {
		t.Error("a certificate that still names every host was issued again: the play would rewrite it on every reconcile")
	}

	moved, err := c.serverCertificate(ctx, cr, nil, certHosts("10.0.0.6"))
	if err != nil {
		t.Fatal(err)
	}
	if string(moved.server.Cert) == string(first.server.Cert) || string(moved.ca) != string(first.ca) {
		t.Error("a member at a new address needs a new certificate from the same CA")
	}
	if !pki.Current(moved.ca, moved.server, []string{"10.0.0.6"}, time.Now()) {
		t.Error("the new certificate does not name the new address")
	}

	// A Secret of that name that the instance does not own is someone
	// else's: left alone, and the instance says what to change.
	other := &v1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg", UID: "uid-2"}}
	_, err = c.serverCertificate(ctx, other, nil, certHosts("10.0.0.5"))
	if err == nil || !strings.Contains(err.Error(), "is not owned by this instance") {
		t.Errorf("another instance's TLS Secret: err = %v, want a refusal", err)
	}
	if string(get().Data[pki.KeyCACert]) != string(first.ca) {
		t.Error("the refused attempt changed the Secret")
	}
}
