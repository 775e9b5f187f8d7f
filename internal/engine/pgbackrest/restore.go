package pgbackrest

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errTargetType = "recovery target type %q is none of time, lsn, xid, name and immediate"
	errTargetTime = "a time target needs a time"
	errTargetLSN  = "LSN target %q is not a WAL position such as 0/3000028"
	errTargetXID  = "XID target %q is not a transaction ID"
	errTargetName = "name target %q must be 1 to 63 characters without line breaks or NUL bytes"
	errLabel      = "backup label %q is not a pgBackRest label such as 20261206-201500F"
	errExclusive  = "only time, lsn and xid targets can be exclusive"
)

// Recovery target types: the end of the archived WAL (""), a time, a WAL
// position, a transaction, a restore point, or the moment the backup
// became consistent.
const (
	TargetLatest    = ""
	TargetTime      = "time"
	TargetLSN       = "lsn"
	TargetXID       = "xid"
	TargetName      = "name"
	TargetImmediate = "immediate"
)

var (
	lsnPattern   = regexp.MustCompile(`^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$`)
	xidPattern   = regexp.MustCompile(`^[0-9]{1,20}$`)
	labelPattern = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?$`)
)

// A Target is how far a restore replays the archived WAL.
type Target struct {
	// Type is one of the Target* types.
	Type string
	// Time, LSN, XID and Name are the target of their type.
	Time time.Time
	LSN  string
	XID  string
	Name string
	// Exclusive stops just before the target rather than just after it.
	Exclusive bool
	// Set is the label of the backup to restore; empty lets pgBackRest
	// choose the newest one before a time target, or the newest one.
	Set string
}

// args returns pgBackRest restore's options for t. Recovery stops at the
// target and the server promotes, ready for writes: pgBackRest's default
// would pause there, which a new instance never leaves by itself.
func (t Target) args() ([]string, error) {
	var args []string
	if t.Set != "" {
		if !labelPattern.MatchString(t.Set) {
			return nil, errors.Errorf(errLabel, t.Set)
		}
		args = append(args, "--set="+t.Set)
	}
	var target string
	switch t.Type {
	case TargetLatest:
		if t.Exclusive {
			return nil, errors.New(errExclusive)
		}
		return append(args, "--type=default"), nil
	case TargetImmediate:
		if t.Exclusive {
			return nil, errors.New(errExclusive)
		}
		return append(args, "--type=immediate", "--target-action=promote"), nil
	case TargetTime:
		if t.Time.IsZero() {
			return nil, errors.New(errTargetTime)
		}
		// PostgreSQL's and pgBackRest's form, in UTC to the microsecond.
		target = t.Time.UTC().Format("2006-01-02 15:04:05.000000") + "+00"
	case TargetLSN:
		if !lsnPattern.MatchString(t.LSN) {
			return nil, errors.Errorf(errTargetLSN, t.LSN)
		}
		target = t.LSN
	case TargetXID:
		if !xidPattern.MatchString(t.XID) {
			return nil, errors.Errorf(errTargetXID, t.XID)
		}
		target = t.XID
	case TargetName:
		if t.Name == "" || len(t.Name) > 63 || strings.ContainsAny(t.Name, "\n\r\x00") {
			return nil, errors.Errorf(errTargetName, t.Name)
		}
		if t.Exclusive {
			return nil, errors.New(errExclusive)
		}
		target = t.Name
	default:
		return nil, errors.Errorf(errTargetType, t.Type)
	}
	args = append(args, "--type="+t.Type, "--target="+target, "--target-action=promote")
	if t.Exclusive {
		args = append(args, "--target-exclusive")
	}
	return args, nil
}

// Restore makes the stanza's instance, a new one whose data directory does
// not exist yet, a copy of a backup of the stanza, replayed to t when it
// starts: pgBackRest writes the restore command and the target into its
// postgresql.auto.conf and marks it for recovery. A restore cut short is
// wiped and made again. The data directory holds the configuration of the
// instance the backup was taken of: Configure the instance before it
// starts, so that it neither listens on that one's port nor archives into
// its stanza.
func (s *Stanza) Restore(ctx context.Context, t Target) error {
	args, err := t.args()
	if err != nil {
		return err
	}
	return s.Instance.InitFrom(ctx, func(ctx context.Context) error {
		if err := s.WriteConfig(ctx); err != nil {
			return err
		}
		_, err := s.run(ctx, "restore", args...)
		return err
	})
}
