package backupschedule

import (
	"sort"
	"time"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

// made is one Backup the schedule made, as the decisions see it.
type made struct {
	name    string
	created time.Time
	phase   v1alpha1.BackupPhase
	message string
}

// state is everything the decisions read: the schedule's parsed slots
// and zone, its fields and status, the Backups it made, and the time.
type state struct {
	slots []slot
	loc   *time.Location
	now   time.Time
	// created is when the schedule was created; last its recorded
	// lastScheduleTime, nil before the first run.
	created time.Time
	last    *time.Time

	suspend, immediate   bool
	keepDone, keepFailed int

	backups []made
}

// run is a backup due at a scheduled time, of a type.
type run struct {
	at  time.Time
	typ v1alpha1.BackupType
}

// plan is what the reconciler does.
type plan struct {
	// take is the backup to take now; skip a run that fell due while
	// active was still pending or running. At most one of them is set.
	take, skip *run
	// record is the new lastScheduleTime, when a run fell due.
	record *time.Time
	// next is when the next run is due; nil while suspended, or when no
	// slot ever falls due again (a date that does not exist).
	next *time.Time
	// active is the schedule's Backup that is pending or running.
	active string
	// prune are the Backups over the history limits.
	prune []string
}

// decide says what a schedule does now. A schedule takes one backup at a
// time: a run that falls due while the previous one is still pending or
// running is skipped (and recorded, so it is not taken later). Runs missed
// while the provider was down are taken once, not one by one: the latest
// of them, of the strongest type among them, so a weekly full missed
// beside a daily incr is not lost. An immediate schedule takes its first
// backup at its creation time, named after it, so a reconcile that reads a
// stale cache makes the same Backup again rather than a second one.
func decide(s state) plan {
	p := plan{active: activeBackup(s.backups), prune: prune(s.backups, s.keepDone, s.keepFailed)}
	if s.suspend {
		return p
	}
	var due *run
	switch {
	case s.last == nil && s.immediate && len(s.backups) == 0:
		due = &run{at: s.created, typ: strongest(s.slots)}
	case s.last == nil:
		due = missed(s.slots, s.loc, s.created, s.now)
	default:
		due = missed(s.slots, s.loc, *s.last, s.now)
	}
	from := s.now
	if due != nil {
		at := due.at
		p.record = &at
		if p.active != "" {
			p.skip = due
		} else {
			p.take = due
		}
	}
	if s.last != nil && s.last.After(from) {
		// A lastScheduleTime ahead of this clock: nothing runs before it.
		from = *s.last
	}
	if next := earliest(s.slots, s.loc, from); !next.IsZero() {
		p.next = &next
	}
	return p
}

// lookBack are the windows before now in which missed looks for a
// schedule's last run, shortest first, so that finding it takes a few
// steps of the schedule even after a long outage of a frequent schedule.
var lookBack = []time.Duration{
	time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour,
	24 * time.Hour, 7 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour,
}

// missed is the latest run of any slot after from and not after now, of
// the strongest type among the slots that fell due in that time; nil when
// none did.
func missed(slots []slot, loc *time.Location, from, now time.Time) *run {
	var due *run
	for _, sl := range slots {
		if !fallsDue(sl, loc, from, now) {
			continue
		}
		at := lastBefore(sl, loc, from, now)
		if due == nil {
			due = &run{at: at, typ: sl.typ}
			continue
		}
		if at.After(due.at) {
			due.at = at
		}
		if rank(sl.typ) > rank(due.typ) {
			due.typ = sl.typ
		}
	}
	return due
}

// lastBefore is a slot's latest scheduled time after from and not after
// now; the slot has one.
func lastBefore(sl slot, loc *time.Location, from, now time.Time) time.Time {
	start := from
	for _, w := range lookBack {
		if s := now.Add(-w); s.After(from) && fallsDue(sl, loc, s, now) {
			start = s
			break
		}
	}
	last := start
	for t := sl.schedule.Next(start.In(loc)); !t.IsZero() && !t.After(now); t = sl.schedule.Next(t) {
		last = t
	}
	return last
}

// fallsDue reports whether the slot falls due after from and not after now. The
// cron library's zero time means never (a date that does not exist).
func fallsDue(sl slot, loc *time.Location, from, now time.Time) bool {
	t := sl.schedule.Next(from.In(loc))
	return !t.IsZero() && !t.After(now)
}

// earliest is the first time after from that any slot falls due.
func earliest(slots []slot, loc *time.Location, from time.Time) time.Time {
	var next time.Time
	for _, sl := range slots {
		t := sl.schedule.Next(from.In(loc))
		if t.IsZero() {
			// The schedule never falls due (30 February).
			continue
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// rank orders backup types: a full backup holds what a diff does, and a
// diff what an incr does.
func rank(t v1alpha1.BackupType) int {
	switch t {
	case v1alpha1.BackupFull, "":
		return 3
	case v1alpha1.BackupDiff:
		return 2
	default:
		return 1
	}
}

// strongest is the strongest type among slots.
func strongest(slots []slot) v1alpha1.BackupType {
	typ := v1alpha1.BackupIncr
	for _, sl := range slots {
		if rank(sl.typ) > rank(typ) {
			typ = sl.typ
		}
	}
	return typ
}

// activeBackup is the schedule's Backup that is pending or running (or not
// looked at yet), if one is.
func activeBackup(bs []made) string {
	for _, b := range bs {
		switch b.phase {
		case "", v1alpha1.BackupPending, v1alpha1.BackupRunning:
			return b.name
		}
	}
	return ""
}

// prune are the Backups beyond the history limits: the oldest Completed or
// Expired ones past keepDone, and the oldest Failed ones past keepFailed.
// A pending or running Backup is never pruned.
func prune(bs []made, keepDone, keepFailed int) []string {
	sorted := append([]made(nil), bs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].created.Equal(sorted[j].created) {
			return sorted[i].created.After(sorted[j].created)
		}
		// Names end in the scheduled time, so they order runs made within
		// one second of each other.
		return sorted[i].name > sorted[j].name
	})
	var out []string
	done, failed := 0, 0
	for _, b := range sorted {
		switch b.phase {
		case v1alpha1.BackupCompleted, v1alpha1.BackupExpired:
			if done++; done > keepDone {
				out = append(out, b.name)
			}
		case v1alpha1.BackupFailed:
			if failed++; failed > keepFailed {
				out = append(out, b.name)
			}
		}
	}
	return out
}

// lastFailed is the newest of bs when it failed: the schedule is then not
// Ready, saying why.
func lastFailed(bs []made) *made {
	var newest *made
	for i := range bs {
		if b := &bs[i]; b.phase != "" && (newest == nil || b.created.After(newest.created) || (b.created.Equal(newest.created) && b.name > newest.name)) {
			newest = b
		}
	}
	if newest == nil || newest.phase != v1alpha1.BackupFailed {
		return nil
	}
	return newest
}

// stuck is the schedule's active Backup when it has not started: no phase
// yet, and a message saying why (its Synced condition, such as an
// instance that is not Ready). The runs skipped behind it are then no
// progress, and the schedule is not Ready, saying why.
func stuck(bs []made, active string) *made {
	for i := range bs {
		if b := &bs[i]; b.name == active && b.phase == "" && b.message != "" {
			return b
		}
	}
	return nil
}
