package databaseinstance

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// otherClient is a loopback address that is not the provider's: the
// server sees connections from it as coming from another machine.
const otherClient = "127.0.0.2"

// tlsProbe tries logins to an instance the way different clients would.
type tlsProbe struct {
	secret *corev1.Secret
	host   string
	port   uint16
}

func newTLSProbe(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance) *tlsProbe {
	t.Helper()
	s := &corev1.Secret{}
	if err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: di.Name + "-conn"}, s); err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(string(s.Data[ConnectionPort]))
	if err != nil {
		t.Fatal(err)
	}
	return &tlsProbe{secret: s, host: string(s.Data[ConnectionEndpoint]), port: uint16(port)}
}

// login connects as user from the loopback address from ("" for any),
// with tc (nil: plain text), and never falls back to another mode.
func (p *tlsProbe) login(from, user, password string, tc *tls.Config) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port, cfg.Database, cfg.User, cfg.Password = p.host, p.port, "postgres", user, password
	cfg.ConnectTimeout = 10 * time.Second
	cfg.TLSConfig, cfg.Fallbacks = tc, nil
	if from != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: cfg.ConnectTimeout}
		cfg.DialFunc = d.DialContext
	}
	return pgx.ConnectConfig(context.Background(), cfg)
}

func (p *tlsProbe) verified(t *testing.T) *tls.Config {
	t.Helper()
	tc, err := secretTLS(p.secret, p.host)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// checkTLSBoundary runs the checks both engines must pass: nothing in plain
// text, the connection secret's dbaas_admin in with its CA and no
// superuser, the superuser refused over TCP from anywhere, an
// application with the connection secret's CA in, and a client that names
// no TLS mode refusing a server its CA did not sign.
func checkTLSBoundary(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance, instanceDir string) {
	ctx := context.Background()
	p := newTLSProbe(t, f, di)
	admin, pw := string(p.secret.Data[ConnectionUsername]), string(p.secret.Data[ConnectionPassword])
	super := superuserOf(di)
	superPW := string(mustSecret(t, f.env.Client, f.ns, di.Spec.ForProvider.AdminPasswordSecretRef.Name).Data[di.Spec.ForProvider.AdminPasswordSecretRef.Key])
	if len(p.secret.Data[instance.KeyCACert]) == 0 || string(p.secret.Data[instance.KeySSLMode]) != "verify-full" {
		t.Fatalf("the connection secret lacks ca.crt or sslmode verify-full: sslmode %q", p.secret.Data[instance.KeySSLMode])
	}

	// verify-full with the connection secret's CA works; a table written
	// now must be intact after every refused attempt below.
	conn, err := p.login("", admin, pw, p.verified(t))
	if err != nil {
		t.Fatalf("verify-full with the connection secret's CA: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept_tls (n int); INSERT INTO kept_tls VALUES (42);"+
		"CREATE ROLE app LOGIN PASSWORD 'app-secret-pw'"); err != nil {
		t.Fatal(err)
	}
	var ssl bool
	if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Errorf("the admin's session is not encrypted: ssl=%v, %v", ssl, err)
	}
	// The connection secret hands out dbaas_admin, which makes roles and
	// databases but is no superuser.
	var super0, createRole, createDB bool
	if err := conn.QueryRow(ctx, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user").Scan(&super0, &createRole, &createDB); err != nil ||
		admin != pgroles.Admin || super0 || !createRole || !createDB {
		t.Errorf("the connection secret's user %q: superuser %v, createrole %v, createdb %v, %v; want %q, false, true, true",
			admin, super0, createRole, createDB, err, pgroles.Admin)
	}
	_ = conn.Close(ctx)

	t.Run("ProviderAdminOverSocket", func(t *testing.T) {
		checkAdminSocket(t, instanceDir, super)
	})

	t.Run("PlainTextRefused", func(t *testing.T) {
		for _, u := range []struct{ user, pw string }{{super, superPW}, {admin, pw}, {"app", "app-secret-pw"}} {
			_, err := p.login("", u.user, u.pw, nil)
			// The superuser meets its reject rule, an application finds no
			// rule at all; either way the server refuses plain text.
			refused := err != nil && strings.Contains(err.Error(), "no encryption") &&
				(strings.Contains(err.Error(), "no pg_hba.conf entry") || strings.Contains(err.Error(), "rejects connection"))
			if !refused {
				t.Errorf("%s in plain text: err = %v, want pg_hba.conf to refuse it (no encryption)", u.user, err)
			}
		}
	})

	t.Run("SuperuserOverTCPRefused", func(t *testing.T) {
		// From the provider's own address as from another, with TLS
		// verified and the right password: PostgreSQL refuses the
		// superuser itself (28000), by the reject rule before any other
		// host rule. The provider and the watchdog reach it over the
		// socket only.
		for _, from := range []string{"", otherClient} {
			c, err := p.login(from, super, superPW, p.verified(t))
			if err == nil {
				_ = c.Close(ctx)
			}
			if !rejectedByHBA(err) {
				t.Errorf("the superuser %s over TLS from %q: err = %v, want PostgreSQL's refusal (28000, pg_hba.conf rejects connection)", super, from, err)
			}
		}
		// The same address is let in for an application, with TLS: the
		// refusal is the superuser's.
		c, err := p.login(otherClient, "app", "app-secret-pw", p.verified(t))
		if err != nil {
			t.Fatalf("an application over verify-full from %s: %v", otherClient, err)
		}
		_ = c.Close(ctx)
	})

	t.Run("DefaultModeRefusesUnknownCA", func(t *testing.T) {
		// The provider's own client, as the SQL controllers use it, with no
		// TLS mode named: verify-full against the system's CAs, which did
		// not sign the instance's certificate.
		cfg := dbms.Config{Engine: dbms.PostgreSQL, Host: p.host, Port: int(p.port), User: "app", Password: "app-secret-pw"}
		if c, err := postgresql.Connect(ctx, cfg); err == nil {
			_ = c.Close(ctx)
			t.Error("a client without a TLS mode or CA connected to a server its CA did not sign")
		} else if !strings.Contains(err.Error(), "certificate") {
			t.Errorf("a client without a TLS mode: err = %v, want a certificate verification error", err)
		}
		// Another CA, named explicitly: refused too.
		other, err := pki.NewCA("not the instance's CA", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLS.CA = other.Cert
		if c, err := postgresql.Connect(ctx, cfg); err == nil {
			_ = c.Close(ctx)
			t.Error("a client whose CA did not sign the server's certificate connected")
		}
		// The instance's CA, still without a mode: in.
		cfg.TLS.CA = p.secret.Data[instance.KeyCACert]
		c, err := postgresql.Connect(ctx, cfg)
		if err != nil {
			t.Fatalf("the default mode with the instance's CA: %v", err)
		}
		_ = c.Close(ctx)
	})

	t.Run("SQLControllersVerify", func(t *testing.T) {
		// What the Database, User and Grant controllers connect with.
		cfg, err := instance.Config(ctx, f.env.Client, f.ns, di.Name)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TLS.Mode != dbms.TLSVerifyFull || len(cfg.TLS.CA) == 0 {
			t.Errorf("the SQL controllers' TLS: mode %q, CA %d bytes; want verify-full with the instance's CA", cfg.TLS.Mode, len(cfg.TLS.CA))
		}
		c, err := postgresql.Connect(ctx, cfg)
		if err != nil {
			t.Fatalf("the SQL controllers' connection: %v", err)
		}
		_ = c.Close(ctx)
	})

	// Nothing the refused attempts did changed the data.
	conn, err = p.login("", admin, pw, p.verified(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT n FROM kept_tls").Scan(&n); err != nil || n != 42 {
		t.Errorf("the row written before the refused attempts: %d, %v", n, err)
	}
}

// checkAdminSocket checks the way the provider administers the member in
// instanceDir: its unix socket lets root, the provider's OS user here, in as
// the admin without a password (pg_ident.conf maps it), so no admin
// password crosses for the provider's own queries. stmts run in that
// session.
func checkAdminSocket(t *testing.T, instanceDir, admin string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	c := adminSocket(t, instanceDir, admin)
	defer c.Close(ctx)
	var onSocket bool
	if err := c.QueryRow(ctx, "SELECT inet_server_addr() IS NULL").Scan(&onSocket); err != nil || !onSocket {
		t.Errorf("the session is on the unix socket: %v, %v", onSocket, err)
	}
	for _, q := range stmts {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Errorf("%s as %s over the socket: %v", q, admin, err)
		}
	}
}

// adminSocket is a session as admin over the unix socket of the member in
// instanceDir, as root, with a password the server does not hold: peer
// through pg_ident.conf lets root in without one.
func adminSocket(t *testing.T, instanceDir, admin string) *pgx.Conn {
	t.Helper()
	sockets, err := filepath.Glob(filepath.Join(instanceDir, "run", ".s.PGSQL.*[0-9]"))
	if err != nil || len(sockets) != 1 {
		t.Fatalf("the member's unix socket in %s: %v, %v; want one", instanceDir, sockets, err)
	}
	port, err := strconv.Atoi(strings.TrimPrefix(filepath.Ext(sockets[0]), "."))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Database = filepath.Dir(sockets[0]), uint16(port), admin, "postgres"
	cfg.Password, cfg.TLSConfig, cfg.Fallbacks = "not the admin password", nil, nil
	cfg.ConnectTimeout = 10 * time.Second
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("root as %s over the socket, without the password: %v", admin, err)
	}
	return c
}

// rejectedByHBA reports whether err is PostgreSQL refusing a login by a
// reject rule of pg_hba.conf (SQLSTATE 28000), before any password.
func rejectedByHBA(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "28000" && strings.Contains(pe.Message, "pg_hba.conf rejects connection")
}

// checkKeyFile checks that the server's key is readable by the engine user
// only.
func checkKeyFile(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the server key is not where it should be: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %o, want 0600", path, st.Mode().Perm())
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && sys.Uid == 0 {
		t.Errorf("%s is owned by root, want the engine user", path)
	}
}

// TestTLSLocalEngine: a local instance serves TLS with its own CA's
// certificate, and lets nobody in without it.
func TestTLSLocalEngine(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	f := newFixture(t, env, "di-tls")
	startManager(t, env, hooks{})

	di := f.instance("pg", 20)
	if err := env.Client.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	checkKeyFile(t, filepath.Join(f.machineDir(t), "postgresql", "pg", "tls", "server.key"))
	checkTLSBoundary(t, f, di, filepath.Join(f.machineDir(t), "postgresql", "pg"))
}

// TestTLSOverSSH: the same on an instance the play makes over SSH, as on
// every VM.
func TestTLSOverSSH(t *testing.T) {
	t.Parallel()
	needRoot(t)
	env := testenv.Shared(t)
	f := newSSHFixture(t, env, "di-ssh-tls")
	startSSHManager(t, env)

	vm := f.machine(t, "vm", pcGood)
	di := f.sshInstance(t, "pg", "vm", pcGood)
	f.waitReady(t, di)
	checkKeyFile(t, filepath.Join(filepath.Dir(sshDataDir(vm, f.ns, "pg")), "tls", "server.key"))
	checkTLSBoundary(t, f.fixture, di, filepath.Dir(sshDataDir(vm, f.ns, "pg")))
}
