package postgresql

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// checkAdminOverSocket checks that the provider's admin session is on the
// member's unix socket, and that it needs no password there: one that the
// server would refuse over TCP still gets the session.
func checkAdminOverSocket(t *testing.T, i *Instance) {
	t.Helper()
	ctx := context.Background()
	c, err := i.ConnectAdmin(ctx, "not the admin password")
	if err != nil {
		t.Fatalf("ConnectAdmin over the socket, with a password the server does not hold: %v", err)
	}
	defer c.Close(ctx)
	var onSocket bool
	var user string
	if err := c.QueryRow(ctx, "SELECT inet_server_addr() IS NULL, current_user").Scan(&onSocket, &user); err != nil {
		t.Fatal(err)
	}
	if !onSocket || user != i.AdminUser {
		t.Errorf("the admin session: on the unix socket %v as %q, want true as %q", onSocket, user, i.AdminUser)
	}
}

// checkAdminPeerMap checks the rest of the admin's way in on a running
// member with the provider's pg_hba.conf: over the socket the engine user
// (the server's own tools) comes in as the admin too; any other OS user is
// refused by PostgreSQL's peer check; over TCP pg_hba.conf refuses the
// admin, with its right password, TLS verified, from the provider's own
// address.
func checkAdminPeerMap(t *testing.T, i *Instance, password string) {
	t.Helper()
	ctx := context.Background()
	psql, err := i.bin(ctx, "psql")
	if err != nil {
		t.Fatal(err)
	}
	login := func(asOS, group string) (executor.Result, error) {
		cmd := executor.ShellCommand("setpriv", "--reuid="+asOS, "--regid="+group, "--init-groups", "--",
			psql, "-X", "-A", "-t", "-h", i.SocketDir(), "-p", strconv.Itoa(int(i.Port)), "-U", i.AdminUser, "-d", "postgres", "-c", "SELECT current_user")
		return i.Exec.Run(ctx, cmd, nil)
	}
	t.Run("EngineUserMapped", func(t *testing.T) {
		res, err := login(engineUser, engineUser)
		if err != nil || res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != i.AdminUser {
			t.Errorf("the engine user as the admin over the socket: %+v, %v; want %q", res, err, i.AdminUser)
		}
	})
	t.Run("OtherOSUserRefused", func(t *testing.T) {
		res, err := login("nobody", "nogroup")
		if err != nil {
			t.Fatal(err)
		}
		want := `Peer authentication failed for user "` + i.AdminUser + `"`
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, want) {
			t.Errorf("nobody as the admin over the socket: exit %d, %q; want %q", res.ExitCode, res.Stderr, want)
		}
	})
	t.Run("RefusedSessionSaysWhy", func(t *testing.T) {
		// A map without the provider's OS user: the server runs and
		// refuses the provider's session, and Status says so in
		// PostgreSQL's words instead of only "not ready".
		foreign := "# not the provider's\n" + identMap + "  nobody  " + hbaName(i.AdminUser) + "\n"
		if err := i.writeFile(ctx, i.identPath(), []byte(foreign), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = i.Reload(ctx, password, nil) // refused: signals the server instead
		var (
			s   Status
			err error
		)
		wait.For(t, time.Minute, "the refused admin session in Status", func() (bool, string) {
			s, err = i.Status(ctx, password)
			return err == nil && s.Running && !s.Ready && strings.Contains(s.Unanswered, "Peer authentication failed"), fmt.Sprintf("%+v, %v", s, err)
		})
		t.Logf("unanswered: %s", s.Unanswered)
		if changed, err := i.writeHBA(ctx); err != nil || !changed {
			t.Fatalf("writeHBA: changed %v, %v; want the provider's map written again", changed, err)
		}
		_, _ = i.Reload(ctx, password, nil)
		wait.For(t, time.Minute, "the admin session back after the map is put right", func() (bool, string) {
			s, err = i.Status(ctx, password)
			return err == nil && s.Ready && s.Unanswered == "", fmt.Sprintf("%+v, %v", s, err)
		})
	})
	t.Run("SuperuserRefusedOverTCP", func(t *testing.T) {
		c, err := i.Connect(ctx, i.AdminUser, password, "postgres")
		if err == nil {
			_ = c.Close(ctx)
		}
		if !rejectedByHBA(err) {
			t.Errorf("the admin over TCP with its password: err = %v; want PostgreSQL's refusal (28000, pg_hba.conf rejects connection)", err)
		}
	})
}
