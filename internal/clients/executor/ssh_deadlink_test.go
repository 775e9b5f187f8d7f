package executor

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
)

// freezer forwards TCP connections to a server until it is frozen; then it
// stops forwarding without closing anything, as a link that went dead does.
type freezer struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln}
	t.Cleanup(f.close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, s)
			f.mu.Unlock()
			go f.pipe(c, s)
			go f.pipe(s, c)
		}
	}()
	return f
}

// pipe copies from src to dst until frozen; once frozen, what it reads is
// dropped.
func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		f.mu.Lock()
		frozen := f.frozen
		f.mu.Unlock()
		if frozen {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = true
}

func (f *freezer) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
}

// TestRunOnDeadLink: a command on a connection whose link went dead returns
// when its context ends, instead of waiting for the session to open until
// TCP gives up. A reconcile stuck there held a partitioned primary's
// failover for minutes.
func TestRunOnDeadLink(t *testing.T) {
	srv := sshtest.Start(t)
	f := newFreezer(t, srv.Addr())
	e, _, err := dial(t, Config{Address: f.ln.Addr().String(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := e.Run(context.Background(), "echo ok", nil); err != nil || res.Stdout != "ok\n" {
		t.Fatalf("Run before the link went dead: %+v, %v", res, err)
	}

	f.freeze()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.Run(ctx, "echo ok", nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run on a dead link: got %v, want an error wrapping context.DeadlineExceeded", err)
		}
	case <-time.After(2 * time.Minute):
		// Not a timing assertion: without the fix Run waits for TCP to give
		// up, which takes far longer than this.
		t.Fatal("Run on a dead link did not return after its context ended")
	}
}
