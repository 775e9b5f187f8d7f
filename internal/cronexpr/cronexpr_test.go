package cronexpr

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	from := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	cases := map[string]struct {
		reason  string
		expr    string
		next    time.Time
		wantErr string
	}{
		"FiveFields": {
			reason: "The usual five fields should be read, minute first.",
			expr:   "0 1 * * *",
			next:   time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC),
		},
		"SixFieldsSecondsFirst": {
			reason: "Six fields should be read with seconds first, as CloudNativePG's ScheduledBackup.",
			expr:   "30 0 3 * * 0",
			next:   time.Date(2026, 12, 13, 3, 0, 30, 0, time.UTC),
		},
		"Descriptor": {
			reason: "A descriptor should be read.",
			expr:   "@daily",
			next:   time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC),
		},
		"SpacesAround": {
			reason: "Spaces around the expression should not matter.",
			expr:   "  0 1 * * *  ",
			next:   time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC),
		},
		"TooFewFields": {
			reason:  "Four fields should be refused, naming the field and what is accepted.",
			expr:    "0 1 * *",
			wantErr: `data.tiers[ha].backup.schedule "0 1 * *" is not a cron schedule (5 fields: minute hour day-of-month month day-of-week; 6 with seconds first; or a descriptor such as @daily or @every 1h)`,
		},
		"OutOfRange": {
			reason:  "An hour out of range should be refused.",
			expr:    "0 25 * * *",
			wantErr: `data.tiers[ha].backup.schedule "0 25 * * *" is not a cron schedule`,
		},
		"TimeZonePrefix": {
			reason:  "A TZ= prefix should be refused: the time zone is the schedule's spec.timeZone.",
			expr:    "CRON_TZ=Europe/Berlin 0 1 * * *",
			wantErr: `data.tiers[ha].backup.schedule "CRON_TZ=Europe/Berlin 0 1 * * *" has a time zone prefix: set spec.timeZone instead`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Parse("data.tiers[ha].backup.schedule", tc.expr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nParse(%q): got error %v, want one containing %q", tc.reason, tc.expr, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nParse(%q): %v", tc.reason, tc.expr, err)
			}
			if got := s.Next(from); !got.Equal(tc.next) {
				t.Errorf("%s\nParse(%q).Next(%s): got %s, want %s", tc.reason, tc.expr, from, got, tc.next)
			}
		})
	}
}
