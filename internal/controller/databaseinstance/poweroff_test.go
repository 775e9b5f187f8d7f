package databaseinstance

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// recoveryProbe asks a member, over and over until stopped, whether it is
// in recovery, and remembers whether it ever answered that it is not: a
// member that comes back fenced never takes writes.
type recoveryProbe struct {
	mu       sync.Mutex
	writable bool
	answered int
	stop     chan struct{}
	done     chan struct{}
}

func startRecoveryProbe(f *fixture, di *v1alpha1.DatabaseInstance, hostPort string) *recoveryProbe {
	p := &recoveryProbe{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		ctx := context.Background()
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			c, err := f.connectTo(ctx, di, hostPort)
			if err != nil {
				continue
			}
			var rec bool
			err = c.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&rec)
			_ = c.Close(ctx)
			if err != nil {
				continue
			}
			p.mu.Lock()
			p.answered++
			p.writable = p.writable || !rec
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *recoveryProbe) finish() (writable bool, answered int) {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writable, p.answered
}

// powerOffSync powers off the machine of the sync (ANY 1) primary while
// it commits: a replica is promoted without the machine that is off, no
// acknowledged commit is lost, and the status says which VirtualMachine
// is off. The former primary is fenced on its disk while its machine is
// off; powered on, it never takes writes and rejoins as a replica of the
// new primary. It is a step of TestFailover, after the sync failover,
// which leaves a sync primary with two replicas behind.
func (r *failoverRig) powerOffSync(t *testing.T) {
	ctx := context.Background()
	f, di := r.fixture, r.di
	c := f.env.Client
	// The fixture's own port block, which the primary's port must come
	// from.
	pc := &apisv1alpha1.ClusterProviderConfig{}
	if err := c.Get(ctx, client.ObjectKey{Name: f.ns}, pc); err != nil {
		t.Fatal(err)
	}
	start, end := pc.Spec.Local.PortRangeStart, pc.Spec.Local.PortRangeEnd
	was, token := r.current(t)
	if di.Status.AtProvider.SynchronousStandbyNames == "" {
		t.Fatalf("want a sync primary from the step before, got synchronous_standby_names empty")
	}
	oldPort := ports(di)[was]
	if oldPort < start || oldPort > end {
		t.Fatalf("primary port %d: want one of %d-%d", oldPort, start, end)
	}
	oldDir := f.memberDir(t, was, "pg")
	primary := pgtest.OneServer(t, filepath.Join(oldDir, "data"))
	oldVM := &computev1alpha1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: was}}

	r.dropFailoverTables(t)
	w := startWriter(t, f, di)
	wait.For(t, timeout, "the writer has commits acknowledged", func() (bool, string) {
		return w.count() >= 200, strconv.Itoa(w.count()) + " acknowledged"
	})
	off := time.Now()
	setPower(t, c, oldVM, computev1alpha1.PowerOff)
	<-w.done
	wait.For(t, timeout, "the primary's postmaster stopped by the power off", func() (bool, string) {
		return !local.Alive(primary), "still running"
	})
	writable := f.waitWritable(t, di)
	t.Logf("failover: primary's machine powered off -> new primary writable in %s (failover.after %s)", writable.Sub(off).Round(time.Millisecond), failoverAfterForTests)

	// While the machine is off: a replica is the primary, the member on it
	// is down and the conditions name the VirtualMachine that is off.
	wait.For(t, timeout, "a replica took over while "+was+" is off", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ap := di.Status.AtProvider
		var old v1alpha1.Member
		for _, m := range ap.Members {
			if m.VirtualMachine == was {
				old = m
			}
		}
		ready, synced := di.GetCondition(xpv2.TypeReady), di.GetCondition(xpv2.TypeSynced)
		ok := ap.Primary != was && ap.Primary != "" && ap.Primary == di.Spec.ForProvider.Primary && !old.Running &&
			ready.Status == corev1.ConditionFalse && strings.Contains(ready.Message, "replica "+was+" is down: VirtualMachine "+was+" is powered off") &&
			strings.Contains(synced.Message, "the member on "+was+" is down: VirtualMachine "+was+" is powered off")
		return ok, "primary " + ap.Primary + " ready: " + ready.Message + " synced: " + synced.Message
	})
	np := di.Status.AtProvider.Primary
	if got := di.Status.AtProvider.FencingToken; got != token+1 {
		t.Errorf("fencingToken: want %d after one more promotion, got %d", token+1, got)
	}
	cond := di.GetCondition(v1alpha1.TypeFailover)
	if cond.Status != corev1.ConditionTrue || !strings.Contains(cond.Message, "primary "+was+" stopped answering for") ||
		!strings.Contains(cond.Message, "promoted "+np+" (most advanced, LSN ") {
		t.Errorf("Failover condition: unexpected %+v", cond)
	}
	wait.For(t, timeout, "connection secret follows the new primary", func() (bool, string) {
		s := mustSecret(t, c, f.ns, "pg-conn")
		return string(s.Data["port"]) == strconv.Itoa(int(ports(di)[np])), "port " + string(s.Data["port"])
	})
	lost, acked := f.lost(t, di, w)
	t.Logf("acknowledged writes: %d, lost after the failover: %d", acked, lost)
	if lost != 0 {
		t.Errorf("sync ANY 1: want no acknowledged write lost, lost %d", lost)
	}
	// The former primary is fenced on its disk at the promotion's epoch,
	// and nothing was started on its machine.
	epoch := strconv.FormatInt(token+1, 10)
	b, err := os.ReadFile(filepath.Join(oldDir, "dbaas.fenced"))
	if err != nil || strings.TrimSpace(string(b)) != epoch {
		t.Errorf("fence of the former primary: want epoch %s, got %q, %v", epoch, b, err)
	}
	if p := pgtest.Servers(t, filepath.Join(oldDir, "data")); len(p) != 0 {
		t.Errorf("want no postmaster on the powered-off machine, got %v", p)
	}

	// Powered on, the former primary never answers out of recovery and
	// rejoins as a replica of the new primary.
	probe := startRecoveryProbe(f, di, "127.0.0.1:"+strconv.Itoa(int(oldPort)))
	setPower(t, c, oldVM, computev1alpha1.PowerOn)
	if got := f.waitFailedOver(t, di, was); got != np {
		t.Errorf("primary after %s is back: want %s, got %s", was, np, got)
	}
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO after_failover VALUES ('replicated')"); err != nil {
		t.Fatal(err)
	}
	old := "127.0.0.1:" + strconv.Itoa(int(oldPort))
	f.eventuallyQuery(t, di, old, "former primary replays the new primary's writes",
		"SELECT count(*)::text FROM after_failover WHERE v = 'replicated'", "1")
	f.eventuallyQuery(t, di, old, "former primary holds every acknowledged row",
		"SELECT count(*)::text FROM acks WHERE id <= "+strconv.Itoa(acked), strconv.Itoa(acked))
	wrote, answered := probe.finish()
	t.Logf("former primary answered %d probes after power on", answered)
	if wrote {
		t.Error("the former primary answered out of recovery after its machine was powered on")
	}
	if answered == 0 {
		t.Error("the probe never reached the former primary")
	}
	if _, err := os.Stat(filepath.Join(oldDir, "dbaas.fenced")); !os.IsNotExist(err) {
		t.Errorf("fence of the former primary: want it lifted once it rejoined, stat says %v", err)
	}
	if got := di.Status.AtProvider.FencingToken; got != token+1 {
		t.Errorf("fencingToken: want still %d, got %d", token+1, got)
	}
}
