package executor

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// guard bounds how long a test waits for a call that must return; it is
// no timing assertion: a call that does not return blocks far longer.
const guard = 2 * time.Minute

// unixServer listens on a socket below dir and serves every connection
// with serve until the test ends.
func unixServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return path
}

// echo answers each line with itself.
func echo(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := c.Write([]byte(line)); err != nil {
			return
		}
	}
}

// silent reads and never answers, as a server that stopped would.
func silent(c net.Conn) { _, _ = bufio.NewReader(c).ReadString(0) }

func roundTrip(c net.Conn, line string) (string, error) {
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(got, "\n"), err
}

// readReturns reads from c and fails the test if the read has not
// returned within guard.
func readReturns(t *testing.T, c net.Conn) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(guard):
		t.Fatal("a read past its deadline did not return")
		return nil
	}
}

// TestDialUnix reaches a unix socket on the machine through each executor:
// directly on this host, and over SSH through the streamlocal channel.
// Deadlines hold on both, so a server that stops answering cannot hold a
// caller past its context.
func TestDialUnix(t *testing.T) {
	echoPath := unixServer(t, echo)
	silentPath := unixServer(t, silent)
	ctx := context.Background()
	for name, e := range executors(t) {
		d, ok := e.(UnixDialer)
		if !ok {
			t.Fatalf("%s: not a UnixDialer", name)
		}
		t.Run(name, func(t *testing.T) {
			t.Run("RoundTrip", func(t *testing.T) {
				c, err := d.DialUnix(ctx, echoPath)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				// A deadline cleared before it passes leaves the
				// connection as it was.
				if err := c.SetDeadline(time.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
				if err := c.SetDeadline(time.Time{}); err != nil {
					t.Fatal(err)
				}
				for _, line := range []string{"one", "two"} {
					if got, err := roundTrip(c, line); err != nil || got != line {
						t.Errorf("round trip of %q: %q, %v", line, got, err)
					}
				}
			})
			t.Run("MissingSocket", func(t *testing.T) {
				missing := filepath.Join(t.TempDir(), "none")
				_, err := d.DialUnix(ctx, missing)
				if err == nil || !strings.Contains(err.Error(), missing) {
					t.Errorf("dialling a missing socket: %v, want an error naming %s", err, missing)
				}
			})
			t.Run("CanceledContext", func(t *testing.T) {
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				if c, err := d.DialUnix(cctx, echoPath); err == nil {
					_ = c.Close()
					t.Error("dialling with a canceled context succeeded")
				}
			})
			for dname, deadline := range map[string]func() time.Time{
				// What pgx does to interrupt a query whose context ended.
				"PastDeadline":   func() time.Time { return time.Unix(1, 0) },
				"FutureDeadline": func() time.Time { return time.Now().Add(50 * time.Millisecond) },
			} {
				t.Run(dname, func(t *testing.T) {
					c, err := d.DialUnix(ctx, silentPath)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					if _, err := c.Write([]byte("query")); err != nil {
						t.Fatal(err)
					}
					if err := c.SetReadDeadline(deadline()); err != nil {
						t.Fatal(err)
					}
					err = readReturns(t, c)
					var ne net.Error
					if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
						t.Errorf("a read past its deadline: %v, want a timeout error", err)
					}
				})
			}
		})
	}
}
