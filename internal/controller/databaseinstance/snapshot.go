package databaseinstance

import (
	"context"
	"slices"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"golang.org/x/sync/errgroup"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
)

// memberTimeout bounds how long the snapshot waits for one member. It is
// twice the engine's connect timeout, so that a member that answers slowly
// on a loaded machine is still heard, while a member that hangs (a host
// that stopped answering mid-query) costs the reconcile no more than this:
// the other members are asked at the same time.
const memberTimeout = 10 * time.Second

// A memberState is what one member showed when the snapshot was taken:
// plain data, so that the decisions about it (decide.go) are pure
// functions.
type memberState struct {
	// VM is the member's VirtualMachine.
	VM string
	// Off says why its machine cannot run it (powered off, not Ready),
	// as its backend reports; such a member is not asked.
	Off string
	// Reachable is true when its machine is on and the provider could ask
	// it: its status came back, whether or not its server runs.
	Reachable bool
	// Fenceable is true when the provider can fence it now. A local
	// member's fence is a marker on this host's disk, which the provider
	// reaches even while the machine is off.
	Fenceable bool
	// Err is why asking it failed, when it did.
	Err error
	// Initialized is true once it holds a data directory.
	Initialized bool
	// Standby is true when its data directory is marked to start as a
	// standby.
	Standby bool
	// Fenced is true when it is fenced, at FenceEpoch.
	Fenced     bool
	FenceEpoch int64
	// Status is what its server says about itself (role, timeline, WAL
	// positions, its own WAL receiver).
	postgresql.Status
	// Sender is the primary's view of its stream, when the primary
	// answered and it is connected.
	Sender    postgresql.Sender
	Connected bool
	// Watchdog is true when the member's self-fencing watchdog runs; it
	// is asked, and its heartbeat renewed, on every look at a member
	// that has one.
	Watchdog bool
	// Sums are its configuration files' checksums, which say whether its
	// settings are current (postgresql.Instance.Current).
	Sums map[string]string
	// Roles is what it holds of the provider's roles, read in the same
	// look when it is a Ready primary; nil otherwise.
	Roles *postgresql.RolesState
}

// A snapshot is every member of an instance as seen at one moment, the
// member that should be the primary at index Primary.
type snapshot struct {
	Members []memberState
	Primary int
	// Senders is the primary's view of replication, when it answered,
	// read in the same query as its status.
	Senders postgresql.Senders
}

// stateOf is the snapshot's state of the member on vm.
func stateOf(s snapshot, vm string) (memberState, bool) {
	n := slices.IndexFunc(s.Members, func(m memberState) bool { return m.VM == vm })
	if n < 0 {
		return memberState{}, false
	}
	return s.Members[n], true
}

// primary is the state of the member that should be the primary.
func (s snapshot) primary() memberState { return s.Members[s.Primary] }

// gather takes a snapshot of the primary and the replicas. It is the only
// place the decisions' inputs are read: every member is asked at the same
// time, each within memberTimeout, so that one member that hangs does not
// stall the others.
func (e *external) gather(ctx context.Context) snapshot {
	s := snapshot{Members: make([]memberState, len(e.members)), Primary: e.primary}
	var g errgroup.Group
	for n, m := range e.members {
		g.Go(func() error {
			mctx, cancel := context.WithTimeout(ctx, memberTimeout)
			defer cancel()
			var snd postgresql.Senders
			s.Members[n], snd = e.ask(mctx, m)
			if n == s.Primary && s.Members[n].Ready {
				s.Senders = snd
			}
			return nil
		})
	}
	// Every goroutine records its error in the snapshot and returns nil.
	_ = g.Wait()
	for n := range s.Members {
		if n != s.Primary {
			s.Members[n].Sender, s.Members[n].Connected = s.Senders.ByName[s.Members[n].VM]
		}
	}
	return s
}

// watchdogLook is the script a look at the member runs beside its own
// (see postgresql.Instance.Look): it renews the heartbeat of the member's
// watchdog, which keeps a primary with no replica streaming from fencing
// itself while the provider sees it, and exits 0 when the watchdog runs
// as installed. Empty for a member without one. A failure is no error of
// the look: a watchdog that does not run or hear is installed again by
// the next update.
func watchdogLook(m member, after time.Duration, now time.Time) string {
	if m.wd == nil || m.off != "" || m.inst == nil {
		return ""
	}
	check := install.CheckScript(m.wd.process(m.inst, after))
	if m.wd.systemd {
		check = executor.ShellCommand("systemctl", "is-active", "--quiet", "--", install.UnitName(unitMember(m.inst)))
	}
	return install.RenewScript(pathsOf(m.inst).heartbeat, now) + " && " + check
}

// renew renews the heartbeat of the member's watchdog, if it has one, and
// reports whether it did.
func (e *external) renew(ctx context.Context, m member) bool {
	if m.wd == nil || m.off != "" || m.inst == nil {
		return false
	}
	return install.Renew(ctx, m.inst.Exec, pathsOf(m.inst).heartbeat, time.Now()) == nil
}

// ask reads one member's state, and the replicas' streams when it is a
// primary that answers: one look (postgresql.Instance.Look), which also
// renews its watchdog's heartbeat. A member whose machine is off is not
// asked; neither is the server of one that holds no data yet.
func (e *external) ask(ctx context.Context, m member) (memberState, postgresql.Senders) {
	st := memberState{VM: m.vm, Off: m.off, Fenceable: m.inst != nil && !m.cut}
	if m.off != "" || m.inst == nil {
		return st, postgresql.Senders{}
	}
	l, err := m.inst.Look(ctx, e.password, watchdogLook(m, e.fenceAfter, time.Now()))
	if !l.Answered {
		// The engine could not read the member's files: its machine
		// does not answer.
		st.Err = errors.Wrapf(err, errStatusMember, m.vm)
		return st, postgresql.Senders{}
	}
	st.Reachable, st.Initialized, st.Sums = true, l.Initialized, l.Sums
	if !st.Initialized {
		return st, postgresql.Senders{}
	}
	st.Watchdog = m.wd != nil && l.Also
	st.Standby, st.Fenced, st.FenceEpoch = l.Standby, l.Fenced, l.FenceEpoch
	st.Status, st.Roles = l.Status, l.Roles
	if err != nil {
		st.Reachable, st.Err = false, errors.Wrapf(err, errStatusMember, m.vm)
	}
	return st, l.Senders
}
