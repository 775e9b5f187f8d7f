// Package s3test starts a throwaway S3-compatible object store for tests:
// versitygw (Apache-2.0, built into .cache/bin by make tools) with its posix
// backend, serving one bucket from a temporary directory over TLS that a CA
// of its own signs, so that backups are tested against a real S3 service
// rather than a fake.
package s3test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
)

const (
	// Bucket is the bucket the store serves.
	Bucket = "backups"
	// Region is the region the store signs for; versitygw takes any.
	Region = "us-east-1"
	// Host is where the store listens.
	Host = "127.0.0.1"
	// Endpoint is the name clients reach it by, which its certificate
	// names: pgBackRest checks the host it connects to against the
	// certificate's DNS names only, never its IP addresses, so it cannot
	// connect to Host by address (localhost is 127.0.0.1 in this
	// machine's /etc/hosts).
	Endpoint = "localhost"

	binName  = "versitygw"
	caFile   = "ca.crt"
	certFile = "server.crt"
	keyFile  = "server.key"
	logFile  = "versitygw.log"

	// readyTimeout bounds the wait for the store, so that a broken one
	// fails the test instead of hanging it; it is not an expectation.
	readyTimeout = 90 * time.Second
)

// A Server is a running object store that serves Bucket over HTTPS on
// Host:Port to AccessKey and SecretKey, with a certificate for Endpoint
// that CA signed.
type Server struct {
	Host      string
	Endpoint  string
	Port      int
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	// CA is the PEM certificate that signed the store's certificate, and CAFile a copy of it that every
	// local user (pgBackRest runs as postgres) may read.
	CA     []byte
	CAFile string
	// Dir is the posix backend's directory: Bucket is a directory below
	// it, its objects files below that.
	Dir string

	root    string
	bin     string
	logFile string
	proc    *testproc.Process
}

// Start runs a store on loopback for the test and stops it, by its PID,
// when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartOn(t, Host, Endpoint)
}

// StartOn runs a store for the test on host, an address of this machine
// (a test network's gateway, say, which its hosts reach), with a
// certificate for endpoint, the name clients reach it by, which must
// resolve to host where they run. It stops the store, by its PID, when the
// test ends.
func StartOn(t testing.TB, host, endpoint string) *Server {
	t.Helper()
	bin := filepath.Join(testenv.RepoRoot(t), ".cache", "bin", binName)
	return testproc.Start(t, "s3test-", "versitygw (make tools)", func(baseDir string) (*Server, error) {
		return newOn(bin, baseDir, host, endpoint)
	})
}

// New starts the versitygw program bin as a store on loopback below
// baseDir, which must exist. The caller stops it with Stop.
func New(bin, baseDir string) (*Server, error) {
	return newOn(bin, baseDir, Host, Endpoint)
}

// newOn starts bin as a store on host, named endpoint, below baseDir.
func newOn(bin, baseDir, host, endpoint string) (*Server, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, errors.Wrapf(err, "versitygw is missing: run make tools")
	}
	root, err := testproc.Root(baseDir, "s3")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host: host, Endpoint: endpoint, Region: Region, Bucket: Bucket,
		AccessKey: "dbaas-" + testproc.Password()[:12], SecretKey: testproc.Password(),
		CAFile: filepath.Join(root, caFile), Dir: filepath.Join(root, "data"),
		root: root, bin: bin, logFile: filepath.Join(root, logFile),
	}
	// The posix backend serves every directory below Dir as a bucket.
	if err := os.MkdirAll(filepath.Join(s.Dir, s.Bucket), 0o700); err != nil {
		return nil, errors.Wrap(err, "cannot create the store's directories")
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return nil, errors.Wrap(err, "cannot make the store's directory traversable")
	}
	if err := s.writeCertificates(); err != nil {
		return nil, err
	}
	if err := ports.StartOnFree(s.start); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop stops the store by its PID.
func (s *Server) Stop() error {
	if s.proc == nil {
		return nil
	}
	err := s.proc.Stop()
	s.proc = nil
	return err
}

// Restart starts a stopped store again on the same port with the same
// data, as a store that was down and came back: clients that knew it find
// it where it was, with what they had written.
func (s *Server) Restart() error {
	if s.proc != nil {
		return errors.New("the store runs")
	}
	_, err := s.start(s.Port)
	return err
}

// writeCertificates makes a CA and a server certificate it signs for the
// store's Endpoint and Host, as the provider makes its instances'.
func (s *Server) writeCertificates() error {
	now := time.Now()
	ca, err := pki.NewCA("s3test CA", now)
	if err != nil {
		return err
	}
	srv, err := pki.IssueServer(ca, []string{s.Endpoint, s.Host}, now)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{caFile, ca.Cert, 0o644}, {certFile, srv.Cert, 0o644}, {keyFile, srv.Key, 0o600}} {
		if err := os.WriteFile(filepath.Join(s.root, f.name), f.data, f.mode); err != nil {
			return errors.Wrapf(err, "cannot write %s", f.name)
		}
	}
	s.CA = ca.Cert
	return nil
}

// start runs versitygw on port and waits until it answers HTTPS. It
// reports whether a failure was because the port was taken. The root
// credentials reach it in its environment, never on its command line.
func (s *Server) start(port int) (bool, error) {
	cmd := exec.Command(s.bin,
		"--port", s.Host+":"+strconv.Itoa(port),
		"--cert", filepath.Join(s.root, certFile),
		"--key", filepath.Join(s.root, keyFile),
		"--region", s.Region,
		"posix", s.Dir)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"ROOT_ACCESS_KEY_ID=" + s.AccessKey,
		"ROOT_SECRET_ACCESS_KEY=" + s.SecretKey,
	}
	cmd.Dir = s.root
	p, err := testproc.StartProcess(s.logFile, cmd)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err = s.waitReady(ctx, p, port); err == nil {
		s.Port, s.proc = port, p
		return false, nil
	}
	_ = p.Stop()
	log, _ := os.ReadFile(s.logFile)
	return strings.Contains(string(log), "address already in use"),
		errors.Wrapf(err, "cannot start versitygw on port %d:\n%s", port, log)
}

// waitReady waits until the store answers an HTTPS request with a
// certificate the CA verifies; any S3 answer, even access denied to an
// anonymous request, means it serves.
func (s *Server) waitReady(ctx context.Context, p *testproc.Process, port int) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CA)
	c := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	defer c.CloseIdleConnections()
	url := "https://" + s.Host + ":" + strconv.Itoa(port) + "/"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-p.Done():
			return errors.Wrap(err, "versitygw exited")
		case <-ctx.Done():
			return errors.Wrap(err, "versitygw did not answer")
		case <-time.After(100 * time.Millisecond):
		}
	}
}
