package sshtest

import (
	osuser "os/user"
	"strconv"
	"syscall"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// A login is the local user that commands run as, as sshd runs a logged-in
// user's commands with that user's IDs.
type login struct {
	name string
	home string
	cred *syscall.Credential
}

// RunAs makes commands of sessions opened after it run as the local user
// name, with its user and group IDs and supplementary groups from the user
// database, HOME, USER and LOGNAME set as a login sets them. Tests use it to
// drive a machine whose login user is not root (sudo, say). The test must
// run as root to switch user.
func (s *Server) RunAs(t testing.TB, name string) {
	t.Helper()
	integration.Needs(t, "root, to run commands as another user")
	u, err := osuser.Lookup(name)
	if err != nil {
		t.Fatalf("cannot look up user %s: %v", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	gids, err := u.GroupIds()
	if err != nil {
		t.Fatalf("cannot look up the groups of %s: %v", name, err)
	}
	groups := make([]uint32, 0, len(gids))
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, uint32(n))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.login = &login{name: name, home: u.HomeDir, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}
}

// credential is who commands run as: nil for the test's own user.
func (s *Server) credential() *syscall.Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.login == nil {
		return nil
	}
	return s.login.cred
}
