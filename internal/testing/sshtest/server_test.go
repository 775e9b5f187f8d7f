package sshtest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func dial(t *testing.T, s *Server) *ssh.Client {
	t.Helper()
	signer, err := ssh.ParsePrivateKey(s.ClientKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.HostKeyLine()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
		User:            s.User(),
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(pinned),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestExec(t *testing.T) {
	s := Start(t)
	c := dial(t, s)
	for i := range 2 {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		sess.Stdin = strings.NewReader("in")
		sess.Stdout, sess.Stderr = &out, &errOut
		err = sess.Run("cat; echo err >&2; exit 3")
		var exit *ssh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 3 {
			t.Fatalf("run %d: want exit status 3, got %v", i, err)
		}
		if out.String() != "in" || errOut.String() != "err\n" {
			t.Errorf("run %d: stdout %q, stderr %q; want \"in\", \"err\\n\"", i, out.String(), errOut.String())
		}
	}
	if s.Sessions() != 2 || s.Connections() != 1 {
		t.Errorf("sessions %d, connections %d; want 2, 1", s.Sessions(), s.Connections())
	}
}

func TestExitSignal(t *testing.T) {
	s := Start(t)
	sess, err := dial(t, s).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	err = sess.Run("kill -KILL $$")
	var exit *ssh.ExitError
	if !errors.As(err, &exit) || exit.Signal() != string(ssh.SIGKILL) {
		t.Fatalf("want exit-signal KILL, got %v", err)
	}
}

func TestRotateHostKey(t *testing.T) {
	s := Start(t)
	before := s.HostKeyLine()
	s.RotateHostKey(t)
	if s.HostKeyLine() == before {
		t.Fatal("the host key did not change")
	}
	// A client pinning the new key connects: the server presents it.
	dial(t, s)
}

func TestRefusesOtherKeys(t *testing.T) {
	s := Start(t)
	signer, err := ssh.ParsePrivateKey(GenerateKeyPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
		User:            s.User(),
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // Only authentication is under test.
	})
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("want an authentication error, got %v", err)
	}
	if s.Connections() != 0 {
		t.Errorf("connections %d; want 0", s.Connections())
	}
}

func TestSetEnv(t *testing.T) {
	s := Start(t)
	c := dial(t, s)
	run := func() string {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		out, err := sess.Output(`echo "[$DBAAS_SSHTEST]"`)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	s.SetEnv("DBAAS_SSHTEST=on")
	if got := run(); got != "[on]" {
		t.Errorf("with SetEnv: %s, want [on]", got)
	}
	s.SetEnv()
	if got := run(); got != "[]" {
		t.Errorf("after clearing: %s, want []", got)
	}
}
