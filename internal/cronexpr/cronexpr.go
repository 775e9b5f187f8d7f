// Package cronexpr reads the cron schedules of BackupSchedules. The
// provider, which runs the schedules, and the composition function, which
// checks a catalog tier's schedule before composing a BackupSchedule from
// it, read them with this one parser, so that a schedule the catalog
// accepts is one the provider runs.
package cronexpr

import (
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errSchedule = "%s %q is not a cron schedule (5 fields: minute hour day-of-month month day-of-week; 6 with seconds first; or a descriptor such as @daily or @every 1h)"
	errTZPrefix = "%s %q has a time zone prefix: set spec.timeZone instead"
)

// parser reads cron expressions as CloudNativePG's ScheduledBackup does
// (seconds first), and also the usual five fields and descriptors.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse reads one expression; field names where it was found, for the
// message. A TZ= or CRON_TZ= prefix, which the cron library would take, is
// refused: a BackupSchedule's spec.timeZone says the zone, once.
func Parse(field, expr string) (cron.Schedule, error) {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=") {
		return nil, errors.Errorf(errTZPrefix, field, expr)
	}
	c, err := parser.Parse(e)
	if err != nil {
		return nil, errors.Wrapf(err, errSchedule, field, expr)
	}
	return c, nil
}
