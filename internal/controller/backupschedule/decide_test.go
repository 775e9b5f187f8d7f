package backupschedule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

func mustSlots(t *testing.T, spec v1alpha1.BackupScheduleSpec) ([]slot, *time.Location) {
	t.Helper()
	s, loc, err := parseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s, loc
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptrTime(s string) *time.Time {
	t := at(s)
	return &t
}

func TestParseSpec(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   v1alpha1.BackupScheduleSpec
		// wantErr is a part of the error; empty for none.
		wantErr string
		// from and want are a time and the first run after it.
		from, want string
	}{
		"FiveFields": {
			reason: "The usual five fields are minutes first.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "30 3 * * *"},
			from:   "2026-12-07T02:00:00Z", want: "2026-12-07T03:30:00Z",
		},
		"SecondsFirst": {
			reason: "Six fields have seconds first, as CloudNativePG's ScheduledBackup.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "*/20 * * * * *"},
			from:   "2026-12-07T02:00:05Z", want: "2026-12-07T02:00:20Z",
		},
		"Descriptor": {
			reason: "Descriptors such as @daily are accepted.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "@daily"},
			from:   "2026-12-07T02:00:00Z", want: "2026-12-08T00:00:00Z",
		},
		"TimeZone": {
			reason: "The schedule is read in spec.timeZone: 03:00 in Berlin is 02:00 UTC in winter.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "0 3 * * *", TimeZone: "Europe/Berlin"},
			from:   "2026-12-07T00:00:00Z", want: "2026-12-07T02:00:00Z",
		},
		"UnknownZone": {
			reason:  "An unknown zone is an error naming the field.",
			spec:    v1alpha1.BackupScheduleSpec{Schedule: "@daily", TimeZone: "Mars/Olympus"},
			wantErr: `spec.timeZone "Mars/Olympus" is not an IANA time zone`,
		},
		"LocalZone": {
			reason:  "Local would be the provider host's zone, which no user sees.",
			spec:    v1alpha1.BackupScheduleSpec{Schedule: "@daily", TimeZone: "Local"},
			wantErr: "is not an IANA time zone",
		},
		"BadSchedule": {
			reason:  "An expression that is no cron schedule names the field and the accepted forms.",
			spec:    v1alpha1.BackupScheduleSpec{Schedule: "every night"},
			wantErr: `spec.schedule "every night" is not a cron schedule`,
		},
		"BadSlot": {
			reason:  "A slot's bad expression names the slot.",
			spec:    v1alpha1.BackupScheduleSpec{Schedule: "@daily", Slots: []v1alpha1.BackupSlot{{Schedule: "@daily", Type: v1alpha1.BackupIncr}, {Schedule: "61 * * * *", Type: v1alpha1.BackupIncr}}},
			wantErr: `spec.slots[1].schedule "61 * * * *"`,
		},
		"TZPrefix": {
			reason:  "A TZ= prefix is refused: spec.timeZone says the zone.",
			spec:    v1alpha1.BackupScheduleSpec{Schedule: "CRON_TZ=Asia/Tokyo 0 3 * * *"},
			wantErr: "set spec.timeZone instead",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			slots, loc, err := parseSpec(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nparseSpec(...): got error %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nparseSpec(...): %v", tc.reason, err)
			}
			if got := earliest(slots, loc, at(tc.from)); !got.Equal(at(tc.want)) {
				t.Errorf("%s\nfirst run after %s: got %s, want %s", tc.reason, tc.from, got.UTC().Format(time.RFC3339), tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	every20s := v1alpha1.BackupScheduleSpec{Schedule: "*/20 * * * * *"}
	// A weekly full on Sundays at 01:00 and a daily incr at 01:00.
	weeklyFull := v1alpha1.BackupScheduleSpec{
		Schedule: "0 1 * * 0", Type: v1alpha1.BackupFull,
		Slots: []v1alpha1.BackupSlot{{Schedule: "0 1 * * *", Type: v1alpha1.BackupIncr}},
	}
	type want struct {
		take, skip *run
		record     *time.Time
		next       *time.Time
		active     string
		prune      []string
	}
	cases := map[string]struct {
		reason string
		spec   v1alpha1.BackupScheduleSpec
		state  state
		want   want
	}{
		"NotDueYet": {
			reason: "Before the first scheduled time nothing is taken, and the schedule wakes at it.",
			spec:   every20s,
			state:  state{created: at("2026-12-07T02:00:01Z"), now: at("2026-12-07T02:00:05Z")},
			want:   want{next: ptrTime("2026-12-07T02:00:20Z")},
		},
		"Due": {
			reason: "A run that fell due is taken, recorded, and the next one is after now.",
			spec:   every20s,
			state:  state{created: at("2026-12-07T02:00:01Z"), last: ptrTime("2026-12-07T02:00:20Z"), now: at("2026-12-07T02:00:40.3Z")},
			want: want{
				take: &run{at: at("2026-12-07T02:00:40Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-07T02:00:40Z"),
				next: ptrTime("2026-12-07T02:01:00Z"),
			},
		},
		"MissedRunsTakeOne": {
			reason: "After a provider restart, the runs missed are taken once, the latest, not as a burst.",
			spec:   every20s,
			state:  state{created: at("2026-12-07T01:00:00Z"), last: ptrTime("2026-12-07T01:00:20Z"), now: at("2026-12-07T02:00:45Z")},
			want: want{
				take: &run{at: at("2026-12-07T02:00:40Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-07T02:00:40Z"),
				next: ptrTime("2026-12-07T02:01:00Z"),
			},
		},
		"MissedMonthsAgo": {
			reason: "A long outage of a frequent schedule still finds the latest run.",
			spec:   every20s,
			state:  state{created: at("2026-01-01T00:00:00Z"), last: ptrTime("2026-01-01T00:00:20Z"), now: at("2026-12-07T02:00:45Z")},
			want: want{
				take: &run{at: at("2026-12-07T02:00:40Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-07T02:00:40Z"),
				next: ptrTime("2026-12-07T02:01:00Z"),
			},
		},
		"MissedFullBesideIncr": {
			reason: "A weekly full missed beside daily incrs is taken as one full backup at the latest run.",
			spec:   weeklyFull,
			// Saturday 5 December; the provider was down over Sunday 6 and Monday 7.
			state: state{created: at("2026-11-01T00:00:00Z"), last: ptrTime("2026-12-05T01:00:00Z"), now: at("2026-12-07T09:00:00Z")},
			want: want{
				take: &run{at: at("2026-12-07T01:00:00Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-07T01:00:00Z"),
				next: ptrTime("2026-12-08T01:00:00Z"),
			},
		},
		"IncrOnWeekdays": {
			reason: "On a Saturday only the daily slot falls due: an incr backup.",
			spec:   weeklyFull,
			state:  state{created: at("2026-11-01T00:00:00Z"), last: ptrTime("2026-12-04T01:00:00Z"), now: at("2026-12-05T01:00:02Z")},
			want: want{
				take: &run{at: at("2026-12-05T01:00:00Z"), typ: v1alpha1.BackupIncr}, record: ptrTime("2026-12-05T01:00:00Z"),
				next: ptrTime("2026-12-06T01:00:00Z"),
			},
		},
		"SlotsOnOneTimeTakeTheStrongest": {
			reason: "On Sunday 6 December both slots fall due at 01:00: one backup, full.",
			spec:   weeklyFull,
			state:  state{created: at("2026-11-01T00:00:00Z"), last: ptrTime("2026-12-05T01:00:00Z"), now: at("2026-12-06T01:00:02Z")},
			want: want{
				take: &run{at: at("2026-12-06T01:00:00Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-06T01:00:00Z"),
				next: ptrTime("2026-12-07T01:00:00Z"),
			},
		},
		"SkipWhileActive": {
			reason: "A run that falls due while the previous Backup still runs is skipped and recorded, so it is not taken later.",
			spec:   every20s,
			state: state{
				created: at("2026-12-07T02:00:01Z"), last: ptrTime("2026-12-07T02:00:20Z"), now: at("2026-12-07T02:00:41Z"),
				backups: []made{{name: "s-20261207020020", created: at("2026-12-07T02:00:20Z"), phase: v1alpha1.BackupRunning}},
			},
			want: want{
				skip: &run{at: at("2026-12-07T02:00:40Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-07T02:00:40Z"),
				next: ptrTime("2026-12-07T02:01:00Z"), active: "s-20261207020020",
			},
		},
		"NotLookedAtCountsAsActive": {
			reason: "A Backup the Backup controller has not looked at yet (no phase) may be starting: it is active.",
			spec:   every20s,
			state: state{
				created: at("2026-12-07T02:00:01Z"), last: ptrTime("2026-12-07T02:00:20Z"), now: at("2026-12-07T02:00:41Z"),
				backups: []made{{name: "s-20261207020020", created: at("2026-12-07T02:00:20Z")}},
			},
			want: want{
				skip: &run{at: at("2026-12-07T02:00:40Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-07T02:00:40Z"),
				next: ptrTime("2026-12-07T02:01:00Z"), active: "s-20261207020020",
			},
		},
		"Suspended": {
			reason: "A suspended schedule takes nothing and has no next time, but still prunes its history.",
			spec:   every20s,
			state: state{
				created: at("2026-12-07T02:00:01Z"), last: ptrTime("2026-12-07T02:00:20Z"), now: at("2026-12-07T02:05:00Z"),
				suspend: true, keepDone: 1,
				backups: []made{
					{name: "s-20261207020000", created: at("2026-12-07T02:00:00Z"), phase: v1alpha1.BackupCompleted},
					{name: "s-20261207020020", created: at("2026-12-07T02:00:20Z"), phase: v1alpha1.BackupCompleted},
				},
			},
			want: want{prune: []string{"s-20261207020000"}},
		},
		"ResumedAfterSuspend": {
			reason: "A schedule resumed takes the one run missed while suspended, not every one.",
			spec:   every20s,
			state:  state{created: at("2026-12-07T02:00:01Z"), last: ptrTime("2026-12-07T02:00:20Z"), now: at("2026-12-07T02:05:03Z")},
			want: want{
				take: &run{at: at("2026-12-07T02:05:00Z"), typ: v1alpha1.BackupFull}, record: ptrTime("2026-12-07T02:05:00Z"),
				next: ptrTime("2026-12-07T02:05:20Z"),
			},
		},
		"Immediate": {
			reason: "An immediate schedule takes its first backup at once, at its creation time, of the strongest type.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "@daily", Type: v1alpha1.BackupIncr, Slots: []v1alpha1.BackupSlot{{Schedule: "@weekly", Type: v1alpha1.BackupDiff}}},
			state:  state{created: at("2026-12-07T02:00:01Z"), now: at("2026-12-07T02:00:02Z"), immediate: true},
			want: want{
				take: &run{at: at("2026-12-07T02:00:01Z"), typ: v1alpha1.BackupDiff}, record: ptrTime("2026-12-07T02:00:01Z"),
				next: ptrTime("2026-12-08T00:00:00Z"),
			},
		},
		"ImmediateOnce": {
			reason: "An immediate schedule that has made a Backup does not make another at once, even if its status was not written.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "@daily"},
			state: state{
				created: at("2026-12-07T02:00:01Z"), now: at("2026-12-07T02:00:03Z"), immediate: true, keepDone: 3,
				backups: []made{{name: "s-20261207020001", created: at("2026-12-07T02:00:01Z"), phase: v1alpha1.BackupCompleted}},
			},
			want: want{next: ptrTime("2026-12-08T00:00:00Z")},
		},
		"NextInZone": {
			reason: "The next time is the schedule's in its zone.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "0 0 3 * * *", TimeZone: "America/New_York"},
			state:  state{created: at("2026-12-07T02:00:00Z"), now: at("2026-12-07T02:00:00Z")},
			want:   want{next: ptrTime("2026-12-07T08:00:00Z")},
		},
		"NeverDue": {
			reason: "A schedule on a date that does not exist has no next time.",
			spec:   v1alpha1.BackupScheduleSpec{Schedule: "0 0 30 2 *"},
			state:  state{created: at("2026-12-07T02:00:00Z"), now: at("2026-12-07T02:00:00Z")},
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := tc.state
			st.slots, st.loc = mustSlots(t, tc.spec)
			p := decide(st)
			got := want(p)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(run{}, want{}), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("%s\ndecide(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	b := func(name string, sec int, phase v1alpha1.BackupPhase) made {
		return made{name: name, created: at("2026-12-07T02:00:00Z").Add(time.Duration(sec) * time.Second), phase: phase}
	}
	cases := map[string]struct {
		reason             string
		backups            []made
		keepDone, keepFail int
		want               []string
	}{
		"WithinLimits": {
			reason:   "Nothing is pruned within the limits.",
			backups:  []made{b("a", 0, v1alpha1.BackupCompleted), b("b", 20, v1alpha1.BackupFailed)},
			keepDone: 3, keepFail: 1,
		},
		"OldestCompletedFirst": {
			reason: "The oldest Completed or Expired Backups beyond the limit go; an Expired one counts as done.",
			backups: []made{
				b("c", 40, v1alpha1.BackupCompleted), b("a", 0, v1alpha1.BackupExpired),
				b("d", 60, v1alpha1.BackupCompleted), b("b", 20, v1alpha1.BackupCompleted),
			},
			keepDone: 2, keepFail: 1,
			want: []string{"b", "a"},
		},
		"FailedApart": {
			reason: "Failed Backups have their own limit, and active ones are never pruned.",
			backups: []made{
				b("a", 0, v1alpha1.BackupFailed), b("b", 20, v1alpha1.BackupFailed), b("c", 40, v1alpha1.BackupCompleted),
				b("d", 60, v1alpha1.BackupRunning), b("e", 80, v1alpha1.BackupPending), b("f", 90, ""),
			},
			keepDone: 0, keepFail: 1,
			want: []string{"c", "a"},
		},
		"SameSecond": {
			reason:   "Backups made within one second order by name, which ends in their scheduled time.",
			backups:  []made{b("s-20261207020001", 0, v1alpha1.BackupCompleted), b("s-20261207020000", 0, v1alpha1.BackupCompleted)},
			keepDone: 1,
			want:     []string{"s-20261207020000"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, prune(tc.backups, tc.keepDone, tc.keepFail)); diff != "" {
				t.Errorf("%s\nprune(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLastFailed(t *testing.T) {
	cases := map[string]struct {
		reason  string
		backups []made
		want    string
	}{
		"NewestFailed": {
			reason:  "The newest Backup failed: the schedule says so.",
			backups: []made{{name: "a", created: at("2026-12-07T02:00:00Z"), phase: v1alpha1.BackupCompleted}, {name: "b", created: at("2026-12-07T02:00:20Z"), phase: v1alpha1.BackupFailed}},
			want:    "b",
		},
		"OlderFailed": {
			reason:  "A failure followed by a completed backup is over.",
			backups: []made{{name: "a", created: at("2026-12-07T02:00:00Z"), phase: v1alpha1.BackupFailed}, {name: "b", created: at("2026-12-07T02:00:20Z"), phase: v1alpha1.BackupCompleted}},
		},
		"None": {reason: "No Backups, no failure."},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if f := lastFailed(tc.backups); f != nil {
				got = f.name
			}
			if got != tc.want {
				t.Errorf("%s\nlastFailed(...): got %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}

func TestStuck(t *testing.T) {
	cases := map[string]struct {
		reason  string
		backups []made
		active  string
		want    string
	}{
		"NotStarted": {
			reason:  "An active Backup with no phase and a message has not started: runs skipped behind it are no progress.",
			backups: []made{{name: "a", message: "DatabaseInstance db is not Ready yet: the backup starts once it is"}},
			active:  "a", want: "a",
		},
		"Running": {
			reason:  "A running Backup is progress.",
			backups: []made{{name: "a", phase: v1alpha1.BackupRunning}},
			active:  "a",
		},
		"JustMade": {
			reason:  "A Backup not looked at yet says nothing: it may be starting.",
			backups: []made{{name: "a"}},
			active:  "a",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if b := stuck(tc.backups, tc.active); b != nil {
				got = b.name
			}
			if got != tc.want {
				t.Errorf("%s\nstuck(...): got %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}
