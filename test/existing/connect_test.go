package existing

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// The connection secret keys an application reads.
var appKeys = []string{"endpoint", "port", "username", "password", "database", "sslmode"}

// missingKeys are the keys an application needs that secret lacks.
func missingKeys(secret map[string][]byte) error {
	for _, k := range appKeys {
		if len(secret[k]) == 0 {
			return fmt.Errorf("the connection secret has no %q key", k)
		}
	}
	return nil
}

// connectPostgreSQL connects with pgx from a libpq URL built of the secret's
// keys only: pgx itself reads sslmode and the CA file (sslrootcert), as any
// libpq application would, so nothing of the provider's TLS code helps.
func connectPostgreSQL(t *testing.T, secret map[string][]byte) error {
	t.Helper()
	if err := missingKeys(secret); err != nil {
		return err
	}
	q := url.Values{"sslmode": {string(secret["sslmode"])}, "connect_timeout": {"10"}}
	if ca := secret["ca.crt"]; len(ca) > 0 {
		f := filepath.Join(t.TempDir(), "ca.crt")
		if err := os.WriteFile(f, ca, 0o600); err != nil {
			t.Fatal(err)
		}
		q.Set("sslrootcert", f)
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(string(secret["username"]), string(secret["password"])),
		Host:     net.JoinHostPort(string(secret["endpoint"]), string(secret["port"])),
		Path:     "/" + string(secret["database"]),
		RawQuery: q.Encode(),
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		// The URL holds the password: never show it.
		return fmt.Errorf("the connection secret makes no libpq URL")
	}
	ctx := context.Background()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(ctx) }()
	var encrypted bool
	if err := c.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&encrypted); err != nil {
		return err
	}
	if !encrypted {
		return fmt.Errorf("the session is not encrypted")
	}
	return nil
}

// connectMariaDB connects with the MySQL driver: verify-full is TLS
// verified against the secret's CA for the endpoint's name, the other modes
// are libpq's and an application would have to map them itself, so they are
// refused here.
func connectMariaDB(t *testing.T, secret map[string][]byte) error {
	t.Helper()
	if err := missingKeys(secret); err != nil {
		return err
	}
	if mode := string(secret["sslmode"]); mode != "verify-full" {
		return fmt.Errorf("sslmode %q: only verify-full is tested", mode)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(secret["ca.crt"]) {
		return fmt.Errorf("the connection secret's ca.crt holds no certificate")
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = string(secret["username"]), string(secret["password"]), string(secret["database"])
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(string(secret["endpoint"]), string(secret["port"]))
	cfg.Timeout = 10 * time.Second
	cfg.TLS = &tls.Config{RootCAs: roots, ServerName: string(secret["endpoint"]), MinVersion: tls.VersionTLS12}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer func() { _ = db.Close() }()
	var name, cipher string
	if err := db.QueryRowContext(context.Background(), "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		return err
	}
	if cipher == "" {
		return fmt.Errorf("the session is not encrypted")
	}
	return nil
}
