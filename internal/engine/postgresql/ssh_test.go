package postgresql

import (
	"context"
	"io"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// overSSH returns an executor that reaches this host through the test's SSH
// server, as the provider reaches a machine; sudo has it run every command
// through sudo -n, as for a login user that is not root.
func overSSH(t *testing.T, srv *sshtest.Server, sudo bool) *executor.SSH {
	t.Helper()
	x, _, err := executor.DialSSH(context.Background(), executor.Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM(), Sudo: sudo})
	if err != nil {
		t.Fatalf("DialSSH: %v", err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

// sshMember returns a member on its own SSH connection that listens on
// host, a loopback address of its own, with a certificate for that
// address, so that the provider and the other member reach it only where
// it listens.
func sshMember(t *testing.T, x executor.Executor, dir, host string, ca pki.Pair) *Instance {
	t.Helper()
	cert, err := pki.IssueServer(ca, []string{host}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	i := NewInstance(x, dir, "pg", "15", freePort(t), "admin")
	i.Host = host
	i.Peers = []string{"127.0.0.2", "127.0.0.3"}
	// Applications come from a network that is not the provider's, as on
	// a VM: only the provider's own roles' lines let the provider in.
	i.Apps = []string{"192.0.2.0/24"}
	i.TLS = &TLS{Cert: cert.Cert, Key: cert.Key, CA: ca.Cert}
	stopOnCleanup(t, i)
	return i
}

// configureMember writes a member's settings, as a primary (no primary
// given) or as a replica streaming from primary, and starts it or has it
// take them up.
func configureMember(t *testing.T, i *Instance, member, admin string, primary *Instance) {
	t.Helper()
	ctx := context.Background()
	s := i.Settings(nil, nil, nil)
	s.Replication = &Replication{Member: member}
	if primary != nil {
		s.Replication.PrimaryConnInfo = ConnInfo(primary.Host, primary.Port, member, i.PassFile(), i.CAFile())
		s.Replication.PrimarySlotName = SlotName(member)
	}
	changed, err := i.Configure(ctx, s)
	if err != nil {
		t.Fatalf("Configure %s: %v", member, err)
	}
	if _, err := i.AllowReplication(ctx); err != nil {
		t.Fatalf("AllowReplication %s: %v", member, err)
	}
	if err := i.Apply(ctx, admin, changed); err != nil {
		t.Fatalf("Apply %s: %v", member, err)
	}
}

// TestReplicationOverSSH runs a primary, a replica that streams from it,
// a switchover and the former primary's rejoin entirely through executors
// that reach this host over SSH (one of them through sudo), with TLS and
// each member on its own loopback address: the engine needs nothing of the
// provider's host but its executor and the network. The provider's admin
// sessions go through each member's unix socket over SSH.
func TestReplicationOverSSH(t *testing.T) {
	integration.Needs(t, "PostgreSQL 15 and root, for members run over SSH")
	ctx := context.Background()
	const admin, repl = "admin:pw", "repl-pw"
	srv := sshtest.Start(t)
	ca, err := pki.NewCA("engine over SSH", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := testenv.SharedDir(t)
	ax, bx := &counting{SSH: overSSH(t, srv, false)}, &counting{SSH: overSSH(t, srv, true)}
	a := sshMember(t, ax, filepath.Join(dir, "a"), "127.0.0.2", ca)
	b := sshMember(t, bx, filepath.Join(dir, "b"), "127.0.0.3", ca)

	// a is the primary.
	if err := a.Init(ctx, admin); err != nil {
		t.Fatalf("Init: %v", err)
	}
	configureMember(t, a, "a", admin, nil)
	if !running(t, a) {
		t.Fatal("primary a does not run after Apply")
	}
	// The provider administers a over its unix socket, through SSH.
	checkAdminOverSocket(t, a)
	checkAdminPeerMap(t, a, admin)
	// The provider's roles are made before any replica, which has them
	// from its copy on.
	checkProviderRoles(t, a, admin)
	checkRewindRole(t, a, admin)
	if err := a.EnsureReplication(ctx, admin, repl, []string{SlotName("b")}, true); err != nil {
		t.Fatalf("EnsureReplication: %v", err)
	}
	// Again: the replication user's password is in place and stays, though
	// pg_hba lets that user in from here for replication only.
	made := replicationVerifier(ctx, t, a, admin)
	if err := a.EnsureReplication(ctx, admin, repl, []string{SlotName("b")}, false); err != nil {
		t.Fatalf("EnsureReplication again: %v", err)
	}
	if replicationVerifier(ctx, t, a, admin) != made {
		t.Errorf("EnsureReplication again: the replication user's password was set again")
	}

	// b copies a over the network and streams from it.
	if err := b.InitReplica(ctx, a.Host, a.Port, SlotName("b"), repl); err != nil {
		t.Fatalf("InitReplica: %v", err)
	}
	if !initialized(t, b) || !standby(t, b) {
		t.Fatalf("InitReplica: want b initialized and a standby, got %v and %v", initialized(t, b), standby(t, b))
	}
	configureMember(t, b, "b", admin, a)
	writeAndSee(t, a, b, admin)
	waitStreaming(t, a, admin, "b")
	lookOverSudo(t, b, bx, a, admin)

	// Switchover: a stops cleanly and is fenced, b replays all of it and
	// is promoted.
	if err := a.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	lsn, err := a.CheckpointLSN(ctx)
	if err != nil || lsn == "" {
		t.Fatalf("CheckpointLSN: %q, %v", lsn, err)
	}
	if err := b.WaitReplayed(ctx, admin, lsn, time.Minute); err != nil {
		t.Fatalf("WaitReplayed(%s): %v", lsn, err)
	}
	// The stopped primary's fence is one command.
	before := ax.commands.Load()
	if err := a.Fence(ctx, 1); err != nil {
		t.Fatalf("Fence: %v", err)
	}
	if n := ax.commands.Load() - before; n != 1 {
		t.Errorf("Fence of a stopped server: want 1 command, got %d", n)
	}
	if epoch, fenced, err := a.Fenced(ctx); err != nil || !fenced || epoch != 1 {
		t.Fatalf("Fenced: want epoch 1, got %d %v %v", epoch, fenced, err)
	}
	if err := b.Promote(ctx, admin, false); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if standby(t, b) {
		t.Error("Promote: want standby.signal gone")
	}
	configureMember(t, b, "b", admin, nil)
	if err := b.EnsureReplication(ctx, admin, repl, []string{SlotName("a")}, true); err != nil {
		t.Fatalf("EnsureReplication on the new primary: %v", err)
	}

	// a rejoins as b's replica with pg_rewind, which reaches b at its
	// address as the rewind role, and streams from it.
	if err := a.Rejoin(ctx, b, admin); err != nil {
		t.Fatalf("Rejoin: %v", err)
	}
	if a.IsFenced(ctx) || !standby(t, a) {
		t.Errorf("Rejoin: want the fence lifted and standby.signal, fenced %v standby %v", a.IsFenced(ctx), standby(t, a))
	}
	if _, err := a.WritePassFile(ctx, repl); err != nil {
		t.Fatal(err)
	}
	configureMember(t, a, "a", admin, b)
	bc, err := b.ConnectAdmin(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close(ctx)
	if _, err := bc.Exec(ctx, "INSERT INTO t VALUES ('after')"); err != nil {
		t.Fatalf("write on the new primary: %v", err)
	}
	waitRow(t, a, admin, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "after,before")
	waitStreaming(t, b, admin, "a")
	as, err := a.Status(ctx, admin)
	if err != nil || !as.InRecovery {
		t.Errorf("former primary: want it in recovery, got %+v, %v", as, err)
	}
	if srv.Sessions() == 0 {
		t.Error("no command reached the SSH server")
	}
}

// waitStreaming waits until the primary p reports member streaming from it.
func waitStreaming(t *testing.T, p *Instance, admin, member string) {
	t.Helper()
	var got Senders
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, err = p.Senders(context.Background(), admin)
		if err == nil && got.ByName[member].State == "streaming" {
			return
		}
	}
	t.Errorf("%s does not stream from the primary on port %d: %+v, %v", member, p.Port, got, err)
}

// counting is an SSH executor that counts the commands it runs, a file
// read or write being one.
type counting struct {
	*executor.SSH
	commands atomic.Int64
}

func (c *counting) Run(ctx context.Context, cmd string, stdin io.Reader) (executor.Result, error) {
	c.commands.Add(1)
	return c.SSH.Run(ctx, cmd, stdin)
}

func (c *counting) ReadFile(ctx context.Context, p string) ([]byte, error) {
	c.commands.Add(1)
	return c.SSH.ReadFile(ctx, p)
}

func (c *counting) WriteFile(ctx context.Context, p string, data []byte, mode fs.FileMode) error {
	c.commands.Add(1)
	return c.SSH.WriteFile(ctx, p, data, mode)
}

// lookOverSudo looks at the streaming replica r through sudo: a look is
// one command and one admin session, which report it initialized, a
// standby streaming from primary, with its settings current; checking
// and applying settings that did not change is one command each.
func lookOverSudo(t *testing.T, r *Instance, x *counting, primary *Instance, admin string) {
	t.Helper()
	ctx := context.Background()
	s := r.Settings(nil, nil, nil)
	s.Replication = &Replication{Member: "b", PrimaryConnInfo: ConnInfo(primary.Host, primary.Port, "b", r.PassFile(), r.CAFile()), PrimarySlotName: SlotName("b")}
	before := x.commands.Load()
	l, err := r.Look(ctx, admin, "true")
	if n := x.commands.Load() - before; n != 1 {
		t.Errorf("Look: want 1 command, got %d", n)
	}
	if err != nil || !l.Answered || !l.Initialized || !l.Standby || l.Fenced || !l.Also || !l.Running || !l.Ready || !l.InRecovery || !l.Streaming {
		t.Errorf("Look at a streaming replica: got %+v, %v", l, err)
	}
	if ok, err := r.Current(l.Sums, s); err != nil || !ok {
		t.Errorf("Current from the look's checksums: want true, got %v, %v", ok, err)
	}
	before = x.commands.Load()
	if ok, err := r.ConfigCurrent(ctx, s); err != nil || !ok {
		t.Errorf("ConfigCurrent: want true, got %v, %v", ok, err)
	}
	if changed, err := r.Configure(ctx, s); err != nil || len(changed) != 0 {
		t.Errorf("Configure with nothing to change: want no change, got %v, %v", changed, err)
	}
	if n := x.commands.Load() - before; n != 2 {
		t.Errorf("ConfigCurrent and Configure with nothing to change: want 1 command each, got %d in all", n)
	}
}
