package databaseinstance

import (
	"context"
	"sync"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// A login is what logging in to one member's machine gave: the machine,
// the connection and the host key the machine presented, or why there is
// none. machineErr is an error of the VirtualMachine itself (not Ready,
// no address), which fails the reconcile; dialErr is a failed login,
// which for a replicated member only takes that member down.
type login struct {
	vm         *computev1alpha1.VirtualMachine
	x          executor.Executor
	seen       string
	machineErr error
	dialErr    error
}

// logins logs in to the machines of vms all at once, so that a reconcile
// that cannot reach one of them waits for one login's timeout, not for one
// per machine in turn. They only read: the instance is written (host keys
// pinned, failed steps recorded) by the caller, one member after another.
func (c *connector) logins(ctx context.Context, cr *v1alpha1.DatabaseInstance, s *apisv1alpha1.SSHConfig, key []byte, vms []string, gone bool) []login {
	ns := cr.GetNamespace()
	pinned := make(map[string]string, len(cr.Status.AtProvider.SSHHostKeys))
	for vm, k := range cr.Status.AtProvider.SSHHostKeys {
		pinned[vm] = k
	}
	out := make([]login, len(vms))
	var wg sync.WaitGroup
	for n, name := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &out[n]
			if l.vm, l.machineErr = c.playMachine(ctx, ns, name, gone); l.machineErr != nil || l.vm == nil {
				return
			}
			l.x, l.seen, l.dialErr = c.dial(ctx, s, l.vm.Status.AtProvider.Address, key, pinned[name])
		}()
	}
	wg.Wait()
	return out
}

// closeLogins closes the connections of logins that no member took over.
func closeLogins(ls []login) {
	for _, l := range ls {
		if l.x != nil {
			_ = l.x.Close()
		}
	}
}
