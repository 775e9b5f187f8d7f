package pgbackrest

import (
	"context"
	"strings"
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

// VerifyBackups reads every file of the stanza's backups and archived WAL
// back from the repository and checks it against the checksum pgBackRest
// recorded, and says which backups are invalid. Unlike Verify, it tells
// the backups apart, so that one corrupted backup does not condemn the
// others.
func (s *Stanza) VerifyBackups(ctx context.Context) (Verification, error) {
	out, err := s.run(ctx, "verify", "--output=text")
	if err != nil {
		return Verification{}, err
	}
	return ParseVerify(out), nil
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
