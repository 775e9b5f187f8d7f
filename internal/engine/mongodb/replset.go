package mongodb

import (
	"math"
	"net"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	errNoMembers   = "a replica set needs at least one member"
	errTooMany     = "a replica set has at most %d members, not %d"
	errTooManyVote = "a replica set has at most %d voting members"
	errMemberID    = "member id %d is negative or used twice"
	errMemberHost  = "member host %q is not host:port or is used twice"
	errPriority    = "member %q has priority %v; it must be between 0 and 1000"

	// maxMembers and maxVoting are MongoDB's limits for one replica set.
	maxMembers = 50
	maxVoting  = 7
)

// A Member is one mongod in the replica set.
type Member struct {
	// ID is the member's _id in the set's configuration; it must never
	// change for a member, so it is given, not derived from the order.
	ID int
	// Host is host:port as the other members reach it.
	Host string
	// Priority is its weight in elections; 0 means it never becomes
	// primary. Arbiters and hidden members are not supported.
	Priority float64
}

// InitiateCommand returns the replSetInitiate command, sent to one member
// against the admin database, that creates the set named name.
func InitiateCommand(name string, members []Member) (bson.D, error) {
	if name == "" {
		return nil, errors.New(errReplSetName)
	}
	if len(members) == 0 {
		return nil, errors.New(errNoMembers)
	}
	if len(members) > maxMembers {
		return nil, errors.Errorf(errTooMany, maxMembers, len(members))
	}
	// Members beyond the seventh are not allowed to vote.
	if len(members) > maxVoting {
		return nil, errors.Errorf(errTooManyVote, maxVoting)
	}
	ids := map[int]bool{}
	hosts := map[string]bool{}
	ms := make(bson.A, 0, len(members))
	for _, m := range members {
		if m.ID < 0 || m.ID > math.MaxInt32 || ids[m.ID] {
			return nil, errors.Errorf(errMemberID, m.ID)
		}
		if !validHostPort(m.Host) || hosts[m.Host] {
			return nil, errors.Errorf(errMemberHost, m.Host)
		}
		if m.Priority < 0 || m.Priority > 1000 || math.IsNaN(m.Priority) {
			return nil, errors.Errorf(errPriority, m.Host, m.Priority)
		}
		ids[m.ID], hosts[m.Host] = true, true
		ms = append(ms, bson.D{
			{Key: "_id", Value: int32(m.ID)},
			{Key: "host", Value: m.Host},
			{Key: "priority", Value: m.Priority},
		})
	}
	return bson.D{{Key: "replSetInitiate", Value: bson.D{
		{Key: "_id", Value: name},
		{Key: "members", Value: ms},
	}}}, nil
}

// StatusCommand returns the replSetGetStatus command, sent against the
// admin database; ParseStatus reads its reply.
func StatusCommand() bson.D {
	return bson.D{{Key: "replSetGetStatus", Value: int32(1)}}
}

// validHostPort accepts host:port with a host name or IP address and a port
// in range, which is all a member's host may be.
func validHostPort(hp string) bool {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return false
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return false
	}
	return net.ParseIP(h) != nil || hostName.MatchString(h)
}
