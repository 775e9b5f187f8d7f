package backup_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/controller/backup"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/backuptest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestBackupFromStandby takes a prefer-standby Backup of a primary with
// two replicas on the local backend while a writer inserts on the primary
// throughout: the backup completes, read from a replica; the writer sees
// no error; and the backup, restored into a new data directory, holds
// every row committed before it started. A real API server, PostgreSQL 15,
// pgBackRest and an S3 store (versitygw over TLS); one instance serves
// every check.
func TestBackupFromStandby(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	store := s3test.Start(t)
	ctx := context.Background()
	c := env.Client
	const ns, name = "backup-standby", "db"

	base := backuptest.Fixture{NS: ns, Instance: name, VMs: []string{"a", "b", "c"}, Prefix: "/standby", Params: func(p *enginev1alpha1.DatabaseInstanceParameters) {
		p.Topology, p.Replicas = enginev1alpha1.TopologyPrimary, ptr.To[int32](2)
	}}.Create(t, env, store)
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{
		config.Setup, virtualmachine.Setup, databaseinstance.Setup, backup.Setup,
	}})

	// The choice of replica reads the instance's status: both replicas
	// streaming there, and archiving working, make a backup startable.
	di := &enginev1alpha1.DatabaseInstance{}
	wait.For(t, timeout, "the instance Ready, archiving, with two replicas streaming", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, di); err != nil {
			return false, err.Error()
		}
		r, a := di.GetCondition(xpv2.TypeReady), di.GetCondition(enginev1alpha1.TypeWALArchiving)
		var states []string
		n := 0
		for _, m := range di.Status.AtProvider.Members {
			states = append(states, m.VirtualMachine+"="+m.Role+"/"+m.Streaming)
			if m.Role == enginev1alpha1.RoleReplica && m.Streaming == "streaming" {
				n++
			}
		}
		return r.Status == corev1.ConditionTrue && a.Status == corev1.ConditionTrue && n == 2,
			fmt.Sprintf("Ready %s %s; WALArchiving %s %s; members %v", r.Status, r.Message, a.Status, a.Message, states)
	})
	primaryVM := di.Status.AtProvider.Primary

	// The writer inserts on the primary from before the backup starts
	// until after it completes, and records when each row was
	// acknowledged.
	primary := backuptest.PrimaryStanza(t, env, di)
	pw := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name + "-admin"}, pw); err != nil {
		t.Fatal(err)
	}
	conn, err := primary.Instance.ConnectAdmin(ctx, string(pw.Data["password"]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())"); err != nil {
		t.Fatal(err)
	}
	w := &writer{acked: map[int64]time.Time{}, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(ctx, conn)
	t.Cleanup(w.halt)
	wait.For(t, timeout, "the writer's first 50 rows", func() (bool, string) {
		n, err := w.count()
		return n >= 50, fmt.Sprintf("%d rows, error %v", n, err)
	})

	b := &v1alpha1.Backup{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "from-standby"},
		Spec: v1alpha1.BackupSpec{ForProvider: v1alpha1.BackupParameters{
			Instance: name, Type: v1alpha1.BackupFull, Method: v1alpha1.BackupFromPreferStandby,
		}},
	}
	if err := c.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	b = completed(t, env, b)
	at := b.Status.AtProvider
	if at.Member == primaryVM || (at.Member != "b" && at.Member != "c") {
		t.Errorf("the prefer-standby backup was read from %q; want a replica (b or c), not the primary %s", at.Member, primaryVM)
	}
	if at.Type != v1alpha1.BackupFull || at.StartTime == nil || at.StopTime == nil || at.StartLSN == "" || at.StopLSN == "" {
		t.Errorf("the backup's status: %+v", at)
	}
	// pgBackRest's own log on that replica's machine says it read the
	// replica: it waited for the replica to replay up to the backup's
	// start.
	if log := backupLog(t, env, di, at.Member); !strings.Contains(log, "replay on the standby reached") {
		t.Errorf("pgBackRest's backup log on %s does not say it read the standby:\n%s", at.Member, log)
	}
	// The writer goes on past the backup's end, then stops.
	n0, _ := w.count()
	wait.For(t, timeout, "the writer's rows after the backup", func() (bool, string) {
		n, err := w.count()
		return n >= n0+20, fmt.Sprintf("%d rows, error %v", n, err)
	})
	w.halt()
	if w.err != nil {
		t.Errorf("the writer on the primary failed during the backup from a replica, after %d rows: %v", len(w.acked), w.err)
	}
	t.Logf("the writer wrote %d rows; backup %s from %s, %s to %s", len(w.acked), at.Label, at.Member, at.StartTime.UTC().Format(time.RFC3339), at.StopTime.UTC().Format(time.RFC3339))

	// The backup restored into a new data directory (the engine's restore,
	// to the moment it became consistent) holds every row acknowledged
	// before it started. pgBackRest's times are whole seconds, cut down.
	restored := restoreBackup(t, base, store, ns, name, at.Label)
	var before []int64
	for id, ackAt := range w.acked {
		if ackAt.Before(at.StartTime.Time) {
			before = append(before, id)
		}
	}
	if len(before) == 0 {
		t.Fatalf("no row was acknowledged before the backup started at %s", at.StartTime.UTC().Format(time.RFC3339))
	}
	var missing []int64
	for _, id := range before {
		if !restored[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the restored backup lacks %d of the %d rows acknowledged before it started, such as %v", len(missing), len(before), missing[:min(5, len(missing))])
	}
	t.Logf("restored %d rows; all %d acknowledged before the backup started are there", len(restored), len(before))
}

// writer inserts one row at a time until halted, recording when each was
// acknowledged, and stops at its first error.
type writer struct {
	mu    sync.Mutex
	acked map[int64]time.Time
	err   error
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// run writes on conn until halted, then closes it.
func (w *writer) run(ctx context.Context, conn *pgx.Conn) {
	defer close(w.done)
	defer func() { _ = conn.Close(context.Background()) }()
	for {
		select {
		case <-w.stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
		var id int64
		err := conn.QueryRow(ctx, "INSERT INTO writes DEFAULT VALUES RETURNING id").Scan(&id)
		at := time.Now()
		w.mu.Lock()
		if err != nil {
			w.err = err
		} else {
			w.acked[id] = at
		}
		w.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (w *writer) count() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked), w.err
}

func (w *writer) halt() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// restoreBackup restores the backup label of the instance ns/name from
// the store into a new data directory below base, starts it on a port of
// its own, and returns the ids of table writes it holds.
func restoreBackup(t *testing.T, base string, store *s3test.Server, ns, name, label string) map[int64]bool {
	t.Helper()
	ctx := context.Background()
	port, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	dst := postgresql.NewInstance(executor.Local{}, filepath.Join(base, "restored"), name, "15", int32(port), "admin")
	stanza, err := backupstore.Stanza(ns, name)
	if err != nil {
		t.Fatal(err)
	}
	s := pgbackrest.New(dst, stanza, pgbackrest.Repo{Type: pgbackrest.RepoS3, Path: "/standby", S3: &pgbackrest.S3{
		Endpoint: store.Endpoint, Port: int32(store.Port), Bucket: store.Bucket, Region: store.Region,
		URIStyle: pgbackrest.URIStylePath, AccessKey: store.AccessKey, SecretKey: store.SecretKey,
	}})
	s.CA = store.CA
	if err := s.Restore(ctx, pgbackrest.Target{Type: pgbackrest.TargetImmediate, Set: label}); err != nil {
		t.Fatalf("restore of %s: %v", label, err)
	}
	// It listens on its own port and socket, and archives nowhere.
	if _, err := dst.Configure(ctx, dst.Settings(nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if err := dst.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Over the unix socket as the engine user (peer), since the restored
	// server keeps its source's pg_hba.conf but not its certificates.
	psql := func(sql string) (string, error) {
		res, err := dst.RunAsEngine(ctx, nil, nil, "psql", "-X", "-A", "-t", "-h", dst.SocketDir(), "-p", strconv.Itoa(port), "-d", "postgres", "-c", sql)
		return strings.TrimSpace(res.Stdout), err
	}
	wait.For(t, timeout, "the restored server promoted", func() (bool, string) {
		out, err := psql("SELECT pg_is_in_recovery()")
		return err == nil && out == "f", fmt.Sprintf("%q %v", out, err)
	})
	out, err := psql("SELECT id FROM writes")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, l := range strings.Fields(out) {
		id, err := strconv.ParseInt(l, 10, 64)
		if err != nil {
			t.Fatalf("row id %q: %v", l, err)
		}
		ids[id] = true
	}
	return ids
}

// backupLog is pgBackRest's backup log in the stanza's log directory on
// the member on vm.
func backupLog(t *testing.T, env *testenv.Env, di *enginev1alpha1.DatabaseInstance, vm string) string {
	t.Helper()
	ms, closeFn, err := databaseinstance.OpenMembers(context.Background(), env.Client, options.Options{}, di)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	stanza, err := backupstore.Stanza(di.Namespace, di.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.VM != vm {
			continue
		}
		s := pgbackrest.New(m.Instance, stanza, pgbackrest.Repo{})
		res, err := m.Instance.RunAsEngine(context.Background(), nil, nil, "cat", "--", filepath.Join(s.Config().LogPath, stanza+"-backup.log"))
		if err != nil {
			t.Fatalf("cannot read the backup log on %s: %v %s", vm, err, res.Stderr)
		}
		return res.Stdout
	}
	t.Fatalf("no member on %s", vm)
	return ""
}
