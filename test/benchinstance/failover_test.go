package benchinstance

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
)

// failoverAfter is spec.forProvider.failover.after; empty leaves the
// controller's default (10s).
var failoverAfter = flag.Duration("benchinstance.failover-after", 0, "spec.forProvider.failover.after (0: the controller's default)")

// BenchmarkFailover brings a primary with two replicas (async, or sync with
// a quorum of one) to Ready with automatic failover on, then per iteration
// SIGKILLs the primary's postmaster, by the PID in its postmaster.pid,
// while a goroutine inserts rows through the connection secret's endpoint
// and port (re-reading the secret on every reconnect, as a client would)
// and records the ids whose INSERT was acknowledged. s-to-writable is from
// the kill to the first acknowledged INSERT on another member; s-to-status
// until status.atProvider.primary names another member; lost-writes the
// acknowledged ids missing on the new primary afterwards. Between
// iterations, with the timer stopped, the benchmark waits until both other
// members stream from the new primary (the killed one has rejoined).
//
// The -on-hosts cases run the same on three test hosts (see overHosts):
// every member is configured, watched and promoted over SSH, and the
// postmaster is killed on its host. The case of a partitioned primary is
// not measured here: it needs the self-fencing watchdog installed by the
// controller.
func BenchmarkFailover(b *testing.B) {
	r := startRig(b, "bench-failover")
	b.Run("async", func(b *testing.B) { r.failovers(b, "failover-async", v1alpha1.ReplicationAsync) })
	b.Run("sync", func(b *testing.B) { r.failovers(b, "failover-sync", v1alpha1.ReplicationSync) })
	b.Run("async-on-hosts", func(b *testing.B) {
		r.overHosts(b, "hosts-async").failovers(b, "failover-hosts-async", v1alpha1.ReplicationAsync)
	})
	b.Run("sync-on-hosts", func(b *testing.B) {
		r.overHosts(b, "hosts-sync").failovers(b, "failover-hosts-sync", v1alpha1.ReplicationSync)
	})
}

// writer inserts ids one after the other through the connection secret.
type writer struct {
	r  *rig
	di *v1alpha1.DatabaseInstance

	mu    sync.Mutex
	next  int64
	acked []int64
	// avoid is the killed primary's host:port; firstElse is when the
	// first INSERT on another member was acknowledged after it was set.
	avoid     string
	firstElse time.Time
	lastErr   error
	// onAvoided counts the INSERTs the killed primary's address
	// acknowledged after the kill: a primary started again where it was
	// instead of being failed over takes writes there, which lastErr,
	// the last failure, does not show.
	onAvoided int

	stop chan struct{}
	done chan struct{}
}

func (r *rig) startWriter(di *v1alpha1.DatabaseInstance, firstID int64) *writer {
	w := &writer{r: r, di: di.DeepCopy(), next: firstID, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *writer) run() {
	defer close(w.done)
	ctx := context.Background()
	var (
		conn *pgx.Conn
		at   string
	)
	defer func() {
		if conn != nil {
			_ = conn.Close(ctx)
		}
	}()
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		if conn == nil {
			cr, err := w.r.connectionSecret(w.di)
			if err == nil {
				conn, err = connect(ctx, cr, cr.endpoint, cr.port)
				at = cr.hostPort()
			}
			if err != nil {
				w.fail(err)
				time.Sleep(pollEvery)
				continue
			}
		}
		w.mu.Lock()
		id := w.next
		w.next++
		w.mu.Unlock()
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := conn.Exec(ectx, "INSERT INTO bench VALUES ($1)", id)
		cancel()
		if err != nil {
			w.fail(err)
			_ = conn.Close(ctx)
			conn = nil
			time.Sleep(pollEvery)
			continue
		}
		w.mu.Lock()
		w.acked = append(w.acked, id)
		if w.avoid != "" && at != w.avoid && w.firstElse.IsZero() {
			w.firstElse = time.Now()
		}
		if w.avoid != "" && at == w.avoid {
			w.onAvoided++
		}
		w.mu.Unlock()
	}
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
}

// killed says that the primary at hostPort is gone from now on.
func (w *writer) killed(hostPort string) {
	w.mu.Lock()
	w.avoid = hostPort
	w.mu.Unlock()
}

// writable returns when an INSERT on another member was first
// acknowledged, or the zero time, how many INSERTs the killed primary's
// address acknowledged after the kill, and the last failure.
func (w *writer) writable() (time.Time, int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.firstElse, w.onAvoided, w.lastErr
}

// halt stops the writer and returns the acknowledged ids and the next id.
func (w *writer) halt() ([]int64, int64) {
	close(w.stop)
	<-w.done
	return w.acked, w.next
}

func (r *rig) failovers(b *testing.B, ns string, mode v1alpha1.ReplicationMode) {
	ctx := context.Background()
	r.namespace(b, ns)
	vms := []string{"vm-0", "vm-1", "vm-2"}
	r.createVMs(b, ns, vms)
	di := r.instance(ns, "pg", vms, mode)
	enabled := true
	di.Spec.ForProvider.Failover = &v1alpha1.FailoverParameters{Enabled: &enabled}
	if *failoverAfter > 0 {
		di.Spec.ForProvider.Failover.After = &metav1.Duration{Duration: *failoverAfter}
	}
	if err := r.c.Create(ctx, di); err != nil {
		b.Fatal(err)
	}
	took := r.wait(b, "DatabaseInstance pg Ready", func() (bool, string) { return r.isReady(di) })
	b.Logf("primary+2 (%s) Ready after %.2f s", mode, took.Seconds())

	// Where each member's server listens: distinct ports on loopback, or
	// each test host's own address.
	addrs := map[string]string{}
	ports := map[string]int{}
	for _, m := range di.Status.AtProvider.Members {
		addrs[m.VirtualMachine] = net.JoinHostPort(m.Address, strconv.Itoa(int(m.Port)))
		ports[m.VirtualMachine] = int(m.Port)
	}
	cr, err := r.connectionSecret(di)
	if err != nil {
		b.Fatal(err)
	}
	setup, err := connect(ctx, cr, cr.endpoint, cr.port)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "CREATE TABLE bench (id bigint PRIMARY KEY)"); err != nil {
		b.Fatal(err)
	}
	_ = setup.Close(ctx)

	var writable, status, lost, secret, decided, promoted []float64
	nextID := int64(1)
	i := 0
	for b.Loop() {
		b.StopTimer()
		if err := r.c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			b.Fatal(err)
		}
		old := di.Status.AtProvider.Primary
		pid, dataDir := r.postmaster(b, ns, old, di.Name)
		w := r.startWriter(di, nextID)
		tl := watchFailover(ctx, cr, addrs, old, di)
		time.Sleep(time.Second) // Writes in flight when the primary dies.

		b.StartTimer()
		start := time.Now()
		tl.start = start
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			b.Fatalf("cannot kill postmaster %d of %s: %v", pid, dataDir, err)
		}
		w.killed(addrs[old])
		var dStatus, dSecret time.Duration
		r.wait(b, "a write on a new primary after "+old+" was killed", func() (bool, string) {
			if err := r.c.Get(ctx, client.ObjectKeyFromObject(di), di); err == nil {
				if dStatus == 0 && di.Status.AtProvider.Primary != old && di.Status.AtProvider.Primary != "" {
					dStatus = time.Since(start)
				}
				tl.look(ctx, di)
			}
			if dSecret == 0 {
				if s, err := r.connectionSecret(di); err == nil && s.hostPort() != addrs[old] {
					dSecret = time.Since(start)
				}
			}
			at, same, err := w.writable()
			return !at.IsZero(), fmt.Sprintf("status primary %q, %d writes acknowledged at the killed primary's address %s since the kill, last write error: %v",
				di.Status.AtProvider.Primary, same, addrs[old], err)
		})
		at, _, _ := w.writable()
		dWritable := at.Sub(start)
		b.StopTimer()

		acked, next := w.halt()
		nextID = next
		if dStatus == 0 {
			r.wait(b, "status names a primary other than "+old, func() (bool, string) {
				if err := r.c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
					return false, err.Error()
				}
				p := di.Status.AtProvider.Primary
				return p != old && p != "", "status primary " + p
			})
			dStatus = time.Since(start)
		}
		primary := di.Status.AtProvider.Primary
		host, _, _ := net.SplitHostPort(addrs[primary])
		missing := r.missing(b, cr, host, ports[primary], acked)
		p := &pinger{cr: cr, host: host, port: ports[primary]}
		r.waitStreaming(b, p, vms, primary)
		p.close(ctx)

		writable = append(writable, seconds(dWritable))
		status = append(status, seconds(dStatus))
		lost = append(lost, float64(missing))
		tl.close(ctx)
		secret = append(secret, seconds(dSecret))
		decided = append(decided, seconds(tl.decided))
		promoted = append(promoted, seconds(tl.promoted))
		b.Logf("iteration %d: killed %s (postmaster %d) at %s -> %s: secret %.2f s, write %.2f s, status %.2f s, %d acknowledged, %d lost; until the write: %s",
			i, old, pid, start.Format("15:04:05.000"), primary, dSecret.Seconds(), dWritable.Seconds(), dStatus.Seconds(), len(acked), missing, tl)
		i++
		b.StartTimer()
	}
	report(b, writable, "s-to-writable")
	report(b, status, "s-to-status")
	report(b, lost, "lost-writes")
	// Where the time to writable goes: the epoch recorded (the failover
	// decided), a replica out of recovery, the secret naming it; 0 is a
	// step not seen before the first write.
	b.ReportMetric(median(decided), "s-to-epoch-median")
	b.ReportMetric(median(promoted), "s-to-promoted-median")
	b.ReportMetric(median(secret), "s-to-secret-median")
}

// postmaster returns the PID in the postmaster.pid of the instance's
// member on the machine, and its data directory: the local backend keeps
// it in <workDir>/postgresql/<instance>/data, a test host below its own
// directory where the play puts it over SSH. Either way the postmaster is
// a process of this machine, which the benchmark signals by PID.
func (r *rig) postmaster(b *testing.B, ns, vmName, instance string) (int, string) {
	b.Helper()
	vm := &computev1alpha1.VirtualMachine{}
	if err := r.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: vmName}, vm); err != nil {
		b.Fatal(err)
	}
	dataDir := filepath.Join(vm.Status.AtProvider.WorkDir, "postgresql", instance, "data")
	if r.hosts {
		dataDir = hostDataDir(vm.Status.AtProvider.WorkDir, ns, instance)
	}
	pid, err := local.ReadPID(filepath.Join(dataDir, local.PIDFileName))
	if err != nil {
		b.Fatal(err)
	}
	if pid == 0 || !local.Alive(pid) || !local.BelongsTo(pid, dataDir) {
		b.Fatalf("no running postmaster of %s (pid file says %d)", dataDir, pid)
	}
	return pid, dataDir
}

// missing counts the acknowledged ids that the primary at host:port does
// not have.
func (r *rig) missing(b *testing.B, cr credentials, host string, port int, acked []int64) int {
	b.Helper()
	ctx := context.Background()
	var found int
	r.wait(b, "count the acknowledged rows", func() (bool, string) {
		conn, err := connect(ctx, cr, host, port)
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM bench WHERE id = ANY($1)", acked).Scan(&found); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	if found > len(acked) {
		b.Fatal(errors.New("more rows found than acknowledged"))
	}
	return len(acked) - found
}
