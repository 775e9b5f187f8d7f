package mongodb

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// capture reads a reply captured as Extended JSON, as mongosh's EJSON
// prints it, into the BSON the driver would return.
func capture(t *testing.T, name string) bson.Raw {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var raw bson.Raw
	if err := bson.UnmarshalExtJSON(js, false, &raw); err != nil {
		t.Fatalf("%s is not Extended JSON: %v", name, err)
	}
	return raw
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseStatus(t *testing.T) {
	type want struct {
		st          Status
		secondaries []string
		maxLag      time.Duration
		lagKnown    bool
		err         error
	}
	cases := map[string]struct {
		reason string
		file   string
		want   want
	}{
		"Healthy": {
			reason: "A primary and two secondaries, one 12s behind.",
			file:   "replsetgetstatus-healthy.json",
			want: want{
				st: Status{
					Set:     "rs0",
					Primary: "mongo-0.db.internal:27017",
					Members: []MemberStatus{
						{ID: 0, Host: "mongo-0.db.internal:27017", State: StatePrimary, Healthy: true, Self: true, Optime: date("2025-03-14T10:20:30Z")},
						{ID: 1, Host: "mongo-1.db.internal:27017", State: StateSecondary, Healthy: true, Optime: date("2025-03-14T10:20:30Z"), LagKnown: true},
						{ID: 2, Host: "mongo-2.db.internal:27017", State: StateSecondary, Healthy: true, Optime: date("2025-03-14T10:20:18Z"), Lag: 12 * time.Second, LagKnown: true},
					},
				},
				secondaries: []string{"mongo-1.db.internal:27017", "mongo-2.db.internal:27017"},
				maxLag:      12 * time.Second,
				lagKnown:    true,
			},
		},
		"NoPrimary": {
			reason: "With the primary down there is no lag to measure.",
			file:   "replsetgetstatus-noprimary.json",
			want: want{
				st: Status{
					Set: "rs0",
					Members: []MemberStatus{
						{ID: 0, Host: "mongo-0.db.internal:27017", State: StateDown, Optime: date("1970-01-01T00:00:00Z")},
						{ID: 1, Host: "mongo-1.db.internal:27017", State: StateSecondary, Healthy: true, Self: true, Optime: date("2025-03-14T10:59:50Z")},
						{ID: 2, Host: "mongo-2.db.internal:27017", State: StateSecondary, Healthy: true, Optime: date("2025-03-14T10:59:50Z")},
					},
				},
				secondaries: []string{"mongo-1.db.internal:27017", "mongo-2.db.internal:27017"},
			},
		},
		"NotInitialized": {
			reason: "A member that was never initiated answers with code 94.",
			file:   "replsetgetstatus-notinitialized.json",
			want: want{err: &CommandError{Code: 94, CodeName: "NotYetInitialized",
				Message: "no replset config has been received"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st, err := ParseStatus(capture(t, tc.file))
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Fatalf("%s\nParseStatus(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.st, st); diff != "" {
				t.Errorf("%s\nParseStatus(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.secondaries, st.Secondaries()); diff != "" {
				t.Errorf("%s\nSecondaries(): -want, +got:\n%s", tc.reason, diff)
			}
			lag, known := st.MaxLag()
			if lag != tc.want.maxLag || known != tc.want.lagKnown {
				t.Errorf("%s\nMaxLag(): want %v, %v, got %v, %v", tc.reason, tc.want.maxLag, tc.want.lagKnown, lag, known)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	cases := map[State]string{StatePrimary: "PRIMARY", StateSecondary: "SECONDARY", State(42): "State(42)"}
	for s, want := range cases {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String(): want %q, got %q", int(s), want, got)
		}
	}
}
