package mongodb

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

const (
	errStatus    = "cannot get the replica set's status"
	errInitiate  = "cannot initiate the replica set"
	errOtherSet  = "the member belongs to replica set %q, not %q"
	errUsersInfo = "cannot look up user %q"
	errSetUser   = "cannot create or update user %q"

	adminDB = "admin"
)

// A Runner sends one command document to a database and returns the reply.
// ClientRunner is the one backed by the official driver; tests use fakes.
type Runner interface {
	RunCommand(ctx context.Context, db string, cmd bson.D) (bson.Raw, error)
}

// ClientRunner runs commands through a *mongo.Client. Before the set is
// initiated the client must connect to one member directly
// (directConnection=true), as there is no set to discover yet.
type ClientRunner struct {
	Client *mongo.Client
}

// RunCommand sends cmd to db. A reply with ok 0 comes back as the driver's
// mongo.CommandError.
func (c ClientRunner) RunCommand(ctx context.Context, db string, cmd bson.D) (bson.Raw, error) {
	return c.Client.Database(db).RunCommand(ctx, cmd).Raw()
}

// EnsureReplicaSet initiates the set on the member r talks to unless it is
// already initiated, and returns its status. It reports whether it
// initiated the set; the status is then empty, as the set takes a moment to
// elect a primary and the caller looks again later.
func EnsureReplicaSet(ctx context.Context, r Runner, name string, members []Member) (Status, bool, error) {
	// Build the command first so an invalid set fails before any call.
	initiate, err := InitiateCommand(name, members)
	if err != nil {
		return Status{}, false, err
	}
	raw, err := r.RunCommand(ctx, adminDB, StatusCommand())
	var st Status
	if err == nil {
		st, err = ParseStatus(raw)
	}
	switch {
	case notYetInitialized(err):
		if _, err := r.RunCommand(ctx, adminDB, initiate); err != nil {
			return Status{}, false, errors.Wrap(err, errInitiate)
		}
		return Status{}, true, nil
	case err != nil:
		return Status{}, false, errors.Wrap(err, errStatus)
	case st.Set != name:
		// Initiating again would fail anyway; a member of another set is a
		// mistake in the inputs that the provider must not paper over.
		return st, false, errors.Errorf(errOtherSet, st.Set, name)
	}
	return st, false, nil
}

// notYetInitialized tells whether err is the server saying that no replica
// set configuration has been received, through the driver or a raw reply.
func notYetInitialized(err error) bool {
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.Code == codeNotYetInitialized
	}
	var me mongo.CommandError
	if errors.As(err, &me) {
		return me.Code == codeNotYetInitialized
	}
	return false
}

// EnsureUser creates name in db with password and roles, or, when the user
// exists, sets its password and roles to these, so running it twice leaves
// the same user. The password only travels as the command's pwd value and
// appears in no error.
func EnsureUser(ctx context.Context, r Runner, db, name, password string, roles []Role) error {
	create, err := CreateUserCommand(name, roles)
	if err != nil {
		return err
	}
	update, err := UpdateUserCommand(name, roles)
	if err != nil {
		return err
	}
	raw, err := r.RunCommand(ctx, db, UsersInfoCommand(name))
	if err != nil {
		return errors.Wrapf(err, errUsersInfo, name)
	}
	exists, err := ParseUsersInfo(raw)
	if err != nil {
		return errors.Wrapf(err, errUsersInfo, name)
	}
	cmd := create
	if exists {
		cmd = update
	}
	cmd, err = WithPassword(cmd, password)
	if err != nil {
		return err
	}
	raw, err = r.RunCommand(ctx, db, cmd)
	if err == nil {
		err = checkOK(raw)
	}
	return errors.Wrapf(err, errSetUser, name)
}
