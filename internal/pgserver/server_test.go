package pgserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
)

// start runs a TLS-only, durable server, as the local environment's shared
// server runs, and stops it when the test ends.
func start(t *testing.T) *Server {
	t.Helper()
	return testproc.Start(t, "pgserver-", "PostgreSQL", func(baseDir string) (*Server, error) {
		dir, err := testproc.Root(baseDir, "pg")
		if err != nil {
			return nil, err
		}
		ca, err := pki.NewCA("pgserver test CA", time.Now())
		if err != nil {
			return nil, err
		}
		port, err := ports.Free()
		if err != nil {
			return nil, err
		}
		return Start(Options{
			Dir: dir, Host: "127.0.0.1", Port: port, AdminUser: "admin", Password: testproc.Password(),
			CA: ca, TLSOnly: true, Durable: true,
		})
	})
}

func login(s *Server, mode string) error {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return err
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Password, cfg.Database = s.Host, uint16(s.Port), s.User, s.Password, "postgres"
	cfg.Fallbacks = nil
	if cfg.TLSConfig, err = (dbms.TLS{Mode: mode, CA: s.CA}).ClientConfig(s.Host); err != nil {
		return err
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		return err
	}
	return c.Close(context.Background())
}

// TestTLSOnly: a TLS-only server takes verify-full logins against the CA it
// was given and refuses plain text.
func TestTLSOnly(t *testing.T) {
	s := start(t)
	cases := map[string]struct {
		mode    string
		wantErr bool
	}{
		"VerifyFull": {mode: dbms.TLSVerifyFull},
		"PlainText":  {mode: dbms.TLSDisable, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := login(s, tc.mode)
			if (err != nil) != tc.wantErr {
				t.Errorf("login with sslmode %s: error %v, want error: %t", tc.mode, err, tc.wantErr)
			}
		})
	}
}

// TestStopLeftover stops a server by its pid file only when that PID is the
// server's: a pid file naming another process leaves that process alone.
func TestStopLeftover(t *testing.T) {
	s := start(t)

	// A stale pid file naming this test's process, which does not work in
	// the data directory, as a PID the system has reused would.
	stale := t.TempDir()
	if err := os.WriteFile(filepath.Join(stale, PostmasterPIDFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := StopLeftover(stale); err != nil {
		t.Errorf("StopLeftover on a reused PID: %v", err)
	}
	if !Running(os.Getpid()) {
		t.Fatal("StopLeftover stopped a process that is not the data directory's postmaster")
	}
	if err := StopLeftover(t.TempDir()); err != nil {
		t.Errorf("StopLeftover without a pid file: %v", err)
	}

	pid, err := PostmasterPID(s.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := StopLeftover(s.DataDir()); err != nil {
		t.Fatal(err)
	}
	if Running(pid) {
		t.Errorf("the postmaster %d still runs after StopLeftover", pid)
	}
	// The test's cleanup stops the server again.
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
}
