package benchinstance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// BenchmarkCreateToReady measures, per iteration, the seconds from the
// DatabaseInstance create to the first poll (every 50 ms) that reads it
// Ready=True: single, one server on one VirtualMachine; primary+2, a
// primary and two async replicas on three; single-over-ssh, one server
// installed by the play over SSH, the path VMs of other backends take;
// single-on-hosts and primary+2-on-hosts, the same over SSH on test hosts
// with addresses of their own (see overHosts), the replicated one through
// the engine that drives every member over its own SSH connection. The VirtualMachines are created
// and Ready before the timer starts; the instance and the machines are then
// deleted, and waited for until gone, with the timer stopped.
func BenchmarkCreateToReady(b *testing.B) {
	local := startRig(b, "bench-create")
	for _, tc := range []struct {
		name  string
		vms   int
		ssh   bool
		hosts bool
	}{
		{name: "single", vms: 1},
		{name: "primary+2", vms: 3},
		{name: "single-over-ssh", vms: 1, ssh: true},
		{name: "single-on-hosts", vms: 1, hosts: true},
		{name: "primary+2-on-hosts", vms: 3, hosts: true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r, ns := local, fmt.Sprintf("create-%d", tc.vms)
			switch {
			case tc.ssh:
				r, ns = local.overSSH(b), "create-ssh"
			case tc.hosts:
				r, ns = local.overHosts(b, fmt.Sprintf("hosts-%d", tc.vms)), fmt.Sprintf("create-hosts-%d", tc.vms)
			}
			r.namespace(b, ns)
			ctx := context.Background()
			var toReady []float64
			i := 0
			for b.Loop() {
				b.StopTimer()
				name := fmt.Sprintf("pg-%d", i)
				vms := make([]string, tc.vms)
				for k := range vms {
					vms[k] = fmt.Sprintf("%s-vm-%d", name, k)
				}
				r.createVMs(b, ns, vms)
				di := r.instance(ns, name, vms, "")

				b.StartTimer()
				start := time.Now()
				if err := r.c.Create(ctx, di); err != nil {
					b.Fatal(err)
				}
				r.wait(b, "DatabaseInstance "+name+" Ready", func() (bool, string) { return r.isReady(di) })
				d := time.Since(start)
				b.StopTimer()

				toReady = append(toReady, seconds(d))
				b.Logf("%s iteration %d: Ready after %.2f s (members %d, primary %s)", tc.name, i, d.Seconds(), len(di.Status.AtProvider.Members), di.Status.AtProvider.Primary)
				r.checkWritable(b, di)
				r.deleteAll(b, di, vms)
				i++
				b.StartTimer()
			}
			report(b, toReady, "s-to-ready")
		})
	}
}

// checkWritable makes sure that the Ready instance takes a write through
// its connection secret's endpoint and port.
func (r *rig) checkWritable(b *testing.B, di *v1alpha1.DatabaseInstance) {
	b.Helper()
	ctx := context.Background()
	r.wait(b, "a write through the connection secret of "+di.Name, func() (bool, string) {
		cr, err := r.connectionSecret(di)
		if err != nil {
			return false, err.Error()
		}
		conn, err := connect(ctx, cr, cr.endpoint, cr.port)
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS bench (id bigint PRIMARY KEY); INSERT INTO bench VALUES (1) ON CONFLICT DO NOTHING"); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}
