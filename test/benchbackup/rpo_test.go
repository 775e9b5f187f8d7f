package benchbackup

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/proccpu"
)

// BenchmarkRPO measures the seconds of acknowledged commits lost when the
// primary's machine is lost at a random moment and the instance is
// restored from its S3 repository to the end of the archive; see the
// package's documentation. The instance is small: what is measured is how
// much WAL had not reached the repository, not how fast it is copied.
func BenchmarkRPO(b *testing.B) {
	ctx := context.Background()
	r := newRig(b)
	src := r.instance(b, "rpo")
	st := pgbackrest.New(src, "rpo-s3", r.s3Repo("rpo"))
	archiving, err := st.Archiving(*archiveTimeout)
	if err != nil {
		b.Fatal(err)
	}
	start(ctx, b, src, archiving)
	if err := st.EnsureRole(ctx, adminPassword); err != nil {
		b.Fatal(err)
	}
	if err := st.StanzaCreate(ctx); err != nil {
		b.Fatalf("StanzaCreate: %v", err)
	}
	if err := st.Check(ctx); err != nil {
		b.Fatalf("Check: %v", err)
	}
	c := connect(ctx, b, src)
	if _, err := c.Exec(ctx, "CREATE TABLE trickle (id bigserial PRIMARY KEY, committed timestamptz NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Backup(ctx, pgbackrest.TypeFull); err != nil {
		b.Fatalf("Backup: %v", err)
	}
	_ = c.Close(ctx)

	var lost, restoreTook []float64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if i > 0 {
			// The crashed primary comes back by crash recovery, and its
			// archiver pushes what it had not.
			if err := src.Start(ctx); err != nil {
				b.Fatalf("Start after the crash: %v", err)
			}
		}
		w := startWriter(ctx, b, src)
		// A moment that falls anywhere in the cycles of archive_timeout.
		wait := *archiveTimeout + rand.N(2**archiveTimeout) //nolint:gosec // A moment to crash at, not a secret.
		time.Sleep(wait)
		// What the server itself says of its archiving at the crash: a
		// loss beyond archive_timeout is explained by a segment it could
		// not archive, or by one the restore could not replay.
		arch, archErr := src.ArchiverStatus(ctx, adminPassword)
		crash(b, src)
		acked, n := w.stop()

		dst := r.instance(b, "rpo-restore-"+strconv.Itoa(i))
		rs := &pgbackrest.Stanza{Instance: dst, Name: st.Name, Repo: st.Repo, CA: st.CA}
		t0 := time.Now()
		if err := rs.Restore(ctx, pgbackrest.Target{Type: pgbackrest.TargetLatest}); err != nil {
			b.Fatalf("Restore: %v", err)
		}
		configure(ctx, b, dst, nil)
		if err := dst.Start(ctx); err != nil {
			b.Fatalf("Start the restored server: %v", err)
		}
		rc, err := dst.Connect(ctx, adminUser, adminPassword, "postgres")
		if err != nil {
			b.Fatalf("Connect to the restored server: %v", err)
		}
		waitPromoted(ctx, b, rc)
		restoreTook = append(restoreTook, time.Since(t0).Seconds())
		var newest time.Time
		if err := rc.QueryRow(ctx, "SELECT max(committed) FROM trickle").Scan(&newest); err != nil {
			b.Fatal(err)
		}
		_ = rc.Close(ctx)
		l := lostSeconds(acked, newest)
		lost = append(lost, l)
		if info, err := st.Info(ctx); err == nil {
			b.Logf("crash %d: the repository's newest WAL %s; pg_stat_archiver at the crash: last archived %s at %s, %d failed, last failed %s at %s (%v)",
				i, info.WALMax, arch.LastArchived, arch.LastArchivedTime.Format("15:04:05.000"), arch.FailedCount, arch.LastFailed, arch.LastFailedTime.Format("15:04:05.000"), archErr)
		}
		b.Logf("crash %d: where the restored server's replay ended:\n%s", i, recoveryEnd(dst.LogFile()))
		b.Logf("crash %d, %s after the writer started (%d rows acknowledged): newest acknowledged commit %s, newest restored %s: %.2f s lost; restored and promoted in %.1f s",
			i, wait.Round(time.Millisecond), n, acked.Format("15:04:05.000"), newest.Format("15:04:05.000"), l, time.Since(t0).Seconds())
		if err := dst.Remove(ctx); err != nil {
			b.Errorf("Remove %s: %v", dst.Dir, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(median(lost), "s-lost-median")
	b.ReportMetric(maximum(lost), "s-lost-max")
	b.ReportMetric(archiveTimeout.Seconds(), "s-archive-timeout")
	b.ReportMetric(median(restoreTook), "s-restore-median")
}

// writer commits one row every -benchbackup.write-every with the server's
// clock as its commit time, and keeps the newest one acknowledged.
type writer struct {
	mu    sync.Mutex
	acked time.Time
	n     int
	done  chan struct{}
	quit  chan struct{}
}

// startWriter connects to i and starts writing; its connection fails when
// the server is killed, which ends it.
func startWriter(ctx context.Context, b *testing.B, i *postgresql.Instance) *writer {
	b.Helper()
	c, err := i.Connect(ctx, adminUser, adminPassword, "postgres")
	if err != nil {
		b.Fatalf("Connect the writer: %v", err)
	}
	w := &writer{done: make(chan struct{}), quit: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer c.Close(context.WithoutCancel(ctx))
		t := time.NewTicker(*writeEvery)
		defer t.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-t.C:
			}
			var at time.Time
			if err := c.QueryRow(ctx, "INSERT INTO trickle (committed) VALUES (clock_timestamp()) RETURNING committed").Scan(&at); err != nil {
				return
			}
			w.mu.Lock()
			w.acked, w.n = at, w.n+1
			w.mu.Unlock()
		}
	}()
	return w
}

// stop ends the writer and returns the commit time of its newest
// acknowledged row and how many it wrote.
func (w *writer) stop() (time.Time, int) {
	close(w.quit)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acked, w.n
}

// crash loses i's machine as far as its data goes: its postmaster and
// every process below it (backends, the archiver and the archive-push it
// runs) get SIGKILL at once, by PID, so that nothing more reaches the
// repository. It waits until none of them is left.
func crash(b *testing.B, i *postgresql.Instance) {
	b.Helper()
	pid, err := local.ReadPID(filepath.Join(i.DataDir(), local.PIDFileName))
	if err != nil || pid == 0 || !local.BelongsTo(pid, i.DataDir()) {
		b.Fatalf("no postmaster to crash in %s: pid %d, %v", i.DataDir(), pid, err)
	}
	// Every process is stopped (SIGSTOP) before any is killed, until no
	// new one appears: a process that forks while the tree is read (the
	// archiver starting its next archive-push) would otherwise live on as
	// an orphan and push one more segment.
	stopped := map[int]bool{}
	pids := []int{pid}
	for len(pids) > 0 {
		var fresh []int
		for _, p := range pids {
			if stopped[p] {
				continue
			}
			if err := syscall.Kill(p, syscall.SIGSTOP); err != nil && p == pid {
				b.Fatalf("cannot stop postmaster %d: %v", pid, err)
			}
			stopped[p] = true
			fresh = append(fresh, p)
		}
		if len(fresh) == 0 {
			break
		}
		pids = descendants(pid)
	}
	pids = pids[:0]
	for p := range stopped {
		pids = append(pids, p)
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	deadline := time.Now().Add(waitTimeout)
	for _, p := range pids {
		for local.Alive(p) {
			if time.Now().After(deadline) {
				b.Fatalf("process %d outlived SIGKILL for %s", p, waitTimeout)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// descendants are the processes below pid, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := proccpu.Read(p); err == nil {
			children[st.PPID] = append(children[st.PPID], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// recoveryEnd returns the lines of a restored server's log that say how
// its replay of the archive ended.
func recoveryEnd(logFile string) string {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		for _, k := range []string{"redo done", "last completed transaction", "could not", "invalid", "selected new timeline", "consistent recovery state"} {
			if strings.Contains(l, k) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
