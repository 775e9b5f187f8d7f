package executor

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
)

func dial(t *testing.T, cfg Config) (*SSH, string, error) {
	t.Helper()
	e, key, err := DialSSH(context.Background(), cfg)
	if err == nil {
		t.Cleanup(func() { _ = e.Close() })
	}
	return e, key, err
}

func fingerprint(t *testing.T, line string) string {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

func TestHostKeyPinning(t *testing.T) {
	srv := sshtest.Start(t)
	cfg := Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()}

	// First contact accepts the key and returns it for pinning.
	_, seen, err := dial(t, cfg)
	if err != nil {
		t.Fatalf("first contact: %v", err)
	}
	if seen != srv.HostKeyLine() {
		t.Fatalf("first contact returned host key %q, want the server's %q", seen, srv.HostKeyLine())
	}

	// With the key pinned, the same machine is let in and works.
	cfg.KnownHostKey = seen
	e, again, err := dial(t, cfg)
	if err != nil {
		t.Fatalf("pinned contact: %v", err)
	}
	if again != seen {
		t.Errorf("pinned contact returned %q, want %q", again, seen)
	}
	if res, err := e.Run(context.Background(), "echo ok", nil); err != nil || res.Stdout != "ok\n" {
		t.Errorf("Run over the pinned connection: %+v, %v", res, err)
	}

	// A rebuilt machine presents another key, which is refused.
	srv.RotateHostKey(t)
	_, _, err = dial(t, cfg)
	var changed *HostKeyChangedError
	if !errors.As(err, &changed) {
		t.Fatalf("want a *HostKeyChangedError, got %v", err)
	}
	want := HostKeyChangedError{Address: srv.Addr(), Pinned: fingerprint(t, seen), Presented: fingerprint(t, srv.HostKeyLine())}
	if *changed != want {
		t.Errorf("got %+v, want %+v", *changed, want)
	}
	for _, s := range []string{srv.Addr(), want.Pinned, want.Presented, "rebuilt", "clear"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestDialErrors(t *testing.T) {
	srv := sshtest.Start(t)
	wrongKey := sshtest.GenerateKeyPEM(t)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()

	// A port that accepts but never speaks SSH, like a machine still booting
	// behind a load balancer.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()

	cases := map[string]struct {
		cfg     Config
		mention []string
	}{
		"WrongKey": {
			cfg:     Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: wrongKey},
			mention: []string{srv.User() + "@" + srv.Addr(), "private key"},
		},
		"WrongUser": {
			cfg:     Config{Address: srv.Addr(), User: "nobody", PrivateKeyPEM: srv.ClientKeyPEM()},
			mention: []string{"nobody@" + srv.Addr()},
		},
		"ClosedPort": {
			cfg:     Config{Address: closedAddr, User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()},
			mention: []string{closedAddr, "connection refused"},
		},
		"NoHandshake": {
			cfg:     Config{Address: silent.Addr().String(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()},
			mention: []string{silent.Addr().String(), "no SSH handshake in time"},
		},
		"BadKey": {
			cfg:     Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: []byte("not a key")},
			mention: []string{"cannot parse the SSH private key"},
		},
		"BadPin": {
			cfg:     Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM(), KnownHostKey: "garbage"},
			mention: []string{"cannot parse the pinned SSH host key"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, _, err := DialSSH(ctx, tc.cfg)
			if err == nil {
				t.Fatal("DialSSH succeeded")
			}
			t.Log(err)
			for _, s := range tc.mention {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			// The private key never leaks into an error.
			for _, line := range strings.Split(string(tc.cfg.PrivateKeyPEM), "\n") {
				if len(line) > 8 && !strings.HasPrefix(line, "-----") && strings.Contains(err.Error(), line) {
					t.Errorf("error %q contains the private key", err)
				}
			}
		})
	}
}

// TestOneConnection shows commands share one connection, each in its own
// session, rather than logging in again for each.
func TestOneConnection(t *testing.T) {
	srv := sshtest.Start(t)
	e, _, err := dial(t, Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := e.Run(ctx, "true", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.WriteFile(ctx, t.TempDir()+"/f", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if srv.Connections() != 1 || srv.Sessions() != 4 {
		t.Errorf("connections %d, sessions %d; want 1, 4", srv.Connections(), srv.Sessions())
	}

	// After Close, commands fail rather than hang.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(ctx, "true", nil); err == nil || !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("Run after Close: want an error naming the address, got %v", err)
	}
}

// TestWriteScript pins the file-writing script: stdin goes to a temporary
// file beside the target, which is renamed into place only when complete.
func TestWriteScript(t *testing.T) {
	got := writeScript("/etc/my db/it's.conf", 0o640)
	want := strings.Join([]string{
		"set -e",
		`t=$(mktemp '/etc/my db/.it'\''s.conf.tmp-XXXXXX')`,
		`trap 'rm -f "$t"' EXIT`,
		`cat > "$t"`,
		`chmod 0640 "$t"`,
		`mv -f "$t" '/etc/my db/it'\''s.conf'`,
		"trap - EXIT",
	}, "\n")
	if got != want {
		t.Errorf("writeScript():\n%s\nwant:\n%s", got, want)
	}
}
