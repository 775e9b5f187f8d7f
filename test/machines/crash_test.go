package machines

import (
	"context"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// crashPrefix names the machines whose create the first provider does not
// live to record.
const crashPrefix = "crash-"

// A crasher lets the backend's create call go through and then never
// returns to the reconciler until the provider stops: the provider dies
// between the backend's create and recording it, as with a kill -9.
type crasher struct {
	machine.Backend
	created chan<- string
	once    *sync.Map
}

func (c *crasher) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	m, err := c.Backend.Create(ctx, id, s)
	if err != nil || !strings.HasPrefix(id.Name, crashPrefix) {
		return m, err
	}
	if _, seen := c.once.LoadOrStore(id, true); !seen {
		c.created <- id.Namespace
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestCrashDuringCreate kills the provider after each backend's create call
// and before it records the result, then starts it again: every backend
// ends with exactly one machine, found again by its name.
func TestCrashDuringCreate(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	c := env.Client
	rigs := startRigs(t)
	var o backend.Options
	for _, r := range rigs {
		r.wire(&o)
	}
	created := make(chan string, len(rigs))
	crashing := o
	// One sync.Map for the whole first provider, not one per Connect.
	once := &sync.Map{}
	crashing.Wrap = func(b machine.Backend) machine.Backend { return &crasher{Backend: b, created: created, once: once} }
	// A manager on the shared API server sees the namespaces made before
	// it started.
	for _, r := range rigs {
		setUp(t, c, r.rig, "crash-"+r.name)
	}
	setups := []testenv.Setup{config.Setup, virtualmachine.Setup}
	stop := env.StartManager(t, testenv.ManagerConfig{Setups: setups, Machines: crashing, Concurrency: 4})

	vms := map[string]*v1alpha1.VirtualMachine{}
	for _, r := range rigs {
		ns := "crash-" + r.name
		vm := newVM(r, ns, crashPrefix+r.name)
		must(t, c.Create(context.Background(), vm))
		vms[ns] = vm
	}
	for range rigs {
		<-created
	}
	stop()

	// The first provider recorded that it was about to create, and never
	// what came of it.
	for _, r := range rigs {
		vm := vms["crash-"+r.name]
		got := &v1alpha1.VirtualMachine{}
		must(t, c.Get(context.Background(), client.ObjectKeyFromObject(vm), got))
		if !meta.ExternalCreateIncomplete(got) {
			t.Errorf("%s: want the create recorded as pending and incomplete, got annotations %v", r.name, got.GetAnnotations())
		}
		if n := count(t, r.rig, vm.Name); n != 1 {
			t.Errorf("%s: machines after the crash: %d, want 1", r.name, n)
		}
	}

	env.StartManager(t, testenv.ManagerConfig{Setups: setups, Machines: o, Concurrency: 4})
	for _, r := range rigs {
		vm := vms["crash-"+r.name]
		waitReady(t, c, vm)
		if n := count(t, r.rig, vm.Name); n != 1 {
			t.Errorf("%s: machines after the restarted provider made it Ready: %d, want exactly 1", r.name, n)
		}
	}
}
