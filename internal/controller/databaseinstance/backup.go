package databaseinstance

import (
	"context"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	errBackupStore   = "cannot use %s for the instance's backups"
	errBackupConfig  = "cannot write pgBackRest's configuration for %s on %s"
	errBackupRole    = "cannot create pgBackRest's role on %s"
	errStanzaCreate  = "cannot create the stanza %s in %s"
	errArchiveCheck  = "WAL archiving to %s does not work"
	errStopRuns      = "cannot stop the pgBackRest backups and verifies running on %s"
	defaultArchiveTO = 60 * time.Second

	// stanzaTimeout bounds creating and checking the stanza within a
	// reconcile, whose budget is reconcileTimeout.
	stanzaTimeout = 2 * time.Minute
)

// instanceBackup is spec.forProvider.backup resolved for one reconcile:
// the store's repository, which every member gets a pgbackrest.conf for.
type instanceBackup struct {
	// store names the store in messages: "BackupStore <name>" or
	// "ClusterBackupStore <name>".
	store     string
	stanza    string
	repo      pgbackrest.Repo
	ca        []byte
	archiving bool
	timeout   time.Duration
	// storeNotReady is the store's Ready message when the provider's own
	// look finds it not Ready: it names a missing bucket, which pgBackRest
	// on the machine reports as missing files.
	storeNotReady string
	// memo is what the provider remembers of the instance's backups
	// between reconciles.
	memo *backupMemo
}

// stanzaOf is the instance's stanza as pgBackRest on m's machine sees it.
func (b *instanceBackup) stanzaOf(m member) *pgbackrest.Stanza {
	s := pgbackrest.New(m.inst, b.stanza, b.repo)
	s.CA = b.ca
	return s
}

// stopBackupRuns stops the backups and verifies started detached on m's
// machine, of every stanza of the member (its own, a restored one's
// source), before its directory goes: they would outlive it, and once
// their store is gone too, retry it for many minutes. It does so whether
// or not the instance has spec.forProvider.backup now, since a run started
// before that was removed runs on.
func stopBackupRuns(ctx context.Context, m member) error {
	return errors.Wrapf(pgbackrest.StopRuns(ctx, m.inst), errStopRuns, m.vm)
}

// walArchiving is spec.forProvider.backup.walArchiving, true when unset.
func walArchiving(b *v1alpha1.InstanceBackupParameters) bool {
	return b.WALArchiving == nil || *b.WALArchiving
}

// archiveTimeout is spec.forProvider.backup.archiveTimeout, 60 s when
// unset.
func archiveTimeout(b *v1alpha1.InstanceBackupParameters) time.Duration {
	if b.ArchiveTimeout == nil {
		return defaultArchiveTO
	}
	return b.ArchiveTimeout.Duration
}

// resolveBackup resolves the instance's BackupStore and has every member
// archive into it. A store or Secret that is missing fails the connect,
// naming it, before anything on the members changes.
func (c *connector) resolveBackup(ctx context.Context, cr *v1alpha1.DatabaseInstance, e *external) error {
	b := cr.Spec.ForProvider.Backup
	if b == nil {
		return nil
	}
	ref := backupstore.InstanceStore(cr.GetNamespace(), b)
	st, err := backupstore.Resolve(ctx, c.kube, ref, c.backupRoot)
	if err != nil {
		return errors.Wrapf(err, errBackupStore, ref)
	}
	if b.Retention != nil {
		// The instance's own retention: its pgbackrest.conf is its
		// stanza's alone, so a shared store's other stanzas keep theirs.
		st.Repo.Retention = backupstore.Retention(b.Retention)
	}
	// Named after the instance's name, which a Backup refers to it by.
	name, err := backupstore.Stanza(cr.GetNamespace(), cr.GetName())
	if err != nil {
		return err
	}
	e.backup = &instanceBackup{
		store: ref.String(), stanza: name, repo: st.Repo, ca: st.CA,
		archiving: walArchiving(b), timeout: archiveTimeout(b),
		memo:          c.memos.of(cr.GetUID(), ref.String()+" at "+st.Repo.Location()),
		storeNotReady: backupstore.NotReady(ctx, c.kube, ref),
	}
	if !e.backup.archiving {
		return nil
	}
	// Replicas archive too once promoted; until then archive_mode=on does
	// nothing on a standby.
	for _, m := range e.present() {
		a, err := e.backup.stanzaOf(m).Archiving(e.backup.timeout)
		if err != nil {
			return err
		}
		m.inst.Archiving = a
	}
	return nil
}

// ensureBackup writes pgBackRest's configuration on every member that is
// up and, once per primary, creates the stanza in the store (idempotent),
// with pgBackRest's role, and checks that archiving works end to end. It
// waits for a primary that runs with every setting taken up: pgBackRest's
// check refuses a server whose archive_mode waits for a restart, which a
// replicated instance rolls over several passes.
func (e *external) ensureBackup(ctx context.Context) error {
	b := e.backup
	if b == nil {
		return nil
	}
	for _, m := range e.present() {
		if m.off != "" {
			continue
		}
		st := b.stanzaOf(m)
		if ok, err := st.ConfigCurrent(ctx); err == nil && ok {
			continue
		}
		if err := st.WriteConfig(ctx); err != nil {
			return errors.Wrapf(err, errBackupConfig, b.store, m.vm)
		}
	}
	p := e.primaryMember()
	if p.off == "" {
		// The primary's configuration names this store by now, so what
		// its archiver reports from here on is about this store.
		b.memo.configured(time.Now())
	}
	if p.off != "" || b.memo.createdOn() == p.vm {
		return nil
	}
	s, err := p.inst.Status(ctx, e.password)
	if err != nil || !s.Ready || s.InRecovery || len(s.PendingRestart) > 0 {
		return nil
	}
	// A store that does not answer has pgBackRest retry for minutes; the
	// reconcile is not held for longer than this, and the next one tries
	// again.
	ctx, cancel := context.WithTimeout(ctx, stanzaTimeout)
	defer cancel()
	st := b.stanzaOf(p)
	if err := st.EnsureRole(ctx, e.password); err != nil {
		return errors.Wrapf(err, errBackupRole, p.vm)
	}
	if err := st.StanzaCreate(ctx); err != nil {
		return errors.Wrapf(err, errStanzaCreate, b.stanza, b.store)
	}
	if b.archiving {
		if err := st.Check(ctx); err != nil {
			return errors.Wrapf(err, errArchiveCheck, b.store)
		}
	}
	b.memo.created(p.vm)
	return nil
}

// backupMemo is what the provider remembers of one instance's backups in
// one store between reconciles, in memory: a provider that restarts
// creates the stanza once more (it exists: nothing changes) and asks
// pgbackrest info at its first look.
type backupMemo struct {
	mu sync.Mutex
	// store is the store the memo is about, with its location: a stanza
	// made in one store says nothing of another.
	store string
	// moved is set when the instance archived into another store before
	// this one, in this provider's memory: the archiver's statistics then
	// tell of the old store until the primary's configuration names this
	// one, at configuredAt (the provider's clock, which the archiver's
	// times are compared with: one host on local and test hosts, and
	// within the machines' clock skew on VMs).
	moved        bool
	configuredAt time.Time
	// stanzaOn is the member the stanza was last created and checked on:
	// a new primary, after a failover, checks again.
	stanzaOn string
	// infoAt is when pgbackrest info was last run, window what the
	// instance's recovery window was then.
	infoAt time.Time
	window v1alpha1.RecoveryWindow
}

func (m *backupMemo) createdOn() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stanzaOn
}

func (m *backupMemo) created(vm string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stanzaOn = vm
}

// configured notes that the primary's configuration names the store at
// now, unless it was noted before.
func (m *backupMemo) configured(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.configuredAt.IsZero() {
		m.configuredAt = now
	}
}

// archiverSince is from when the archiver's statistics are about this
// store: all of them, unless the instance moved here from another store;
// then those from when the primary's configuration first named this one,
// or none before it does (now).
func (m *backupMemo) archiverSince(now time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case !m.moved:
		return time.Time{}
	case m.configuredAt.IsZero():
		return now
	default:
		return m.configuredAt
	}
}

// backupMemos are the memos of every instance, by UID, each about the
// store the instance last archived into.
type backupMemos struct {
	mu sync.Mutex
	m  map[types.UID]*backupMemo
}

// of is the memo of the instance uid about store (its kind, name and
// location). An instance whose store changed gets a new memo, so that the
// stanza is made in the new store and the recovery window read from it.
func (ms *backupMemos) of(uid types.UID, store string) *backupMemo {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.m == nil {
		ms.m = map[types.UID]*backupMemo{}
	}
	old := ms.m[uid]
	if old == nil || old.store != store {
		ms.m[uid] = &backupMemo{store: store, moved: old != nil}
	}
	return ms.m[uid]
}

// backupRoot is the provider's --backup-root, or its default.
func backupRoot(o options.Options) string {
	if o.BackupRoot != "" {
		return o.BackupRoot
	}
	return backupstore.DefaultBackupRoot
}
