package benchinstance

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// BenchmarkSwitchover brings a primary with two async replicas to Ready
// (not timed), then per iteration names the next member (in the order of
// spec.forProvider.virtualMachines, round and round) as
// spec.forProvider.primary and measures until status.atProvider.primary
// names it and an INSERT on it (its own address and port, with the
// connection secret's credentials) commits: s-to-writable. Two further
// figures: s-to-first-write, until the first INSERT on it commits whatever
// the status says, and s-to-secret, until the connection secret's port is
// its port. Between iterations, with the timer stopped, the benchmark waits
// until both other members stream from the new primary.
func BenchmarkSwitchover(b *testing.B) {
	r := startRig(b, "bench-switchover")
	b.Run("async", func(b *testing.B) { r.switchovers(b, "switch-async", v1alpha1.ReplicationAsync) })
}

// pinger tries writes on one member, keeping its connection between tries.
type pinger struct {
	cr   credentials
	host string
	port int
	conn *pgx.Conn
	// acked counts the INSERTs that committed.
	acked int
}

// write tries one INSERT and says whether it committed.
func (p *pinger) write(ctx context.Context) error {
	if err := p.open(ctx); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := p.conn.Exec(wctx, "INSERT INTO bench DEFAULT VALUES"); err != nil {
		if p.conn.IsClosed() || wctx.Err() != nil {
			_ = p.conn.Close(ctx)
			p.conn = nil
		}
		return err
	}
	p.acked++
	return nil
}

// open connects unless connected.
func (p *pinger) open(ctx context.Context) error {
	if p.conn == nil || p.conn.IsClosed() {
		c, err := connect(ctx, p.cr, p.host, p.port)
		if err != nil {
			return err
		}
		p.conn = c
	}
	return nil
}

func (p *pinger) close(ctx context.Context) {
	if p.conn != nil {
		_ = p.conn.Close(ctx)
		p.conn = nil
	}
}

func (r *rig) switchovers(b *testing.B, ns string, mode v1alpha1.ReplicationMode) {
	ctx := context.Background()
	r.namespace(b, ns)
	vms := []string{"vm-0", "vm-1", "vm-2"}
	r.createVMs(b, ns, vms)
	di := r.instance(ns, "pg", vms, mode)
	if err := r.c.Create(ctx, di); err != nil {
		b.Fatal(err)
	}
	took := r.wait(b, "DatabaseInstance pg Ready", func() (bool, string) { return r.isReady(di) })
	b.Logf("primary+2 (%s) Ready after %.2f s", mode, took.Seconds())

	ports := map[string]int{}
	for _, m := range di.Status.AtProvider.Members {
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
	if _, err := setup.Exec(ctx, "CREATE TABLE bench (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"); err != nil {
		b.Fatal(err)
	}
	_ = setup.Close(ctx)

	current := di.Status.AtProvider.Primary
	if current != vms[0] {
		b.Fatalf("want %s as the first primary, status says %q", vms[0], current)
	}
	var writable, firstWrite, secret []float64
	acked := 0
	i := 0
	for b.Loop() {
		b.StopTimer()
		target := vms[(slices.Index(vms, current)+1)%len(vms)]
		p := &pinger{cr: cr, host: cr.endpoint, port: ports[target]}

		b.StartTimer()
		start := time.Now()
		r.setPrimary(b, di, target)
		var dFirst, dSecret, dWritable time.Duration
		r.wait(b, fmt.Sprintf("%s the primary and writable", target), func() (bool, string) {
			if err := r.c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
				return false, err.Error()
			}
			statusOK := di.Status.AtProvider.Primary == target
			if dSecret == 0 {
				if s, err := r.connectionSecret(di); err == nil && s.port == ports[target] {
					dSecret = time.Since(start)
				}
			}
			err := p.write(ctx)
			if err == nil && dFirst == 0 {
				dFirst = time.Since(start)
			}
			if err == nil && statusOK {
				dWritable = time.Since(start)
				return true, ""
			}
			return false, fmt.Sprintf("status primary %q, write: %v", di.Status.AtProvider.Primary, err)
		})
		b.StopTimer()

		// Not timed: the connection secret follows, and both other members
		// stream from the new primary, before the next switchover.
		if dSecret == 0 {
			r.wait(b, "connection secret names "+target, func() (bool, string) {
				s, err := r.connectionSecret(di)
				if err != nil {
					return false, err.Error()
				}
				return s.port == ports[target], "port " + strconv.Itoa(s.port)
			})
			dSecret = time.Since(start)
		}
		r.waitStreaming(b, p, vms, target)
		acked += p.acked
		r.checkRows(b, p, acked)
		p.close(ctx)

		writable = append(writable, seconds(dWritable))
		firstWrite = append(firstWrite, seconds(dFirst))
		secret = append(secret, seconds(dSecret))
		b.Logf("iteration %d: %s -> %s: first write %.2f s, status and write %.2f s, connection secret %.2f s",
			i, current, target, dFirst.Seconds(), dWritable.Seconds(), dSecret.Seconds())
		current = target
		i++
		b.StartTimer()
	}
	report(b, writable, "s-to-writable")
	report(b, firstWrite, "s-to-first-write")
	report(b, secret, "s-to-secret")
}

// setPrimary names vm as the instance's primary.
func (r *rig) setPrimary(b *testing.B, di *v1alpha1.DatabaseInstance, vm string) {
	b.Helper()
	ctx := context.Background()
	if err := testenv.Mutate(ctx, r.c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Primary = vm }); err != nil {
		b.Fatal(err)
	}
}

// waitStreaming waits until every other member streams from the primary.
func (r *rig) waitStreaming(b *testing.B, p *pinger, vms []string, primary string) {
	b.Helper()
	ctx := context.Background()
	var want []string
	for _, vm := range vms {
		if vm != primary {
			want = append(want, vm+"=streaming")
		}
	}
	r.wait(b, "replicas stream from "+primary, func() (bool, string) {
		if err := p.open(ctx); err != nil {
			return false, err.Error()
		}
		var got string
		if err := p.conn.QueryRow(ctx, "SELECT coalesce(string_agg(application_name || '=' || state, ',' ORDER BY application_name), '') FROM pg_stat_replication").Scan(&got); err != nil {
			p.close(ctx)
			return false, err.Error()
		}
		return got == strings.Join(want, ","), got
	})
}

// checkRows fails the benchmark when the new primary has fewer rows than
// the INSERTs that were acknowledged so far: a clean switchover loses none.
func (r *rig) checkRows(b *testing.B, p *pinger, acked int) {
	b.Helper()
	var n int
	if err := p.conn.QueryRow(context.Background(), "SELECT count(*) FROM bench").Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n < acked {
		b.Errorf("the new primary has %d rows, %d INSERTs were acknowledged", n, acked)
	}
}
