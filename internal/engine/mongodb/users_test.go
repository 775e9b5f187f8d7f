package mongodb

import (
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const hostilePassword = `p'a"ss{$ne:1}\n$(id)`

func TestUserCommands(t *testing.T) {
	roles := []Role{{Role: "readWrite", DB: "orders"}, {Role: "clusterMonitor", DB: "admin"}}
	wantRoles := bson.A{
		bson.D{{Key: "role", Value: "readWrite"}, {Key: "db", Value: "orders"}},
		bson.D{{Key: "role", Value: "clusterMonitor"}, {Key: "db", Value: "admin"}},
	}
	mech := bson.A{"SCRAM-SHA-256"}
	cases := map[string]struct {
		reason string
		build  func() (bson.D, error)
		want   bson.D
		err    error
	}{
		"Create": {
			reason: "createUser names the user, its roles and SCRAM-SHA-256, and no password.",
			build:  func() (bson.D, error) { return CreateUserCommand("app", roles) },
			want:   bson.D{{Key: "createUser", Value: "app"}, {Key: "roles", Value: wantRoles}, {Key: "mechanisms", Value: mech}},
		},
		"Update": {
			reason: "updateUser sets the same fields.",
			build:  func() (bson.D, error) { return UpdateUserCommand("app", roles) },
			want:   bson.D{{Key: "updateUser", Value: "app"}, {Key: "roles", Value: wantRoles}, {Key: "mechanisms", Value: mech}},
		},
		"NoRoles": {
			reason: "No roles is an empty array, which createUser requires.",
			build:  func() (bson.D, error) { return CreateUserCommand("app", nil) },
			want:   bson.D{{Key: "createUser", Value: "app"}, {Key: "roles", Value: bson.A{}}, {Key: "mechanisms", Value: mech}},
		},
		"HostileName": {
			reason: "A hostile name is only a string value.",
			build:  func() (bson.D, error) { return CreateUserCommand(`a"}, {"$x": 1`, nil) },
			want:   bson.D{{Key: "createUser", Value: `a"}, {"$x": 1`}, {Key: "roles", Value: bson.A{}}, {Key: "mechanisms", Value: mech}},
		},
		"WithPassword": {
			reason: "The password is the pwd value, right after the verb.",
			build: func() (bson.D, error) {
				c, _ := CreateUserCommand("app", nil)
				return WithPassword(c, hostilePassword)
			},
			want: bson.D{{Key: "createUser", Value: "app"}, {Key: "pwd", Value: hostilePassword}, {Key: "roles", Value: bson.A{}}, {Key: "mechanisms", Value: mech}},
		},
		"NoName":   {reason: "A user needs a name.", build: func() (bson.D, error) { return CreateUserCommand("", nil) }, err: errors.New(errUserName)},
		"BadRole":  {reason: "A role needs its database.", build: func() (bson.D, error) { return CreateUserCommand("a", []Role{{Role: "read"}}) }, err: errors.New(errRole)},
		"PwdOnAny": {reason: "Only user commands take a password.", build: func() (bson.D, error) { return WithPassword(StatusCommand(), "x") }, err: errors.New(errNoPwdCmd)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.build()
			if diff := cmp.Diff(tc.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\n-want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestWithPasswordIsBound encodes the command as the driver would and reads
// the pwd field back: it is one BSON string holding exactly the password,
// and the command has no other field than before.
func TestWithPasswordIsBound(t *testing.T) {
	c, err := CreateUserCommand("app", []Role{{Role: "read", DB: "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.String(), hostilePassword) {
		t.Fatal("the command without a password holds it")
	}
	withPwd, err := WithPassword(c, hostilePassword)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bson.Marshal(withPwd)
	if err != nil {
		t.Fatal(err)
	}
	v := bson.Raw(raw).Lookup("pwd")
	if v.Type != bson.TypeString {
		t.Fatalf("pwd is a %v, not a string", v.Type)
	}
	if diff := cmp.Diff(hostilePassword, v.StringValue()); diff != "" {
		t.Errorf("pwd: -want, +got:\n%s", diff)
	}
	elems, err := bson.Raw(raw).Elements()
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(elems))
	for _, e := range elems {
		keys = append(keys, e.Key())
	}
	if diff := cmp.Diff([]string{"createUser", "pwd", "roles", "mechanisms"}, keys); diff != "" {
		t.Errorf("fields: -want, +got:\n%s", diff)
	}
	// WithPassword copies: the command it was given stays without one.
	if len(c) != 3 {
		t.Errorf("WithPassword changed its input: %v", c)
	}
}
