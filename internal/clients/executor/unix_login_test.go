package executor_test

import (
	"bufio"
	"context"
	"net"
	"os"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

// peerListener listens on path, made connectable by every user as
// PostgreSQL makes its socket (unix_socket_permissions 0777), and sends
// the user ID of each connection's peer, as the kernel reports it (what
// peer authentication reads), on the returned channel.
func peerListener(t *testing.T, path string) <-chan uint32 {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	if err := os.Chmod(path, 0o777); err != nil {
		t.Fatal(err)
	}
	peers := make(chan uint32, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			raw, err := c.(*net.UnixConn).SyscallConn()
			if err == nil {
				_ = raw.Control(func(fd uintptr) {
					if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
						peers <- cred.Uid
					}
				})
			}
			// Answer one line, to show the connection carries data.
			line, _ := bufio.NewReader(c).ReadString('\n')
			_, _ = c.Write([]byte(line))
			_ = c.Close()
		}
	}()
	return peers
}

// TestDialUnixAsLoginUser reaches unix sockets on a test host through its
// real OpenSSH sshd, logged in as a user that is not root (with sudo, as a
// cloud VM's default user). sshd connects to the socket as the login user,
// whatever sudo allows its commands: a socket in a directory every user
// may enter is reached, and the socket's peer is the login user, which is
// what PostgreSQL's peer authentication sees; a socket in a directory only
// root may enter is refused, with an error naming the socket.
func TestDialUnixAsLoginUser(t *testing.T) {
	integration.Needs(t, "root, ip netns and sshd (make deps)")
	n := testhost.NewNetwork(t)
	h := n.Host(t, "unix", testhost.WithSudoUser())
	login, err := osuser.Lookup(h.User())
	if err != nil {
		t.Fatal(err)
	}
	uid, err := strconv.ParseUint(login.Uid, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	e := h.Executor(t)

	open := filepath.Join(h.Dir(), "open")
	private := filepath.Join(h.Dir(), "private")
	for dir, mode := range map[string]os.FileMode{open: 0o755, private: 0o700} {
		if err := os.Mkdir(dir, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	openPeers := peerListener(t, filepath.Join(open, "s"))
	privatePeers := peerListener(t, filepath.Join(private, "s"))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := e.DialUnix(ctx, filepath.Join(open, "s"))
	if err != nil {
		t.Fatalf("the login user cannot reach a socket in a directory every user may enter: %v", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := bufio.NewReader(c).ReadString('\n'); err != nil || got != "hello\n" {
		t.Errorf("round trip over the socket: %q, %v", got, err)
	}
	select {
	case peer := <-openPeers:
		if uint64(peer) != uid {
			t.Errorf("the socket's peer is user %d, want the login user %s (%d)", peer, h.User(), uid)
		}
		// PeerUser names the user the server saw: the name pg_ident.conf
		// must map.
		if name, err := e.PeerUser(); err != nil || name != h.User() {
			t.Errorf("PeerUser = %q, %v; want %q, the user whose uid the server saw", name, err, h.User())
		}
	case <-ctx.Done():
		t.Fatal("the socket's server saw no connection")
	}

	path := filepath.Join(private, "s")
	if c, err := e.DialUnix(ctx, path); err == nil {
		_ = c.Close()
		t.Errorf("the login user reached %s, in a directory only root may enter", path)
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("refused dial: %v, want an error naming %s", err, path)
	}
	select {
	case peer := <-privatePeers:
		t.Errorf("the socket in root's private directory accepted a connection from user %d", peer)
	default:
	}
}
