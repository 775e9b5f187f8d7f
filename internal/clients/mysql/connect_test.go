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

package mysql

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// sessionValue reads a session variable or status over the client's pool.
func sessionValue(t *testing.T, c *Client, q string) string {
	t.Helper()
	var name, v string
	if err := c.db.QueryRowContext(context.Background(), q).Scan(&name, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestConnectTLS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := map[string]struct {
		reason string
		tls    dbms.TLS
		want   string // "plain", "tls" or "error"
	}{
		"Disable":       {reason: "disable never uses TLS", tls: dbms.TLS{Mode: dbms.TLSDisable}, want: "plain"},
		"Prefer":        {reason: "prefer uses TLS when the server offers it, unverified", tls: dbms.TLS{Mode: dbms.TLSPrefer}, want: "tls"},
		"Default":       {reason: "an empty mode is verify-full: a server whose certificate the client's CA did not sign is refused", want: "error"},
		"DefaultWithCA": {reason: "an empty mode is verify-full: with the CA that signed the server's certificate it connects over TLS", tls: dbms.TLS{CA: srv(t).CA}, want: "tls"},
		"Require":       {reason: "require insists on TLS without verifying", tls: dbms.TLS{Mode: dbms.TLSRequire}, want: "tls"},
		"VerifyCA":      {reason: "verify-ca checks the chain", tls: dbms.TLS{Mode: dbms.TLSVerifyCA, CA: srv(t).CA}, want: "tls"},
		"VerifyFull":    {reason: "verify-full checks the chain and the name", tls: dbms.TLS{Mode: dbms.TLSVerifyFull, CA: srv(t).CA}, want: "tls"},
		"VerifyNoCA":    {reason: "verify-full without the CA fails: the system roots did not sign it", tls: dbms.TLS{Mode: dbms.TLSVerifyFull}, want: "error"},
		"VerifyName":    {reason: "verify-full fails when the certificate does not name the host", tls: dbms.TLS{Mode: dbms.TLSVerifyFull, CA: srv(t).CA, ServerName: "db.example.com"}, want: "error"},
		"UnknownMode":   {reason: "an unknown mode is refused", tls: dbms.TLS{Mode: "allow"}, want: "error"},
		"VerifyCAName":  {reason: "verify-ca does not check the name", tls: dbms.TLS{Mode: dbms.TLSVerifyCA, CA: srv(t).CA, ServerName: "db.example.com"}, want: "tls"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := adminConfig(t)
			cfg.TLS = tc.tls
			c, err := Connect(ctx, cfg)
			if tc.want == "error" {
				if err == nil {
					_ = c.Close(ctx)
					t.Fatalf("%s: Connect succeeded", tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			defer func() { _ = c.Close(ctx) }()
			cipher := sessionValue(t, c, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")
			if got := map[bool]string{true: "tls", false: "plain"}[cipher != ""]; got != tc.want {
				t.Errorf("%s: connection is %s (cipher %q), want %s", tc.reason, got, cipher, tc.want)
			}
		})
	}
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()

	// A listener that accepts and never speaks, like a server that hangs.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanup, not defer: the parallel subtests run after this returns.
	t.Cleanup(func() { _ = silent.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, conn)
		}
	}()

	cases := map[string]struct {
		reason string
		mutate func(*dbms.Config)
		want   []string
	}{
		"Unreachable": {
			reason: "a closed port says the connection was refused",
			mutate: func(c *dbms.Config) { c.Port = closedPort },
			want:   []string{"cannot connect to MariaDB", "connection refused"},
		},
		"WrongPassword": {
			reason: "a refused login says access was denied",
			mutate: func(c *dbms.Config) { c.Password = "wrong" },
			want:   []string{"cannot connect to MariaDB", "Access denied"},
		},
		"Timeout": {
			reason: "a server that does not answer times out, and says so",
			mutate: func(c *dbms.Config) {
				c.Port = silent.Addr().(*net.TCPAddr).Port
				c.ConnectTimeout = 300 * time.Millisecond
			},
			want: []string{"cannot connect to MariaDB", "no answer within 300ms"},
		},
		"UnknownEngine": {
			reason: "only MySQL and MariaDB are spoken",
			mutate: func(c *dbms.Config) { c.Engine = dbms.PostgreSQL },
			want:   []string{`engine "postgresql" is not MySQL or MariaDB`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := adminConfig(t)
			tc.mutate(&cfg)
			start := time.Now()
			c, err := Connect(ctx, cfg)
			if err == nil {
				_ = c.Close(ctx)
				t.Fatalf("%s: Connect succeeded", tc.reason)
			}
			t.Logf("error: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q does not contain %q", tc.reason, err, w)
				}
			}
			if strings.Contains(err.Error(), srv(t).Password) {
				t.Errorf("the error shows the password: %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s: took %s", tc.reason, d)
			}
		})
	}
}

// TestSessionSettings checks what quoteString relies on, on every
// connection of the pool: no NO_BACKSLASH_ESCAPES, whatever the server's
// default, and utf8mb4.
func TestSessionSettings(t *testing.T) {
	ctx := context.Background()
	// Sequential: it changes the server's default mode, which the parallel
	// tests, that run after it, must not see.
	exec(t, "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES,ANSI_QUOTES')")
	defer exec(t, "SET GLOBAL sql_mode = REPLACE(REPLACE(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES', ''), ',ANSI_QUOTES', '')")
	c := newClient(t)
	mode := sessionValue(t, c, "SHOW SESSION VARIABLES LIKE 'sql_mode'")
	if strings.Contains(mode, "NO_BACKSLASH_ESCAPES") || !strings.Contains(mode, "ANSI_QUOTES") || !strings.Contains(mode, "STRICT_TRANS_TABLES") {
		t.Errorf("session sql_mode = %q, want the server's without NO_BACKSLASH_ESCAPES", mode)
	}
	if cs := sessionValue(t, c, "SHOW SESSION VARIABLES LIKE 'character_set_client'"); cs != "utf8mb4" {
		t.Errorf("character_set_client = %q, want utf8mb4", cs)
	}
	// And names with backslashes and quotes are stored as given.
	u := dbms.UserName{Name: `a\'b\\`, Host: `h\%`}
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: `p\'`}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.DropUser(ctx, u, nil) }()
	if got := srv(t).Names(t, "SELECT CONCAT(User, '|', Host) FROM mysql.global_priv WHERE User LIKE 'a%b%'"); len(got) != 1 || got[0] != `a\'b\\|h\%` {
		t.Errorf("stored accounts = %q, want [%q]", got, `a\'b\\|h\%`)
	}
}
