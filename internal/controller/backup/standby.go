package backup

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	errStandbyOverSSH = "method prefer-standby is not available for DatabaseInstance %s: its members run on machines reached over SSH, and pgBackRest on a replica's machine would have to reach the primary's (pg1-host over SSH, or pgBackRest's TLS server), which is not built; make a Backup with method primary"
	errStandbyOptions = "cannot read the backup from replica %s"

	msgNoStandby    = "no replica of DatabaseInstance %s streams from the primary (%s): the backup is read from the primary %s"
	msgNoReplica    = "it has none"
	msgNotStream    = "%s: %s"
	msgNotConnected = "not connected"
	msgStopped      = "not running"
)

// reasonFromPrimary is the event of a prefer-standby backup taken from the
// primary, because no replica streamed.
const reasonFromPrimary event.Reason = "FromPrimary"

// streaming is pg_stat_replication's state of a replica that is caught up
// and follows the primary's WAL as it is written.
const streaming = "streaming"

// memberView is what choosing a replica needs of a member: its machine,
// its role, and whether it runs on the provider's own host, where the
// primary's data directory and socket are reachable too.
type memberView struct {
	vm    string
	role  string
	local bool
}

// standbyChoice is where a prefer-standby backup is read from: a replica,
// or the primary (replica "") with why none was taken.
type standbyChoice struct {
	replica  string
	fallback string
}

// chooseStandby picks the replica a prefer-standby backup is read from:
// one the primary sees streaming, as the instance's status last recorded,
// the least behind, then the first in the spec's order. With none, the
// backup is read from the primary, and fallback says why. Members reached
// over SSH are refused: pgBackRest on a replica's machine reaches the
// primary only as a local server (pgbackrest.Stanza.FromStandby).
func chooseStandby(instance string, members []memberView, status []enginev1alpha1.Member) (standbyChoice, error) {
	seen := map[string]enginev1alpha1.Member{}
	for _, s := range status {
		seen[s.VirtualMachine] = s
	}
	type candidate struct {
		vm    string
		order int
		lag   int64
	}
	var (
		found []candidate
		why   []string
	)
	primary := ""
	for i, m := range members {
		if !m.local {
			return standbyChoice{}, errors.Errorf(errStandbyOverSSH, instance)
		}
		if m.role == enginev1alpha1.RolePrimary {
			primary = m.vm
			continue
		}
		s, ok := seen[m.vm]
		switch {
		case ok && !s.Running:
			why = append(why, fmt.Sprintf(msgNotStream, m.vm, msgStopped))
		case !ok || s.Streaming == "":
			why = append(why, fmt.Sprintf(msgNotStream, m.vm, msgNotConnected))
		case s.Streaming != streaming:
			why = append(why, fmt.Sprintf(msgNotStream, m.vm, s.Streaming))
		default:
			// A replica whose lag is not known yet counts as caught up:
			// it streams, and replay is what pgBackRest waits for anyway.
			var lag int64
			if s.LagBytes != nil {
				lag = *s.LagBytes
			}
			found = append(found, candidate{vm: m.vm, order: i, lag: lag})
		}
	}
	if len(found) == 0 {
		if len(why) == 0 {
			why = []string{msgNoReplica}
		}
		return standbyChoice{fallback: fmt.Sprintf(msgNoStandby, instance, strings.Join(why, "; "), primary)}, nil
	}
	sort.SliceStable(found, func(a, b int) bool {
		if found[a].lag != found[b].lag {
			return found[a].lag < found[b].lag
		}
		return found[a].order < found[b].order
	})
	return standbyChoice{replica: found[0].vm}, nil
}

// views are the members as chooseStandby sees them.
func views(ms []databaseinstance.Member) []memberView {
	out := make([]memberView, 0, len(ms))
	for _, m := range ms {
		out = append(out, memberView{vm: m.VM, role: m.Role, local: onProviderHost(m.Instance.Exec)})
	}
	return out
}

// onProviderHost reports whether commands of exec run on the provider's
// own host, as the local backend's members do.
func onProviderHost(exec executor.Executor) bool {
	switch exec.(type) {
	case executor.Local, *executor.Local:
		return true
	}
	return false
}

// fromStandby returns where a prefer-standby backup of cr runs, given the
// primary's stanza p on vm: a streaming replica's stanza with the options
// that read the backup from it, or p itself with an event saying why no
// replica was taken.
func (e *external) fromStandby(ctx context.Context, cr *v1alpha1.Backup, p *pgbackrest.Stanza, vm string) (*pgbackrest.Stanza, string, []string, error) {
	choice, err := chooseStandby(e.instance.GetName(), views(e.members), e.instance.Status.AtProvider.Members)
	if err != nil {
		return nil, "", nil, err
	}
	if choice.replica == "" {
		e.record.Event(cr, event.Normal(reasonFromPrimary, choice.fallback))
		return p, vm, nil, nil
	}
	r, rvm, err := e.stanza(ctx, choice.replica)
	if err != nil {
		return nil, "", nil, err
	}
	opts, err := r.FromStandby(p)
	if err != nil {
		return nil, "", nil, errors.Wrapf(err, errStandbyOptions, rvm)
	}
	return r, rvm, opts, nil
}
