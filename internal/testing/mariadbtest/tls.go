/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package mariadbtest

import (
	"os"
	"path/filepath"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/pki"
)

// Files below the server's root directory.
const (
	certFile = "server-cert.pem"
	keyFile  = "server-key.pem"
)

// writeCertificates makes a CA and a server certificate it signs, for
// localhost and 127.0.0.1, so that tests can use every TLS mode: MariaDB
// 10.11 does not make its own. They are made as the provider makes its
// instances' (pgtest's server gets the same). It writes the server's
// certificate and key to dir and returns the CA's certificate.
func writeCertificates(dir string) ([]byte, error) {
	now := time.Now()
	ca, err := pki.NewCA("mariadbtest CA", now)
	if err != nil {
		return nil, err
	}
	srv, err := pki.IssueServer(ca, []string{"localhost", "127.0.0.1"}, now)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, certFile), srv.Cert, 0o644); err != nil {
		return nil, errors.Wrap(err, "cannot write the server certificate")
	}
	if err := os.WriteFile(filepath.Join(dir, keyFile), srv.Key, 0o600); err != nil {
		return nil, errors.Wrap(err, "cannot write the server key")
	}
	return ca.Cert, nil
}
