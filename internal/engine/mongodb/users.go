package mongodb

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	errUserName = "user name must not be empty"
	errRole     = "a role needs a name and a database"
	errNoPwdCmd = "cannot add a password to a command that is neither createUser nor updateUser"
)

// A Role is granted to a user, as MongoDB's {role, db} document.
type Role struct {
	Role string
	DB   string
}

// CreateUserCommand returns the createUser command for name with roles,
// without a password: WithPassword adds it at run time, so the document
// built here can be logged or compared. The command is sent against the
// database the user authenticates with, usually admin.
func CreateUserCommand(name string, roles []Role) (bson.D, error) {
	return userCommand("createUser", name, roles)
}

// UpdateUserCommand returns the updateUser command that sets name's roles,
// and with WithPassword its password, to the given ones; running it again
// changes nothing.
func UpdateUserCommand(name string, roles []Role) (bson.D, error) {
	return userCommand("updateUser", name, roles)
}

// UsersInfoCommand returns the usersInfo command that finds name in the
// database it is sent against; ParseUsersInfo reads its reply.
func UsersInfoCommand(name string) bson.D {
	return bson.D{{Key: "usersInfo", Value: name}}
}

func userCommand(verb, name string, roles []Role) (bson.D, error) {
	if name == "" {
		return nil, errors.New(errUserName)
	}
	// An empty array, not null: createUser requires the field.
	rs := bson.A{}
	for _, r := range roles {
		if r.Role == "" || r.DB == "" {
			return nil, errors.New(errRole)
		}
		rs = append(rs, bson.D{{Key: "role", Value: r.Role}, {Key: "db", Value: r.DB}})
	}
	return bson.D{
		{Key: verb, Value: name},
		{Key: "roles", Value: rs},
		// SCRAM-SHA-256 only: the server then keeps no SHA-1 credential.
		{Key: "mechanisms", Value: bson.A{"SCRAM-SHA-256"}},
	}, nil
}

// WithPassword returns a copy of a createUser or updateUser command with the
// password as the pwd field: a BSON string value, never part of any text the
// server parses. The result must not be logged.
func WithPassword(cmd bson.D, password string) (bson.D, error) {
	if len(cmd) == 0 || (cmd[0].Key != "createUser" && cmd[0].Key != "updateUser") {
		return nil, errors.New(errNoPwdCmd)
	}
	out := make(bson.D, 0, len(cmd)+1)
	out = append(out, cmd[0], bson.E{Key: "pwd", Value: password})
	for _, e := range cmd[1:] {
		if e.Key != "pwd" {
			out = append(out, e)
		}
	}
	return out, nil
}

// ParseUsersInfo reports whether a usersInfo reply lists a user.
func ParseUsersInfo(raw bson.Raw) (bool, error) {
	var r struct {
		Users []bson.Raw `bson:"users"`
	}
	if err := checkOK(raw); err != nil {
		return false, err
	}
	if err := bson.Unmarshal(raw, &r); err != nil {
		return false, errors.Wrap(err, errDecodeReply)
	}
	return len(r.Users) > 0, nil
}
