package mongodb

import (
	"fmt"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	errDecodeReply = "cannot decode the server's reply"

	// codeNotYetInitialized is what replSetGetStatus answers before
	// replSetInitiate ran.
	codeNotYetInitialized = 94
)

// State is a member's replica set state, as in replSetGetStatus.
type State int

// The member states MongoDB reports.
const (
	StateStartup    State = 0
	StatePrimary    State = 1
	StateSecondary  State = 2
	StateRecovering State = 3
	StateStartup2   State = 5
	StateUnknown    State = 6
	StateArbiter    State = 7
	StateDown       State = 8
	StateRollback   State = 9
	StateRemoved    State = 10
)

var stateNames = map[State]string{
	StateStartup: "STARTUP", StatePrimary: "PRIMARY", StateSecondary: "SECONDARY",
	StateRecovering: "RECOVERING", StateStartup2: "STARTUP2", StateUnknown: "UNKNOWN",
	StateArbiter: "ARBITER", StateDown: "DOWN", StateRollback: "ROLLBACK", StateRemoved: "REMOVED",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status is what the provider needs from a replSetGetStatus reply.
type Status struct {
	// Set is the replica set's name.
	Set string
	// Primary is the primary's host:port, empty when there is none.
	Primary string
	// Members are in the order the server reported them.
	Members []MemberStatus
}

// MemberStatus is one member as the member that answered sees it.
type MemberStatus struct {
	ID      int
	Host    string
	State   State
	Healthy bool
	// Self is the member that answered.
	Self bool
	// Optime is when the last operation it applied happened on the primary.
	Optime time.Time
	// Lag is how far a healthy secondary's optime is behind the primary's.
	// LagKnown is false for other members and when there is no primary,
	// because then there is nothing to measure against.
	Lag      time.Duration
	LagKnown bool
}

// Secondaries returns the host:port of each healthy secondary.
func (s Status) Secondaries() []string {
	var out []string
	for _, m := range s.Members {
		if m.State == StateSecondary && m.Healthy {
			out = append(out, m.Host)
		}
	}
	return out
}

// MaxLag returns the largest known lag of any secondary, and false when no
// secondary's lag is known.
func (s Status) MaxLag() (time.Duration, bool) {
	var lag time.Duration
	known := false
	for _, m := range s.Members {
		if m.LagKnown && (!known || m.Lag > lag) {
			lag, known = m.Lag, true
		}
	}
	return lag, known
}

// CommandError is a reply whose ok field is 0.
type CommandError struct {
	Code     int32
	CodeName string
	Message  string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s (%d): %s", e.CodeName, e.Code, e.Message)
}

// checkOK returns a *CommandError when raw reports a failed command. The
// driver already turns most of these into errors; this covers replies that
// reach the parser some other way, such as captured ones.
func checkOK(raw bson.Raw) error {
	var r struct {
		OK       float64 `bson:"ok"`
		Code     int32   `bson:"code"`
		CodeName string  `bson:"codeName"`
		ErrMsg   string  `bson:"errmsg"`
	}
	if err := bson.Unmarshal(raw, &r); err != nil {
		return errors.Wrap(err, errDecodeReply)
	}
	if r.OK != 1 {
		return &CommandError{Code: r.Code, CodeName: r.CodeName, Message: r.ErrMsg}
	}
	return nil
}

// ParseStatus reads a replSetGetStatus reply.
func ParseStatus(raw bson.Raw) (Status, error) {
	if err := checkOK(raw); err != nil {
		return Status{}, err
	}
	var r struct {
		Set     string `bson:"set"`
		Members []struct {
			ID         int           `bson:"_id"`
			Name       string        `bson:"name"`
			Health     float64       `bson:"health"`
			State      int           `bson:"state"`
			OptimeDate bson.DateTime `bson:"optimeDate"`
			Self       bool          `bson:"self"`
		} `bson:"members"`
	}
	if err := bson.Unmarshal(raw, &r); err != nil {
		return Status{}, errors.Wrap(err, errDecodeReply)
	}
	s := Status{Set: r.Set, Members: make([]MemberStatus, 0, len(r.Members))}
	var primaryOptime time.Time
	for _, m := range r.Members {
		ms := MemberStatus{
			ID:      m.ID,
			Host:    m.Name,
			State:   State(m.State),
			Healthy: m.Health == 1,
			Self:    m.Self,
			Optime:  m.OptimeDate.Time().UTC(),
		}
		if ms.State == StatePrimary {
			s.Primary, primaryOptime = ms.Host, ms.Optime
		}
		s.Members = append(s.Members, ms)
	}
	if s.Primary == "" {
		return s, nil
	}
	for i, m := range s.Members {
		if m.State == StateSecondary && m.Healthy {
			// A secondary can read as ahead of the primary it last heard
			// from; that is no lag.
			s.Members[i].Lag = max(primaryOptime.Sub(m.Optime), 0)
			s.Members[i].LagKnown = true
		}
	}
	return s, nil
}
