package mongodb

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// call is one command a fakeRunner received.
type call struct {
	DB  string
	Cmd string // the command's verb, its first key
}

// fakeRunner answers each command by its verb and records the calls.
type fakeRunner struct {
	replies map[string]func(cmd bson.D) (bson.Raw, error)
	calls   []call
	last    map[string]bson.D
}

func (f *fakeRunner) RunCommand(_ context.Context, db string, cmd bson.D) (bson.Raw, error) {
	f.calls = append(f.calls, call{DB: db, Cmd: cmd[0].Key})
	if f.last == nil {
		f.last = map[string]bson.D{}
	}
	f.last[cmd[0].Key] = cmd
	return f.replies[cmd[0].Key](cmd)
}

func reply(t *testing.T, d bson.D) func(bson.D) (bson.Raw, error) {
	raw, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return func(bson.D) (bson.Raw, error) { return raw, nil }
}

func TestEnsureReplicaSet(t *testing.T) {
	members := []Member{{ID: 0, Host: "mongo-0.db.internal:27017", Priority: 1}}
	errBoom := errors.New("boom")
	type want struct {
		calls     []call
		initiated bool
		set       string
		err       error
	}
	cases := map[string]struct {
		reason  string
		name    string
		replies func(t *testing.T) map[string]func(bson.D) (bson.Raw, error)
		want    want
	}{
		"DriverNotYetInitialized": {
			reason: "The driver's CommandError 94 leads to replSetInitiate.",
			name:   "rs0",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"replSetGetStatus": func(bson.D) (bson.Raw, error) {
						return nil, mongo.CommandError{Code: 94, Name: "NotYetInitialized"}
					},
					"replSetInitiate": reply(t, bson.D{{Key: "ok", Value: 1.0}}),
				}
			},
			want: want{calls: []call{{"admin", "replSetGetStatus"}, {"admin", "replSetInitiate"}}, initiated: true},
		},
		"RawNotYetInitialized": {
			reason: "A raw reply with code 94 leads to replSetInitiate too.",
			name:   "rs0",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"replSetGetStatus": func(bson.D) (bson.Raw, error) { return capture(t, "replsetgetstatus-notinitialized.json"), nil },
					"replSetInitiate":  reply(t, bson.D{{Key: "ok", Value: 1.0}}),
				}
			},
			want: want{calls: []call{{"admin", "replSetGetStatus"}, {"admin", "replSetInitiate"}}, initiated: true},
		},
		"AlreadyInitiated": {
			reason: "A set that answers its status is not initiated again.",
			name:   "rs0",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"replSetGetStatus": func(bson.D) (bson.Raw, error) { return capture(t, "replsetgetstatus-healthy.json"), nil },
				}
			},
			want: want{calls: []call{{"admin", "replSetGetStatus"}}, set: "rs0"},
		},
		"OtherSet": {
			reason: "A member of another set is an error, not something to initiate.",
			name:   "orders",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"replSetGetStatus": func(bson.D) (bson.Raw, error) { return capture(t, "replsetgetstatus-healthy.json"), nil },
				}
			},
			want: want{calls: []call{{"admin", "replSetGetStatus"}}, set: "rs0", err: errors.Errorf(errOtherSet, "rs0", "orders")},
		},
		"StatusFails": {
			reason: "Any other failure is reported and nothing is initiated.",
			name:   "rs0",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"replSetGetStatus": func(bson.D) (bson.Raw, error) { return nil, errBoom },
				}
			},
			want: want{calls: []call{{"admin", "replSetGetStatus"}}, err: errors.Wrap(errBoom, errStatus)},
		},
		"InitiateFails": {
			reason: "A failed initiate is reported.",
			name:   "rs0",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"replSetGetStatus": func(bson.D) (bson.Raw, error) { return nil, mongo.CommandError{Code: 94} },
					"replSetInitiate":  func(bson.D) (bson.Raw, error) { return nil, errBoom },
				}
			},
			want: want{calls: []call{{"admin", "replSetGetStatus"}, {"admin", "replSetInitiate"}}, err: errors.Wrap(errBoom, errInitiate)},
		},
		"InvalidMembers": {
			reason: "An invalid set fails before any command is sent.",
			name:   "",
			replies: func(*testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return nil
			},
			want: want{err: errors.New(errReplSetName)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeRunner{replies: tc.replies(t)}
			st, initiated, err := EnsureReplicaSet(context.Background(), f, tc.name, members)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\n-want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.calls, f.calls); diff != "" {
				t.Errorf("%s\ncalls: -want, +got:\n%s", tc.reason, diff)
			}
			if initiated != tc.want.initiated || st.Set != tc.want.set {
				t.Errorf("%s\nwant initiated %v and set %q, got %v and %q", tc.reason, tc.want.initiated, tc.want.set, initiated, st.Set)
			}
			if initiated {
				want, _ := InitiateCommand(tc.name, members)
				if diff := cmp.Diff(want, f.last["replSetInitiate"]); diff != "" {
					t.Errorf("%s\nreplSetInitiate sent: -want, +got:\n%s", tc.reason, diff)
				}
			}
		})
	}
}

func TestEnsureUser(t *testing.T) {
	roles := []Role{{Role: "readWrite", DB: "orders"}}
	// errEcho is a failure whose text a careless wrapper could extend with
	// the command; the password must still not appear.
	errEcho := errors.New("command failed")
	type want struct {
		calls []call
		verb  string
		err   error
	}
	cases := map[string]struct {
		reason  string
		replies func(t *testing.T) map[string]func(bson.D) (bson.Raw, error)
		want    want
	}{
		"Create": {
			reason: "A missing user is created with its password.",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"usersInfo":  reply(t, bson.D{{Key: "users", Value: bson.A{}}, {Key: "ok", Value: 1.0}}),
					"createUser": reply(t, bson.D{{Key: "ok", Value: 1.0}}),
				}
			},
			want: want{calls: []call{{"admin", "usersInfo"}, {"admin", "createUser"}}, verb: "createUser"},
		},
		"Update": {
			reason: "An existing user gets the password and roles again, so a rotation takes.",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"usersInfo":  reply(t, bson.D{{Key: "users", Value: bson.A{bson.D{{Key: "user", Value: "app"}}}}, {Key: "ok", Value: 1.0}}),
					"updateUser": reply(t, bson.D{{Key: "ok", Value: 1.0}}),
				}
			},
			want: want{calls: []call{{"admin", "usersInfo"}, {"admin", "updateUser"}}, verb: "updateUser"},
		},
		"CreateFails": {
			reason: "A failure names the user, not the password.",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"usersInfo":  reply(t, bson.D{{Key: "users", Value: bson.A{}}, {Key: "ok", Value: 1.0}}),
					"createUser": func(bson.D) (bson.Raw, error) { return nil, errEcho },
				}
			},
			want: want{calls: []call{{"admin", "usersInfo"}, {"admin", "createUser"}}, verb: "createUser", err: errors.Wrapf(errEcho, errSetUser, "app")},
		},
		"CreateRefused": {
			reason: "A reply with ok 0 is a failure too.",
			replies: func(t *testing.T) map[string]func(bson.D) (bson.Raw, error) {
				return map[string]func(bson.D) (bson.Raw, error){
					"usersInfo":  reply(t, bson.D{{Key: "users", Value: bson.A{}}, {Key: "ok", Value: 1.0}}),
					"createUser": reply(t, bson.D{{Key: "ok", Value: 0.0}, {Key: "code", Value: int32(13)}, {Key: "codeName", Value: "Unauthorized"}, {Key: "errmsg", Value: "not authorized"}}),
				}
			},
			want: want{calls: []call{{"admin", "usersInfo"}, {"admin", "createUser"}}, verb: "createUser",
				err: errors.Wrapf(&CommandError{Code: 13, CodeName: "Unauthorized", Message: "not authorized"}, errSetUser, "app")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeRunner{replies: tc.replies(t)}
			err := EnsureUser(context.Background(), f, "admin", "app", hostilePassword, roles)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\n-want error, +got error:\n%s", tc.reason, diff)
			}
			if err != nil && strings.Contains(err.Error(), hostilePassword) {
				t.Errorf("%s\nthe error holds the password", tc.reason)
			}
			if diff := cmp.Diff(tc.want.calls, f.calls); diff != "" {
				t.Errorf("%s\ncalls: -want, +got:\n%s", tc.reason, diff)
			}
			sent := f.last[tc.want.verb]
			var base bson.D
			if tc.want.verb == "createUser" {
				base, _ = CreateUserCommand("app", roles)
			} else {
				base, _ = UpdateUserCommand("app", roles)
			}
			want, _ := WithPassword(base, hostilePassword)
			if diff := cmp.Diff(want, sent); diff != "" {
				t.Errorf("%s\n%s sent: -want, +got:\n%s", tc.reason, tc.want.verb, diff)
			}
		})
	}
}
