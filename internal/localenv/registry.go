package localenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Registry is the name of the package registry's log.
const Registry = "registry"

// startRegistry serves an OCI registry (go-containerregistry's, blobs in
// memory) over TLS on a loopback port the kernel picks, with a certificate
// of the environment's CA, and pushes the packages of Config.PackageDir to
// it. Crossplane core pulls them from there as it would from any registry:
// it trusts the CA through --ca-bundle-path.
func (e *Env) startRegistry(ctx context.Context) error {
	dir := filepath.Join(e.certsDir(), certsRegistry)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		return errors.Wrap(err, "cannot load the registry's certificate")
	}
	logs, err := os.OpenFile(e.LogFile(Registry), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return errors.Wrap(err, "cannot open the registry's log")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = logs.Close()
		return errors.Wrap(err, "cannot listen for the registry")
	}
	lg := log.New(logs, "", log.LstdFlags)
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(lg)),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          lg,
	}
	go func() {
		if err := srv.ServeTLS(l, "", ""); !errors.Is(err, http.ErrServerClosed) {
			lg.Printf("the registry stopped: %v", err)
		}
		_ = logs.Close()
	}()
	e.registry = srv
	e.RegistryHost = l.Addr().String()
	return e.pushPackages(ctx)
}

// pushPackages writes every package file to the registry under its local
// source, tagged PackageVersion.
func (e *Env) pushPackages(ctx context.Context) error {
	ca, err := os.ReadFile(filepath.Join(e.certsDir(), certsRegistry, "ca.crt"))
	if err != nil {
		return errors.Wrap(err, "cannot read the environment's CA")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return errors.New("the environment's CA holds no certificate")
	}
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return errors.New("the default HTTP transport is not an *http.Transport")
	}
	tr = tr.Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	for _, p := range Packages {
		file := filepath.Join(e.cfg.PackageDir, p.File)
		img, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			return errors.Wrapf(err, "cannot read the package %s: run `make package` first", file)
		}
		ref, err := name.NewTag(e.localSource(p) + ":" + PackageVersion)
		if err != nil {
			return errors.Wrapf(err, "cannot name the package %s", p.Name)
		}
		if err := remote.Write(ref, img, remote.WithTransport(tr), remote.WithContext(ctx)); err != nil {
			return errors.Wrapf(err, "cannot push %s to the registry", ref)
		}
	}
	return nil
}

// stopRegistry closes the registry; the packages in it go with it.
func (e *Env) stopRegistry() {
	if e.registry != nil {
		_ = e.registry.Close()
		e.registry = nil
	}
}
