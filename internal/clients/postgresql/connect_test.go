package postgresql

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// TestConnectTimeout: a server that accepts and never answers fails the
// connection within the configured time, with a message that says so and
// no password in it.
func TestConnectTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	cfg := dbms.Config{Engine: dbms.PostgreSQL, Host: "127.0.0.1", Port: port, User: "u", Password: "hunter2-secret",
		TLS: dbms.TLS{Mode: dbms.TLSDisable}, ConnectTimeout: 200 * time.Millisecond}
	done := make(chan error, 1)
	go func() {
		_, err := Connect(context.Background(), cfg)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("Connect to a silent server: err = %v, want a timeout", err)
		}
		if err != nil && strings.Contains(err.Error(), cfg.Password) {
			t.Error("the error shows the password")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Connect to a silent server did not give up")
	}
}
