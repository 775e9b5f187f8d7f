package databaseinstance

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestTLSPlatformCA: an instance on a ClusterProviderConfig that names the
// platform's CA is served with a certificate that CA signed, which a client
// trusting that CA alone verifies; the CA's key never reaches the
// instance's namespace; the instance moves from its own CA to the
// platform's, and to the platform's next CA when it rotates, each time with
// a reload, not a restart.
func TestTLSPlatformCA(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-tls-platform")
	startManager(t, env, hooks{})
	caSecret, platform := createPlatformCA(t, c, "di-tls-platform-ca")

	// The instance starts on a CA of its own.
	di := f.instance("pg", 20)
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	own := f.tlsSecret(t, di).Data[pki.KeyCACert]
	pid := f.postmasterPID(t, di)
	if pid == 0 {
		t.Fatal("no postmaster runs for the instance")
	}

	// The platform team names its CA on the ClusterProviderConfig.
	usePlatformCA(t, c, f.ns, caSecret)
	f.waitSignedBy(t, di, "the server presents a certificate the platform's CA signed", platform.Cert)
	f.checkRefused(t, di, own, "the instance's former CA")
	f.rotatePlatformCA(t, di, caSecret, platform)
	if got := f.postmasterPID(t, di); got != pid {
		t.Errorf("the server's PID went from %d to %d: a new certificate restarted it, want a reload", pid, got)
	}
	f.waitReady(t, di)
}

// TestTLSPlatformCAOverSSH: the same for an instance the play makes over
// SSH, as on every VM, on the platform's CA from its start.
func TestTLSPlatformCAOverSSH(t *testing.T) {
	t.Parallel()
	needRoot(t)
	env := testenv.Shared(t)
	c := env.Client
	f := newSSHFixture(t, env, "di-ssh-tls-platform")
	startSSHManager(t, env)
	caSecret, platform := createPlatformCA(t, c, "di-ssh-tls-platform-ca")
	usePlatformCA(t, c, f.ns+"-"+pcGood, caSecret)

	vm := f.machine(t, "vm", pcGood)
	di := f.sshInstance(t, "pg", "vm", pcGood)
	f.waitReady(t, di)
	f.waitSignedBy(t, di, "the server presents a certificate the platform's CA signed", platform.Cert)
	data := sshDataDir(vm, f.ns, "pg")
	pid := postmasterIn(data)
	if pid == 0 {
		t.Fatal("no postmaster runs for the instance")
	}
	f.rotatePlatformCA(t, di, caSecret, platform)
	if got := postmasterIn(data); got != pid {
		t.Errorf("the server's PID went from %d to %d: a new certificate restarted it, want a reload", pid, got)
	}
	f.waitReady(t, di)
}

// createPlatformCA makes the platform's CA in a namespace of its own, as
// cert-manager's CA Issuer keeps it.
func createPlatformCA(t *testing.T, c client.Client, ns string) (*corev1.Secret, pki.Pair) {
	t.Helper()
	ctx := context.Background()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	ca, err := pki.NewCA("platform CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "instance-ca"},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: ca.Cert, corev1.TLSPrivateKeyKey: ca.Key},
	}
	if err := c.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s, ca
}

// usePlatformCA names the CA in caSecret on the ClusterProviderConfig name.
func usePlatformCA(t *testing.T, c client.Client, name string, caSecret *corev1.Secret) {
	t.Helper()
	cpc := &apisv1alpha1.ClusterProviderConfig{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: name}, cpc); err != nil {
		t.Fatal(err)
	}
	patch(t, c, cpc, func(p *apisv1alpha1.ClusterProviderConfig) {
		p.Spec.InstanceTLS = &apisv1alpha1.InstanceTLS{CASecretRef: xpv2.SecretReference{Namespace: caSecret.Namespace, Name: caSecret.Name}}
	})
}

// waitSignedBy waits until the server presents a certificate caPEM signed,
// the TLS Secret and the connection secret carry caPEM, and a client that
// trusts caPEM alone logs in with verify-full. Then no Secret of the
// instance's namespace holds a CA key.
func (f *fixture) waitSignedBy(t *testing.T, di *v1alpha1.DatabaseInstance, what string, caPEM []byte) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	wait.For(t, timeout, what, func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		got, err := presentedCertificate(address(di))
		if err != nil {
			return false, err.Error()
		}
		if err := signedBy(got, caPEM, di.Status.AtProvider.Endpoint); err != nil {
			return false, "the server presents serial " + got.SerialNumber.String() + ": " + err.Error()
		}
		conn := &corev1.Secret{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: di.Name + "-conn"}, conn); err != nil {
			return false, err.Error()
		}
		if !bytes.Equal(conn.Data[pki.KeyCACert], caPEM) || !bytes.Equal(f.tlsSecret(t, di).Data[pki.KeyCACert], caPEM) {
			return false, "the connection secret or the TLS Secret does not carry the CA yet"
		}
		if err := loginWithOnly(ctx, conn, di, caPEM); err != nil {
			return false, "verify-full trusting only the CA: " + err.Error()
		}
		return true, ""
	})
	checkNoCAKeyInNamespace(t, c, f.ns)
}

// checkRefused checks that a client trusting only caPEM, named what, is
// refused by certificate verification.
func (f *fixture) checkRefused(t *testing.T, di *v1alpha1.DatabaseInstance, caPEM []byte, what string) {
	t.Helper()
	conn := &corev1.Secret{}
	if err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: di.Name + "-conn"}, conn); err != nil {
		t.Fatal(err)
	}
	if err := loginWithOnly(context.Background(), conn, di, caPEM); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client trusting only %s: err = %v, want a certificate verification error", what, err)
	}
}

// rotatePlatformCA replaces the platform's CA in caSecret, signed by old so
// far, with a new one, and checks that the instance is served with the new
// CA's certificate and that a client trusting only the old one is refused.
// It returns the new CA.
func (f *fixture) rotatePlatformCA(t *testing.T, di *v1alpha1.DatabaseInstance, caSecret *corev1.Secret, old pki.Pair) pki.Pair {
	t.Helper()
	rotated, err := pki.NewCA("platform CA, rotated", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	patch(t, f.env.Client, caSecret, func(s *corev1.Secret) {
		s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey] = rotated.Cert, rotated.Key
	})
	f.waitSignedBy(t, di, "the server presents a certificate the rotated CA signed", rotated.Cert)
	f.checkRefused(t, di, old.Cert, "the platform's former CA")
	checkNoPlatformKeyInNamespace(t, f.env.Client, f.ns, old.Key)
	checkNoPlatformKeyInNamespace(t, f.env.Client, f.ns, rotated.Key)
	return rotated
}

// checkNoPlatformKeyInNamespace fails when any Secret of the team's
// namespace holds the platform CA's private key, under any key name.
func checkNoPlatformKeyInNamespace(t *testing.T, c client.Client, ns string, key []byte) {
	t.Helper()
	for _, s := range secretsOf(t, c, ns) {
		for k, v := range s.Data {
			if bytes.Contains(v, key) {
				t.Errorf("Secret %s/%s holds the platform CA's private key in %s", ns, s.Name, k)
			}
		}
	}
}

// checkNoCAKeyInNamespace fails when a Secret of the team's namespace holds
// a CA key, which with the platform's CA none should.
func checkNoCAKeyInNamespace(t *testing.T, c client.Client, ns string) {
	t.Helper()
	for _, s := range secretsOf(t, c, ns) {
		if _, ok := s.Data[pki.KeyCAKey]; ok {
			t.Errorf("Secret %s/%s holds %s while the platform's CA signs", ns, s.Name, pki.KeyCAKey)
		}
	}
}

func secretsOf(t *testing.T, c client.Client, ns string) []corev1.Secret {
	t.Helper()
	var l corev1.SecretList
	if err := c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// platformCA turns failover on (after failoverAfterForTests) and moves
// the primary with two replicas to the platform's CA and through its
// rotation with every member reloaded, none restarted, and no failover:
// while the provider's client trusts the new CA and a member still serves
// the old one, the member does not answer it, which must not count as the
// primary being down for good. It is a step of TestFailover, after the
// Disabled step and before the first failover.
func (r *failoverRig) platformCA(t *testing.T) {
	needRoot(t)
	f, di := r.fixture, r.di
	c := f.env.Client
	patch(t, c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Failover.Enabled = nil })
	f.waitReady(t, di)
	if di.Status.AtProvider.Primary != "vm" || di.Status.AtProvider.LastFailoverTime != nil {
		t.Fatalf("want the primary on vm and no failover before the step, got %q, last failover %v", di.Status.AtProvider.Primary, di.Status.AtProvider.LastFailoverTime)
	}
	caSecret, platform := createPlatformCA(t, c, f.ns+"-ca")
	members := []string{"vm", "vm-1", "vm-2"}
	pids := map[string]int{}
	for _, vm := range members {
		if pids[vm] = postmasterIn(filepath.Join(f.memberDir(t, vm, di.Name), "data")); pids[vm] == 0 {
			t.Fatalf("no postmaster runs for the member on %s", vm)
		}
	}
	// waitMembers waits until every member presents a certificate caPEM
	// signed.
	waitMembers := func(what string, caPEM []byte) {
		t.Helper()
		wait.For(t, timeout, what, func() (bool, string) {
			for _, ro := range append([]string{address(di)}, f.readOnlyEndpoints(t, di)...) {
				got, err := presentedCertificate(ro)
				if err != nil {
					return false, ro + ": " + err.Error()
				}
				if err := signedBy(got, caPEM, di.Status.AtProvider.Endpoint); err != nil {
					return false, ro + ": " + err.Error()
				}
			}
			return true, ""
		})
	}

	usePlatformCA(t, c, f.ns, caSecret)
	f.waitSignedBy(t, di, "the primary presents a certificate the platform's CA signed", platform.Cert)
	waitMembers("every member presents a certificate the platform's CA signed", platform.Cert)
	rotated := f.rotatePlatformCA(t, di, caSecret, platform)
	waitMembers("every member presents a certificate the rotated CA signed", rotated.Cert)
	f.waitReady(t, di)

	if err := c.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	if di.Status.AtProvider.Primary != "vm" || di.Status.AtProvider.LastFailoverTime != nil {
		t.Errorf("the primary is %q, last failover %v: a new certificate made the provider fail over", di.Status.AtProvider.Primary, di.Status.AtProvider.LastFailoverTime)
	}
	for _, vm := range members {
		if got := postmasterIn(filepath.Join(f.memberDir(t, vm, di.Name), "data")); got != pids[vm] {
			t.Errorf("the member on %s went from PID %d to %d: a new certificate restarted it, want a reload", vm, pids[vm], got)
		}
	}
}
