package mongodb

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestInitiateCommand(t *testing.T) {
	type want struct {
		cmd bson.D
		err error
	}
	three := []Member{
		{ID: 0, Host: "mongo-0.db.internal:27017", Priority: 2},
		{ID: 1, Host: "mongo-1.db.internal:27017", Priority: 1},
		{ID: 2, Host: "10.0.0.6:27018", Priority: 0},
	}
	cases := map[string]struct {
		reason  string
		name    string
		members []Member
		want    want
	}{
		"ThreeMembers": {
			reason:  "Each member keeps its id, host and priority.",
			name:    "rs0",
			members: three,
			want: want{cmd: bson.D{{Key: "replSetInitiate", Value: bson.D{
				{Key: "_id", Value: "rs0"},
				{Key: "members", Value: bson.A{
					bson.D{{Key: "_id", Value: int32(0)}, {Key: "host", Value: "mongo-0.db.internal:27017"}, {Key: "priority", Value: 2.0}},
					bson.D{{Key: "_id", Value: int32(1)}, {Key: "host", Value: "mongo-1.db.internal:27017"}, {Key: "priority", Value: 1.0}},
					bson.D{{Key: "_id", Value: int32(2)}, {Key: "host", Value: "10.0.0.6:27018"}, {Key: "priority", Value: 0.0}},
				}},
			}}}},
		},
		"HostileName": {
			reason:  "The set's name is a BSON string value, whatever it holds.",
			name:    `rs0"}, {$where: "1"}`,
			members: three[:1],
			want: want{cmd: bson.D{{Key: "replSetInitiate", Value: bson.D{
				{Key: "_id", Value: `rs0"}, {$where: "1"}`},
				{Key: "members", Value: bson.A{
					bson.D{{Key: "_id", Value: int32(0)}, {Key: "host", Value: "mongo-0.db.internal:27017"}, {Key: "priority", Value: 2.0}},
				}},
			}}}},
		},
		"NoName":      {reason: "A set needs a name.", members: three, want: want{err: errors.New(errReplSetName)}},
		"NoMembers":   {reason: "A set needs a member.", name: "rs0", want: want{err: errors.New(errNoMembers)}},
		"DuplicateID": {reason: "Ids are unique.", name: "rs0", members: []Member{three[0], {ID: 0, Host: "b:1"}}, want: want{err: errors.Errorf(errMemberID, 0)}},
		"NoPort":      {reason: "A host needs its port.", name: "rs0", members: []Member{{Host: "mongo-0"}}, want: want{err: errors.Errorf(errMemberHost, "mongo-0")}},
		"HostileHost": {reason: "A host is a host name or address.", name: "rs0", members: []Member{{Host: "a b:1"}}, want: want{err: errors.Errorf(errMemberHost, "a b:1")}},
		"SameHost":    {reason: "Hosts are unique.", name: "rs0", members: []Member{three[0], {ID: 1, Host: three[0].Host}}, want: want{err: errors.Errorf(errMemberHost, three[0].Host)}},
		"BadPriority": {reason: "Priorities are 0 to 1000.", name: "rs0", members: []Member{{Host: "a:1", Priority: -1}}, want: want{err: errors.Errorf(errPriority, "a:1", -1.0)}},
		"EightVoting": {reason: "At most seven members vote.", name: "rs0", members: make([]Member, 8), want: want{err: errors.Errorf(errTooManyVote, 7)}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cmd, err := InitiateCommand(tc.name, tc.members)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nInitiateCommand(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cmd, cmd); diff != "" {
				t.Errorf("%s\nInitiateCommand(...): -want, +got:\n%s", tc.reason, diff)
			}
			if cmd == nil {
				return
			}
			// The document must encode; the driver would fail otherwise.
			if _, err := bson.Marshal(cmd); err != nil {
				t.Errorf("the command does not encode as BSON: %v", err)
			}
		})
	}
}
