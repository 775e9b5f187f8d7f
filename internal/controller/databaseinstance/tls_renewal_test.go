package databaseinstance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// presentedCertificate is the certificate the server at addr presents to a
// new TLS connection, read the way libpq starts one (an SSLRequest, then
// the handshake). It verifies nothing: callers check what it is.
func presentedCertificate(addr string) (*x509.Certificate, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	// Length 8, then the SSLRequest code 80877103.
	if _, err := c.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
		return nil, err
	}
	answer := make([]byte, 1)
	if _, err := io.ReadFull(c, answer); err != nil {
		return nil, err
	}
	if answer[0] != 'S' {
		return nil, fmt.Errorf("the server answered the SSLRequest with %q, want S", answer)
	}
	//nolint:gosec // The probe reads what the server presents; each test verifies it against the CA it expects.
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	return tc.ConnectionState().PeerCertificates[0], nil
}

// certificateOf parses a PEM certificate.
func certificateOf(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(p)
	if b == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signedBy reports whether caPEM signed cert for host, now.
func signedBy(cert *x509.Certificate, caPEM []byte, host string) error {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return errors.New("no CA certificate")
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// postmasterPID is the PID of the server running for the local instance's
// data directory on the fixture's machine, or 0.
func (f *fixture) postmasterPID(t *testing.T, di *v1alpha1.DatabaseInstance) int {
	t.Helper()
	return postmasterIn(filepath.Join(f.machineDir(t), "postgresql", di.Name, "data"))
}

// postmasterIn is the PID of the server running for data directory data,
// or 0.
func postmasterIn(data string) int {
	pid, err := local.ReadPID(filepath.Join(data, local.PIDFileName))
	if err != nil || !local.Alive(pid) || !local.BelongsTo(pid, data) {
		return 0
	}
	return pid
}

// tlsSecret is the instance's TLS Secret.
func (f *fixture) tlsSecret(t *testing.T, di *v1alpha1.DatabaseInstance) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: pki.SecretName(di.Name)}, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// address is where the instance's primary listens.
func address(di *v1alpha1.DatabaseInstance) string {
	return net.JoinHostPort(di.Status.AtProvider.Endpoint, fmt.Sprint(di.Status.AtProvider.Port))
}

// loginWithOnly logs in as the instance's admin with verify-full against
// caPEM alone, as an application that trusts only that CA would.
func loginWithOnly(ctx context.Context, conn *corev1.Secret, di *v1alpha1.DatabaseInstance, caPEM []byte) error {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return errors.New("no CA certificate")
	}
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return err
	}
	cfg.Host, cfg.Port, cfg.Database = di.Status.AtProvider.Endpoint, uint16(di.Status.AtProvider.Port), "postgres"
	cfg.User, cfg.Password = string(conn.Data[ConnectionUsername]), string(conn.Data[ConnectionPassword])
	cfg.ConnectTimeout = 10 * time.Second
	cfg.Fallbacks = nil
	cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: cfg.Host}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

// TestTLSRenewal: a server certificate within pki.RenewBefore of its end is
// issued again by the controller, and the running server presents the new
// one to new connections without restarting.
func TestTLSRenewal(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	env := testenv.Start(t)
	f := newFixture(t, env, "di-tls-renew")
	startManager(t, env, hooks{})

	di := f.instance("pg", 20)
	if err := env.Client.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	first := f.tlsSecret(t, di)
	issued := certificateOf(t, first.Data[pki.KeyServerCert])
	eventually(t, "the server presents the certificate in its TLS Secret", func() (bool, string) {
		got, err := presentedCertificate(address(di))
		if err != nil {
			return false, err.Error()
		}
		return got.SerialNumber.Cmp(issued.SerialNumber) == 0, "serial " + got.SerialNumber.String()
	})
	pid := f.postmasterPID(t, di)
	if pid == 0 {
		t.Fatal("no postmaster runs for the instance")
	}

	// A certificate from the instance's own CA that ends within
	// RenewBefore, as the one issued would after almost five years.
	ca := pki.Pair{Cert: first.Data[pki.KeyCACert], Key: first.Data[pki.KeyCAKey]}
	ending, err := pki.IssueServer(ca, certHosts(postgresql.Address), time.Now().Add(-pki.ServerValidity+pki.RenewBefore/2))
	if err != nil {
		t.Fatal(err)
	}
	endingCert := certificateOf(t, ending.Cert)
	if until := time.Until(endingCert.NotAfter); until <= 0 || until >= pki.RenewBefore {
		t.Fatalf("the planted certificate ends in %s, want within %s", until, pki.RenewBefore)
	}
	patch(t, env.Client, first, func(s *corev1.Secret) {
		s.Data[pki.KeyServerCert], s.Data[pki.KeyServerKey] = ending.Cert, ending.Key
	})

	var renewed *x509.Certificate
	eventually(t, "a renewed certificate in the TLS Secret, presented by the server", func() (bool, string) {
		s := &corev1.Secret{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(first), s); err != nil {
			return false, err.Error()
		}
		renewed = certificateOf(t, s.Data[pki.KeyServerCert])
		if renewed.SerialNumber.Cmp(endingCert.SerialNumber) == 0 || renewed.SerialNumber.Cmp(issued.SerialNumber) == 0 {
			return false, "the Secret still holds serial " + renewed.SerialNumber.String()
		}
		got, err := presentedCertificate(address(di))
		if err != nil {
			return false, err.Error()
		}
		return got.SerialNumber.Cmp(renewed.SerialNumber) == 0,
			"the Secret holds serial " + renewed.SerialNumber.String() + ", the server presents " + got.SerialNumber.String()
	})
	if time.Until(renewed.NotAfter) < pki.ServerValidity-24*time.Hour {
		t.Errorf("the renewed certificate ends %s, want about %s from now", renewed.NotAfter, pki.ServerValidity)
	}
	if err := signedBy(renewed, ca.Cert, postgresql.Address); err != nil {
		t.Errorf("the renewed certificate is not the instance's CA's: %v", err)
	}
	if got := f.postmasterPID(t, di); got != pid {
		t.Errorf("the server's PID went from %d to %d: the renewal restarted it, want a reload", pid, got)
	}
	// An application with the connection secret still gets in.
	f.waitReady(t, di)
	if c, err := f.tryConnect(di); err != nil {
		t.Errorf("verify-full with the connection secret after the renewal: %v", err)
	} else {
		_ = c.Close(ctx)
	}
}

// TestTLSPlatformCA: an instance on a ClusterProviderConfig that names the
// platform's CA is served with a certificate that CA signed, which a client
// trusting that CA alone verifies; the CA's key never reaches the
// instance's namespace; the instance moves from its own CA to the
// platform's, and to the platform's next CA when it rotates, each time with
// a reload, not a restart.
func TestTLSPlatformCA(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	env := testenv.Start(t)
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
	needRoot(t)
	env := testenv.Start(t)
	c := env.Client
	f := newSSHFixture(t, env, "di-ssh-tls-platform")
	startSSHManager(t, env)
	caSecret, platform := createPlatformCA(t, c, "di-ssh-tls-platform-ca")
	usePlatformCA(t, c, f.ns+"-"+pcGood, caSecret)

	vm := f.machine(t, "vm", pcGood)
	di := f.sshInstance(t, "pg", "vm", pcGood)
	f.waitReady(t, di)
	f.waitSignedBy(t, di, "the server presents a certificate the platform's CA signed", platform.Cert)
	data := filepath.Join(vm.Status.AtProvider.WorkDir, "var/lib/postgresql/15/dbaas")
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
	eventually(t, what, func() (bool, string) {
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
func (f *fixture) rotatePlatformCA(t *testing.T, di *v1alpha1.DatabaseInstance, caSecret *corev1.Secret, old pki.Pair) {
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
