// Package runas runs servers as an unprivileged account of their own when
// this process is root, because database servers refuse to run as root: the
// tests' throwaway servers and the local environment's shared server alike.
package runas

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

const errHandOver = "cannot hand the server directory to its user"

// A User is the unprivileged account a server runs as when we run as root.
// When we do not run as root, the server runs as whoever runs us and User
// changes nothing.
type User string

// Command prepares bin to run as u when we are root. The credentials do
// what setpriv --reuid --regid --init-groups does.
func (u User) Command(bin string, args ...string) (*exec.Cmd, error) {
	cred, err := u.credential()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd, nil
}

// Chown gives dir and everything below it, or the file dir names, to u when
// we are root. The walk stays inside dir and changes symbolic links
// themselves, so a link placed in the tree cannot hand a file elsewhere to
// u.
func (u User) Chown(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	a, err := u.lookup()
	if err != nil {
		return err
	}
	uid, gid, err := u.ids(a)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(filepath.Dir(dir))
	if err != nil {
		return fmt.Errorf(errHandOver+": %w", err)
	}
	defer func() { _ = root.Close() }()
	err = fs.WalkDir(root.FS(), filepath.Base(dir), func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return root.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf(errHandOver+": %w", err)
	}
	return nil
}

// credential is u's identity, with its groups, when we are root; nil
// otherwise.
func (u User) credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	a, err := u.lookup()
	if err != nil {
		return nil, err
	}
	uid, gid, err := u.ids(a)
	if err != nil {
		return nil, err
	}
	gids, err := a.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("cannot look up the groups of user %s: %w", u, err)
	}
	groups := make([]uint32, 0, len(gids))
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad group id of user %s: %w", u, err)
		}
		groups = append(groups, uint32(n))
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}

func (u User) lookup() (*user.User, error) {
	a, err := user.Lookup(string(u))
	if err != nil {
		return nil, fmt.Errorf("cannot look up user %s: %w", u, err)
	}
	return a, nil
}

func (u User) ids(a *user.User) (int, int, error) {
	uid, err := strconv.Atoi(a.Uid)
	if err != nil {
		return 0, 0, fmt.Errorf("bad uid of user %s: %w", u, err)
	}
	gid, err := strconv.Atoi(a.Gid)
	if err != nil {
		return 0, 0, fmt.Errorf("bad gid of user %s: %w", u, err)
	}
	return uid, gid, nil
}
