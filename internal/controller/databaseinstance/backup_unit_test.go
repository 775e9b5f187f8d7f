package databaseinstance

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// TestBackupMemoPerStore follows one instance's memo through changes of
// its store: the stanza is made again in a store it was not made in, and
// the archiver's statistics count only from when the primary's
// configuration names the new store.
func TestBackupMemoPerStore(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	const (
		s3      = "BackupStore s3 at s3://s3.example:443/backups/dbaas"
		s3Moved = "BackupStore s3 at s3://s3.example:443/other/dbaas"
		posix   = "BackupStore posix at posix:/var/lib/dbaas/backups/ns/second"
		cluster = "ClusterBackupStore s3 at s3://s3.example:443/backups/dbaas"
	)
	type want struct {
		stanzaDue bool      // the primary "vm-0" must make and check the stanza
		since     time.Time // archiverSince at t0
	}
	cases := map[string]struct {
		reason string
		stores []string // the stores of the instance's passes; the stanza is made in each
		want   want
	}{
		"First": {
			reason: "The first store this provider sees: the stanza is made, and every statistic counts.",
			stores: []string{s3},
			want:   want{stanzaDue: true},
		},
		"Same": {
			reason: "The same store on the next pass: the stanza is not made again.",
			stores: []string{s3, s3},
			want:   want{},
		},
		"OtherStore": {
			reason: "Another store: the stanza is made there, and the old store's statistics do not count.",
			stores: []string{s3, posix},
			want:   want{stanzaDue: true, since: t0},
		},
		"SameNameOtherBucket": {
			reason: "The store's bucket changed under the same name: it is another repository.",
			stores: []string{s3, s3Moved},
			want:   want{stanzaDue: true, since: t0},
		},
		"OtherKindSameName": {
			reason: "A ClusterBackupStore of the name of the BackupStore it replaces is another store.",
			stores: []string{s3, cluster},
			want:   want{stanzaDue: true, since: t0},
		},
		"Back": {
			reason: "Back to a store used before: it is checked again, since the stanza may be gone from it.",
			stores: []string{s3, posix, s3},
			want:   want{stanzaDue: true, since: t0},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var ms backupMemos
			var m *backupMemo
			for n, store := range tc.stores {
				m = ms.of("uid", store)
				if n < len(tc.stores)-1 {
					m.configured(t0.Add(-time.Hour))
					m.created("vm-0")
				}
			}
			if m.store != tc.stores[len(tc.stores)-1] {
				t.Errorf("%s\nthe memo is about %q", tc.reason, m.store)
			}
			if got := m.createdOn() != "vm-0"; got != tc.want.stanzaDue {
				t.Errorf("%s\nstanza due: %t, want %t", tc.reason, got, tc.want.stanzaDue)
			}
			// Before the primary's configuration names the store, nothing
			// the archiver says is about it when the instance moved.
			if got := m.archiverSince(t0); !got.Equal(tc.want.since) {
				t.Errorf("%s\narchiverSince before configured: %v, want %v", tc.reason, got, tc.want.since)
			}
			m.configured(t0.Add(time.Minute))
			m.configured(t0.Add(2 * time.Minute))
			wantSince := time.Time{}
			if !tc.want.since.IsZero() {
				wantSince = t0.Add(time.Minute)
			}
			if got := m.archiverSince(t0.Add(time.Hour)); !got.Equal(wantSince) {
				t.Errorf("%s\narchiverSince once configured: %v, want %v (the first time noted)", tc.reason, got, wantSince)
			}
		})
	}
	var ms backupMemos
	if ms.of("a", s3) == ms.of("b", s3) {
		t.Error("two instances share a memo")
	}
}

func TestArchiverSince(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	old := postgresql.Archiver{ArchivedCount: 9, LastArchived: "000000010000000000000009", LastArchivedTime: t0.Add(-time.Minute),
		FailedCount: 2, LastFailed: "000000010000000000000005", LastFailedTime: t0.Add(-time.Hour)}
	cases := map[string]struct {
		reason string
		a      postgresql.Archiver
		since  time.Time
		want   postgresql.Archiver
	}{
		"NoMove": {reason: "Without a move every statistic counts.", a: old, want: old},
		"AllBefore": {reason: "Everything before the move is about the old store; the counts stay, they are not read.",
			a: old, since: t0, want: postgresql.Archiver{ArchivedCount: 9, FailedCount: 2}},
		"FailedAfter": {reason: "A failure since the move is the new store's; the success before it is not.",
			a: postgresql.Archiver{LastArchived: "000000010000000000000009", LastArchivedTime: t0.Add(-time.Minute),
				LastFailed: "00000001000000000000000A", LastFailedTime: t0.Add(time.Second)},
			since: t0,
			want:  postgresql.Archiver{LastFailed: "00000001000000000000000A", LastFailedTime: t0.Add(time.Second)}},
		"ArchivedAfter": {reason: "A success since the move is the new store's; the failure before it is not.",
			a: postgresql.Archiver{LastArchived: "00000001000000000000000A", LastArchivedTime: t0.Add(time.Second),
				LastFailed: "000000010000000000000005", LastFailedTime: t0.Add(-time.Hour)},
			since: t0,
			want:  postgresql.Archiver{LastArchived: "00000001000000000000000A", LastArchivedTime: t0.Add(time.Second)}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, archiverSince(tc.a, tc.since)); diff != "" {
				t.Errorf("%s\narchiverSince(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
