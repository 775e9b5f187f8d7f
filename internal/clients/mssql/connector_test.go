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

package mssql

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
)

// testCA returns a self-signed CA certificate as PEM.
func testCA(t *testing.T) []byte {
	t.Helper()
	ca, err := pki.NewCA("test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ca.Cert
}

// A password with every character a connection string gives meaning to.
const trickyPassword = `p@ss;word={}'"&?=/%20 `

func TestMSDSNConfigConnection(t *testing.T) {
	type want struct {
		Host        string
		Port        uint64
		User        string
		Password    string
		Database    string
		DialTimeout time.Duration
		ConnTimeout time.Duration
		AppName     string
	}
	cases := map[string]struct {
		reason string
		cfg    dbms.Config
		want   want
	}{
		"Defaults": {
			reason: "An empty database is master, an empty port 1433, and the dial is bounded by the default timeout",
			cfg:    dbms.Config{Engine: dbms.SQLServer, Host: "db.example", User: "sa", Password: trickyPassword},
			want: want{
				Host: "db.example", Port: 1433, User: "sa", Password: trickyPassword, Database: "master",
				DialTimeout: dbms.DefaultConnectTimeout, AppName: appName,
			},
		},
		"Given": {
			reason: "Database, port and timeout are taken as given; ConnTimeout stays off so long statements are not cut short",
			cfg: dbms.Config{
				Host: "10.0.0.7", Port: 14330, User: "admin;x=1", Password: "pw", Database: "app]db",
				ConnectTimeout: 3 * time.Second,
			},
			want: want{
				Host: "10.0.0.7", Port: 14330, User: "admin;x=1", Password: "pw", Database: "app]db",
				DialTimeout: 3 * time.Second, AppName: appName,
			},
		},
		"IPv6": {
			reason: "An IPv6 address survives the connection string",
			cfg:    dbms.Config{Host: "::1", Port: 1433, User: "sa", Password: "pw"},
			want: want{
				Host: "::1", Port: 1433, User: "sa", Password: "pw", Database: "master",
				DialTimeout: dbms.DefaultConnectTimeout, AppName: appName,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := msdsnConfig(tc.cfg)
			if err != nil {
				t.Fatalf("%s\nmsdsnConfig: %v", tc.reason, err)
			}
			got := want{
				Host: p.Host, Port: p.Port, User: p.User, Password: p.Password, Database: p.Database,
				DialTimeout: p.DialTimeout, ConnTimeout: p.ConnTimeout, AppName: p.AppName,
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
			// The password was never part of the parsed string.
			for k, v := range p.Parameters {
				if k == msdsn.Password || k == msdsn.UserID || strings.Contains(v, tc.cfg.Password) {
					t.Errorf("%s\nthe parsed connection string holds %q = %q; credentials must only be set on the parsed configuration", tc.reason, k, v)
				}
			}
		})
	}
}

func TestMSDSNConfigEncryption(t *testing.T) {
	ca := testCA(t)
	type want struct {
		Encryption         msdsn.Encryption
		Trust              bool
		HasTLS             bool
		InsecureSkipVerify bool
		VerifiesChain      bool
		HasRoots           bool
		ServerName         string
		HostInCertificate  bool
		Err                bool
	}
	cases := map[string]struct {
		reason string
		tls    dbms.TLS
		want   want
	}{
		"Disable": {
			reason: "disable never uses TLS, not even for the login",
			tls:    dbms.TLS{Mode: dbms.TLSDisable},
			want:   want{Encryption: msdsn.EncryptionDisabled},
		},
		"VerifyFullByDefault": {
			reason: "An empty mode is verify-full: the whole session encrypted, the chain and the name checked",
			tls:    dbms.TLS{},
			want:   want{Encryption: msdsn.EncryptionRequired, HasTLS: true, ServerName: "db.example"},
		},
		"Prefer": {
			reason: "prefer is login-only encryption without verification",
			tls:    dbms.TLS{Mode: dbms.TLSPrefer},
			want:   want{Encryption: msdsn.EncryptionOff, Trust: true, HasTLS: true, InsecureSkipVerify: true, ServerName: "db.example"},
		},
		"Require": {
			reason: "require encrypts everything and, without a CA, trusts the server's certificate",
			tls:    dbms.TLS{Mode: dbms.TLSRequire},
			want:   want{Encryption: msdsn.EncryptionRequired, Trust: true, HasTLS: true, InsecureSkipVerify: true, ServerName: "db.example"},
		},
		"RequireWithCA": {
			reason: "require with a CA checks the chain against it (as libpq does) and does not trust blindly",
			tls:    dbms.TLS{Mode: dbms.TLSRequire, CA: ca},
			want:   want{Encryption: msdsn.EncryptionRequired, HasTLS: true, InsecureSkipVerify: true, VerifiesChain: true, ServerName: "db.example"},
		},
		"VerifyCA": {
			reason: "verify-ca encrypts and checks the chain, not the name",
			tls:    dbms.TLS{Mode: dbms.TLSVerifyCA, CA: ca},
			want:   want{Encryption: msdsn.EncryptionRequired, HasTLS: true, InsecureSkipVerify: true, VerifiesChain: true, ServerName: "db.example"},
		},
		"VerifyFull": {
			reason: "verify-full encrypts and has crypto/tls check chain and name",
			tls:    dbms.TLS{Mode: dbms.TLSVerifyFull, CA: ca},
			want:   want{Encryption: msdsn.EncryptionRequired, HasTLS: true, HasRoots: true, ServerName: "db.example"},
		},
		"VerifyFullSystemRoots": {
			reason: "verify-full without a CA checks against the system's roots",
			tls:    dbms.TLS{Mode: dbms.TLSVerifyFull},
			want:   want{Encryption: msdsn.EncryptionRequired, HasTLS: true, ServerName: "db.example"},
		},
		"ServerName": {
			reason: "An explicit server name is checked, and kept when the driver is routed to another host",
			tls:    dbms.TLS{Mode: dbms.TLSVerifyFull, CA: ca, ServerName: "sql.internal"},
			want:   want{Encryption: msdsn.EncryptionRequired, HasTLS: true, HasRoots: true, ServerName: "sql.internal", HostInCertificate: true},
		},
		"Unknown": {
			reason: "An unknown mode is refused",
			tls:    dbms.TLS{Mode: "strict"},
			want:   want{Err: true},
		},
		"BadCA": {
			reason: "A CA that is not PEM is refused",
			tls:    dbms.TLS{Mode: dbms.TLSVerifyCA, CA: []byte("not a certificate")},
			want:   want{Err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := msdsnConfig(dbms.Config{Host: "db.example", Port: 1433, User: "sa", Password: "pw", TLS: tc.tls})
			got := want{Err: err != nil}
			if err == nil {
				got.Encryption = p.Encryption
				got.Trust = p.TrustServerCertificate
				got.HostInCertificate = p.HostInCertificateProvided
				if tc := p.TLSConfig; tc != nil {
					got.HasTLS = true
					got.InsecureSkipVerify = tc.InsecureSkipVerify
					got.VerifiesChain = tc.VerifyPeerCertificate != nil
					got.HasRoots = tc.RootCAs != nil
					got.ServerName = tc.ServerName
					if !tc.DynamicRecordSizingDisabled {
						t.Errorf("%s\nthe TLS configuration must disable dynamic record sizing, as SQL Server expects", name)
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// silentServer accepts connections and never answers, like a host whose
// SQL Server hangs before the login completes.
func silentServer(t *testing.T) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		_ = l.Close()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				<-done
				_ = c.Close()
			}()
		}
	}()
	h, p, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(p)
	return h, n
}

// TestLoginTimeout shows that a server that accepts a connection and never
// answers fails a login within the connect timeout, even when the caller's
// context has no deadline (the driver does not watch it during the login).
func TestLoginTimeout(t *testing.T) {
	host, port := silentServer(t)
	cfg := dbms.Config{Engine: dbms.SQLServer, Host: host, Port: port, User: "sa", Password: trickyPassword,
		TLS: dbms.TLS{Mode: dbms.TLSDisable}, ConnectTimeout: 200 * time.Millisecond}

	cases := map[string]func() error{
		"Login": func() error { return login(context.Background(), cfg) },
		"Connect": func() error {
			_, err := Connect(context.Background(), cfg)
			return err
		},
	}
	for name, try := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			errc := make(chan error, 1)
			go func() { errc <- try() }()
			select {
			case err := <-errc:
				if err == nil {
					t.Fatal("logging in to a server that never answers succeeded")
				}
				if strings.Contains(err.Error(), trickyPassword) {
					t.Errorf("the error gives the password away: %v", err)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("the login failed after %s, want about the 200ms connect timeout", d)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the login did not give up within 10s; the connect timeout does not bound it")
			}
		})
	}
}

// TestDeadlineDialer shows that a dialled socket has the deadline until it
// is lifted, and none after.
func TestDeadlineDialer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	d := &deadlineDialer{timeout: 100 * time.Millisecond}

	// Before the deadline is lifted, a read that gets nothing times out.
	c1, err := d.DialContext(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	s1 := <-accepted
	defer s1.Close()
	if _, err := c1.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("a read under the login deadline returned %v, want a timeout", err)
	}

	// After it is lifted, a read waits past the old deadline for its data.
	c2, err := d.DialContext(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	s2 := <-accepted
	defer s2.Close()
	_ = c1.Close() // a connection the driver closed must not stop the lifting
	if err := d.lift(); err != nil {
		t.Fatalf("lift: %v", err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _ = s2.Write([]byte{1})
	}()
	if _, err := c2.Read(make([]byte, 1)); err != nil {
		t.Fatalf("a read after the deadline was lifted returned %v, want the byte sent after 300ms", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestConnectOtherEngine(t *testing.T) {
	_, err := Connect(context.Background(), dbms.Config{Engine: dbms.PostgreSQL, Host: "127.0.0.1", Port: 1})
	if err == nil || !strings.Contains(err.Error(), "postgresql") {
		t.Errorf("Connect with a PostgreSQL configuration: got %v, want an error naming the engine", err)
	}
}
