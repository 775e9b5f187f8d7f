package postgresql

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io/fs"
	"path/filepath"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errWriteTLS = "cannot install the server certificate"
	errReadTLS  = "cannot read the server certificate"
	errBadCA    = "the instance's CA certificate holds no PEM certificate"

	tlsDir = "tls"
	// noClientCert is a file that never exists in the TLS directory. The
	// provider's libpq clients (pg_basebackup, pg_rewind, a replica's
	// stream) name it as their client certificate and key: otherwise libpq
	// looks in ~/.postgresql of a HOME the engine user may not read, and
	// fails on that instead of going on without one.
	noClientCert = "no-client-certificate"
	certFile     = "server.crt"
	keyFile      = "server.key"
	caFile       = "ca.crt"
)

// TLS is what an instance serves TLS with, PEM: its certificate and key,
// and the CA that signed them, which its clients (the provider, replicas
// streaming from a primary, pg_rewind) verify it against.
type TLS struct {
	Cert []byte
	Key  []byte
	CA   []byte
}

// TLSDir holds the certificate files, beside the data directory rather than
// in it, so that pg_basebackup does not copy one member's key to another and
// a replica has its CA before its data directory exists.
func (i *Instance) TLSDir() string { return filepath.Join(i.Dir, tlsDir) }

// CAFile is the CA certificate clients on this machine verify the
// instance's servers with, or "" when the instance serves no TLS.
func (i *Instance) CAFile() string {
	if i.TLS == nil {
		return ""
	}
	return filepath.Join(i.TLSDir(), caFile)
}

// tlsFiles are the files writeTLS keeps, with their modes. PostgreSQL
// refuses a key file that others can read.
func (i *Instance) tlsFiles() []struct {
	path    string
	content []byte
	mode    fs.FileMode
} {
	return []struct {
		path    string
		content []byte
		mode    fs.FileMode
	}{
		{filepath.Join(i.TLSDir(), certFile), i.TLS.Cert, 0o600},
		{filepath.Join(i.TLSDir(), keyFile), i.TLS.Key, 0o600},
		{filepath.Join(i.TLSDir(), caFile), i.TLS.CA, 0o644},
	}
}

// tlsCurrent reports whether the certificate files hold i.TLS.
func (i *Instance) tlsCurrent(ctx context.Context) (bool, error) {
	if i.TLS == nil {
		return true, nil
	}
	for _, f := range i.tlsFiles() {
		have, err := i.readFile(ctx, f.path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, errors.Wrap(err, errReadTLS)
		}
		if !bytes.Equal(have, f.content) {
			return false, nil
		}
	}
	return true, nil
}

// writeTLS installs the certificate files, owned by the engine user, unless
// they are current. It reports whether it changed them; a running server
// reads them again on reload.
func (i *Instance) writeTLS(ctx context.Context) (bool, error) {
	if i.TLS == nil {
		return false, nil
	}
	if ok, err := i.tlsCurrent(ctx); err != nil || ok {
		return false, err
	}
	// Only the engine user may enter the directory, as before the files
	// in it are written.
	if err := i.mkdir(ctx, errWriteTLS, i.TLSDir(), 0o700, true); err != nil {
		return false, err
	}
	for _, f := range i.tlsFiles() {
		if err := i.writeFile(ctx, f.path, f.content, f.mode); err != nil {
			return false, errors.Wrap(err, errWriteTLS)
		}
	}
	return true, nil
}

// clientTLS is how the provider reaches the instance: verify-full against
// the instance's CA, for the address it listens on (Host).
func (i *Instance) clientTLS() (*tls.Config, error) {
	if i.TLS == nil {
		return nil, nil
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(i.TLS.CA) {
		return nil, errors.New(errBadCA)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: i.host()}, nil
}

// sslParams are the libpq TLS parameters of the provider's own libpq
// connections to a server of this instance (pg_basebackup, pg_rewind, a
// replica's stream): verify-full against the CA file, and no client
// certificate. Without TLS, disable.
func (i *Instance) sslParams() [][2]string {
	return sslParams(i.CAFile())
}

func sslParams(caFile string) [][2]string {
	if caFile == "" {
		return [][2]string{{"sslmode", "disable"}}
	}
	none := filepath.Join(filepath.Dir(caFile), noClientCert)
	return [][2]string{{"sslmode", "verify-full"}, {"sslrootcert", caFile}, {"sslcert", none}, {"sslkey", none}}
}
