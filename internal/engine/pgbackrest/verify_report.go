package pgbackrest

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// A Verification is what `pgbackrest verify` found in a stanza, by backup.
type Verification struct {
	// Invalid holds, by label, pgBackRest's lines about each backup with
	// a file that is missing or does not match its recorded checksum.
	Invalid map[string]string
	// Report is verify's whole text report: empty when every backup and
	// archived WAL segment is valid.
	Report string
}

const (
	errStartVerify = "cannot start pgbackrest verify"
	errLookVerify  = "cannot look at pgbackrest verify"
	errVerifyNone  = "no pgbackrest verify was started on this machine"
	errVerifyGone  = "pgbackrest verify ended without an exit code (killed, or the machine restarted)"
	errVerifyLimit = "a detached pgbackrest verify needs a bound above zero"
	errStopVerify  = "cannot stop pgbackrest verify"

	// verifyID names the stanza's one verify run: a verify reads the whole
	// stanza, so one at a time is enough.
	verifyID = "stanza"

	// verifyReportBytes is how much of verify's report is read back: a
	// line per backup and a few per invalid one.
	verifyReportBytes = 64 << 10
)

// StartVerify starts `pgbackrest verify`, which reads every file of the
// stanza's backups and archived WAL back from the repository and checks
// it against the checksum pgBackRest recorded, and returns once it runs:
// it takes as long as the stanza is large, longer than a reconcile should
// wait. It is stopped after limit (VerifyResult then says ErrVerifyBound),
// or with its instance (StopRuns). A verify of the stanza still running
// here is left alone. VerifyResult reads what it found.
func (s *Stanza) StartVerify(ctx context.Context, limit time.Duration) error {
	if limit <= 0 {
		return errors.New(errVerifyLimit)
	}
	return errors.Wrap(s.startDetached(ctx, runVerify, verifyID, limit, append(s.command("--output=text"), "verify")), errStartVerify)
}

// ErrVerifyBound is VerifyResult's error for a verify stopped at the limit
// StartVerify gave it.
var ErrVerifyBound = errors.New("pgbackrest verify did not finish within its bound and was stopped")

// VerifyResult reports the verify StartVerify started on this machine:
// not done while it runs; done with the backups it found invalid (told
// apart, so that one corrupted backup does not condemn the others), or
// with an error saying why it did not finish.
func (s *Stanza) VerifyResult(ctx context.Context) (v Verification, done bool, err error) {
	run, err := s.lookDetached(ctx, runVerify, verifyID, verifyReportBytes)
	if err != nil {
		return Verification{}, false, errors.Wrap(err, errLookVerify)
	}
	switch {
	case run.State == RunRunning:
		return Verification{}, false, nil
	case run.State == RunNone:
		return Verification{}, true, errors.New(errVerifyNone)
	case run.State == RunGone:
		return Verification{}, true, errors.New(errVerifyGone)
	case run.ExitCode == ExitTimedOut || run.ExitCode == ExitKilled:
		if out := ErrorLines(run.Output); out != "" {
			return Verification{}, true, errors.Errorf("%w; its last output: %s", ErrVerifyBound, out)
		}
		return Verification{}, true, ErrVerifyBound
	case run.ExitCode != 0:
		return Verification{}, true, errors.Errorf(errFailed, "verify", ErrorLines(run.Output))
	}
	return ParseVerify(run.Output), true, nil
}

// StopVerify stops the stanza's verify on this machine, if one runs, by
// the session its run file records.
func (s *Stanza) StopVerify(ctx context.Context) error {
	_, pid, _ := s.runFiles(runVerify, verifyID)
	return errors.Wrap(stopRuns(ctx, s.Instance, pid), errStopVerify)
}

// ParseVerify reads verify's text report (pgBackRest 2.45, without
// --verbose), such as
//
//	stanza: ns.db
//	status: error
//	  backup: 20261206-204244F, status: invalid, total files checked: 967, total valid files: 966
//	    checksum invalid: 1
//
// A backup line whose status is not "valid" makes that backup invalid,
// with the more indented lines after it.
func ParseVerify(report string) Verification {
	v := Verification{Report: strings.TrimSpace(report)}
	var label string
	for _, l := range strings.Split(report, "\n") {
		trimmed := strings.TrimSpace(l)
		if trimmed == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(trimmed, "backup: "); ok {
			label = ""
			name, fields, _ := strings.Cut(rest, ",")
			if backupStatus(fields) == "valid" {
				continue
			}
			label = strings.TrimSpace(name)
			if v.Invalid == nil {
				v.Invalid = map[string]string{}
			}
			v.Invalid[label] = trimmed
			continue
		}
		// A detail belongs to the backup above it while it is indented
		// deeper than the backup lines (four spaces against two).
		if label != "" && strings.HasPrefix(l, "    ") {
			v.Invalid[label] += "\n" + trimmed
			continue
		}
		label = ""
	}
	return v
}

// backupStatus is the status field of a backup line's fields, such as
// " status: invalid, total files checked: 967".
func backupStatus(fields string) string {
	for _, f := range strings.Split(fields, ",") {
		if st, ok := strings.CutPrefix(strings.TrimSpace(f), "status: "); ok {
			return strings.TrimSpace(st)
		}
	}
	return ""
}
