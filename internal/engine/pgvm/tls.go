package pgvm

import (
	"context"
	"path"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

// StepCertificate names the step that installs the server certificate.
const StepCertificate = "install server certificate"

// Names of the certificate files in the data directory. PostgreSQL takes
// relative ssl_*_file paths as relative to the data directory.
const (
	certFile = "server.crt"
	keyFile  = "server.key"
)

// ServerTLS is the certificate the server presents and its key, PEM. The
// key leaves the provider only to the data directory, mode 0600 and owned
// by the OS user, which PostgreSQL insists on for a key file.
type ServerTLS struct {
	Cert []byte
	Key  []byte
}

// tlsSettings are the play's own TLS parameters: on, with the files the
// certificate step writes, and nothing older than TLS 1.2.
func tlsSettings(o Options) [][2]string {
	if o.TLS == nil {
		return nil
	}
	return [][2]string{
		{"ssl", "on"},
		{"ssl_cert_file", certFile},
		{"ssl_key_file", keyFile},
		{"ssl_min_protocol_version", "TLSv1.2"},
	}
}

// certificateStep writes the certificate and key into the data directory
// and has a running server read them again (a reload does).
func certificateStep(o Options) steps.Step {
	files := []struct {
		path    string
		content []byte
	}{{path.Join(o.dataDir(), certFile), o.TLS.Cert}, {path.Join(o.dataDir(), keyFile), o.TLS.Key}}
	return steps.Step{
		Name: StepCertificate,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			for _, f := range files {
				done, err := ownedFileMatches(ctx, e, f.path, f.content, 0o600, o.OSUser)
				if err != nil || !done {
					return false, err
				}
			}
			return true, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			for _, f := range files {
				if err := writeOwnedFile(ctx, e, f.path, f.content, 0o600, o.OSUser); err != nil {
					return err
				}
			}
			return reloadIfRunning(ctx, e, o, socketOf(o), false)
		},
	}
}
