package localenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/pgserver"
	"github.com/dbaas-io/dbaas/internal/ports"
)

// The shared server stands for the DBAs' existing PostgreSQL server, the one
// the platform's shared tier makes databases on: a server the environment
// starts itself, outside any DatabaseInstance, registered as an existing
// server the way a platform team registers the DBAs' own.
const (
	// SharedConfig is the ClusterProviderConfig that names the shared
	// server.
	SharedConfig = "shared-local"
	// SharedAdminSecret, in SharedNamespace, holds the server's admin
	// username and password.
	SharedAdminSecret = SharedConfig + "-admin"
	// SharedCASecret, in SharedNamespace, holds the CA that signed the
	// server's certificate, under pki.KeyCACert.
	SharedCASecret = SharedConfig + "-ca"
	// SharedNamespace holds the shared server's Secrets.
	SharedNamespace = "crossplane-system"
	// SharedDatabaseClass is the DBAs' sample DatabaseClass applied from
	// examples/existing-server/postgresql/databaseclass.yaml, whose
	// procedures are loaded on the shared server.
	SharedDatabaseClass = "postgresql-dba"

	sharedHost  = "127.0.0.1"
	sharedAdmin = "postgres"
	sharedDir   = "shared-server"
)

// SharedServerDir is the shared server's own directory below the state
// directory: its data, socket, log and the CA's certificate (ca.crt).
func (e *Env) SharedServerDir() string { return filepath.Join(e.cfg.StateDir, sharedDir) }

// startSharedServer starts the shared server on a fresh data directory,
// loads the DBAs' procedures and registers the server. Its data starts
// afresh with each environment because the API server's does: databases
// left from an earlier run would belong to no resource.
func (e *Env) startSharedServer(ctx context.Context) error {
	dir := e.SharedServerDir()
	// A server left running by an environment that was killed rather than
	// stopped would hold the directory; it is stopped by the PID in its
	// postmaster.pid, and only when that process works in its data
	// directory, so a recycled PID is never signalled.
	if err := pgserver.StopLeftover(filepath.Join(dir, "data")); err != nil {
		return errors.Wrap(err, "cannot stop the shared server left by an earlier run")
	}
	if err := os.RemoveAll(dir); err != nil {
		return errors.Wrap(err, "cannot remove the shared server's old directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "cannot create the shared server's directory")
	}
	ca, err := pki.NewCA("dbaas local shared server CA", time.Now())
	if err != nil {
		return err
	}
	// Where a user finds it to connect with psql; only the certificate, the
	// CA's key stays in memory.
	if err := os.WriteFile(filepath.Join(dir, pki.KeyCACert), ca.Cert, 0o644); err != nil {
		return errors.Wrap(err, "cannot write the shared server's CA certificate")
	}
	port, err := ports.Free()
	if err != nil {
		return err
	}
	pw, err := newPassword()
	if err != nil {
		return err
	}
	e.shared, err = pgserver.Start(pgserver.Options{
		Dir:       dir,
		Host:      sharedHost,
		Port:      port,
		AdminUser: sharedAdmin,
		Password:  pw,
		CA:        ca,
		TLSOnly:   true,
		Durable:   true,
	})
	if err != nil {
		return errors.Wrap(err, "cannot start the shared server")
	}
	e.progress("shared PostgreSQL server listening on %s (TLS only; CA in %s)", e.SharedServerAddress(), filepath.Join(dir, pki.KeyCACert))
	if err := e.loadProcedures(ctx); err != nil {
		return err
	}
	return e.registerSharedServer(ctx)
}

// loadProcedures loads the DBAs' sample procedures, over TLS verified
// against the server's CA, as the DBAs would with psql -f.
func (e *Env) loadProcedures(ctx context.Context) error {
	path := filepath.Join(e.cfg.Root, "examples", "existing-server", "postgresql", "procedures.sql")
	sql, err := os.ReadFile(path)
	if err != nil {
		return errors.Wrapf(err, "cannot read %s", path)
	}
	conn, err := Connect(ctx, e.sharedAdminDetails())
	if err != nil {
		return errors.Wrap(err, "cannot connect to the shared server")
	}
	defer func() { _ = conn.Close(ctx) }()
	// Without arguments pgx uses the simple protocol, which runs a whole
	// script.
	_, err = conn.Exec(ctx, string(sql))
	return errors.Wrapf(err, "cannot load %s on the shared server", path)
}

// sharedAdminDetails are the shared server's admin connection details, in
// the form of a connection secret.
func (e *Env) sharedAdminDetails() map[string]string {
	return map[string]string{
		"username": e.shared.User,
		"password": e.shared.Password,
		"endpoint": e.shared.Host,
		"port":     strconv.Itoa(e.shared.Port),
		"database": "postgres",
		"sslmode":  dbms.TLSVerifyFull,
		"ca.crt":   string(e.shared.CA),
	}
}

// registerSharedServer writes the admin and CA Secrets, the
// ClusterProviderConfig that names the server with verify-full TLS, and the
// DBAs' DatabaseClass.
func (e *Env) registerSharedServer(ctx context.Context) error {
	admin := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: SharedNamespace, Name: SharedAdminSecret}}
	if err := e.createOrUpdate(ctx, admin, func() {
		admin.Data = map[string][]byte{
			server.KeyUsername: []byte(e.shared.User),
			server.KeyPassword: []byte(e.shared.Password),
		}
	}); err != nil {
		return err
	}
	ca := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: SharedNamespace, Name: SharedCASecret}}
	if err := e.createOrUpdate(ctx, ca, func() {
		ca.Data = map[string][]byte{pki.KeyCACert: e.shared.CA}
	}); err != nil {
		return err
	}
	pc := &apisv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: SharedConfig}}
	if err := e.createOrUpdate(ctx, pc, func() {
		pc.Spec = apisv1alpha1.ProviderConfigSpec{
			Backend: apisv1alpha1.BackendLocal,
			Server: &apisv1alpha1.ExistingServer{
				Engine:                    apisv1alpha1.ServerEnginePostgreSQL,
				Host:                      e.shared.Host,
				Port:                      int32(e.shared.Port),
				AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: SharedNamespace, Name: SharedAdminSecret},
				TLS: &apisv1alpha1.ServerTLS{
					Mode: dbms.TLSVerifyFull,
					CASecretRef: &xpv2.SecretKeySelector{
						SecretReference: xpv2.SecretReference{Namespace: SharedNamespace, Name: SharedCASecret},
						Key:             pki.KeyCACert,
					},
				},
				MaxOperationsPerSecond: 20,
			},
		}
	}); err != nil {
		return err
	}
	return ApplyFile(ctx, e.Client, filepath.Join(e.cfg.Root, "examples", "existing-server", "postgresql", "databaseclass.yaml"))
}

// createOrUpdate creates o, or updates it when it exists, after mutate has
// set what it must hold.
func (e *Env) createOrUpdate(ctx context.Context, o client.Object, mutate func()) error {
	_, err := controllerutil.CreateOrUpdate(ctx, e.Client, o, func() error { mutate(); return nil })
	return errors.Wrapf(err, "cannot write %s/%s", o.GetNamespace(), o.GetName())
}

// stopSharedServer stops the shared server, by the PID in its
// postmaster.pid.
func (e *Env) stopSharedServer() {
	if e.shared == nil {
		return
	}
	if err := e.shared.Stop(); err != nil {
		e.progress("cannot stop the shared server: %v", err)
	}
	e.shared = nil
}

// SharedServerAddress is the shared server's host:port, or "" when it is
// not running.
func (e *Env) SharedServerAddress() string {
	if e.shared == nil {
		return ""
	}
	return e.shared.Host + ":" + strconv.Itoa(e.shared.Port)
}

// newPassword returns a random password of 32 hexadecimal digits.
func newPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", errors.Wrap(err, "cannot generate a password")
	}
	return hex.EncodeToString(b), nil
}
