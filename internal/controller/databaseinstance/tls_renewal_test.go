package databaseinstance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
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
	p := &tlsProbe{secret: conn, host: di.Status.AtProvider.Endpoint, port: uint16(di.Status.AtProvider.Port)}
	c, err := p.login("", string(conn.Data[ConnectionUsername]), string(conn.Data[ConnectionPassword]),
		&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: p.host})
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

// TestTLSRenewal: a server certificate within pki.RenewBefore of its end is
// issued again by the controller, and the running server presents the new
// one to new connections without restarting.
func TestTLSRenewal(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	f := newFixture(t, env, "di-tls-renew")
	startManager(t, env, hooks{})

	di := f.instance("pg", 20)
	if err := env.Client.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	first := f.tlsSecret(t, di)
	issued := certificateOf(t, first.Data[pki.KeyServerCert])
	wait.For(t, timeout, "the server presents the certificate in its TLS Secret", func() (bool, string) {
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
	wait.For(t, timeout, "a renewed certificate in the TLS Secret, presented by the server", func() (bool, string) {
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
