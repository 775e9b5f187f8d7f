package backupschedule

import (
	"fmt"
	"strings"
	"time"

	// The provider reads time zones from its own copy of the IANA
	// database, so a schedule means the same on a host or image without
	// /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/cronexpr"
)

const errTimeZone = "spec.timeZone %q is not an IANA time zone name such as UTC or Europe/Berlin"

// slot is one cron schedule and the type of backup it takes.
type slot struct {
	schedule cron.Schedule
	typ      v1alpha1.BackupType
}

// parseSpec reads the schedule's slots (spec.schedule with spec.type
// first, then spec.slots) and its time zone. Its errors name the field and
// say what is accepted.
func parseSpec(spec v1alpha1.BackupScheduleSpec) ([]slot, *time.Location, error) {
	zone := spec.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || strings.EqualFold(zone, "Local") {
		// Local would be the provider host's zone, which a user cannot
		// see; it is not an IANA name either.
		return nil, nil, errors.Errorf(errTimeZone, zone)
	}
	typ := spec.Type
	if typ == "" {
		typ = v1alpha1.BackupFull
	}
	first, err := cronexpr.Parse("spec.schedule", spec.Schedule)
	if err != nil {
		return nil, nil, err
	}
	slots := []slot{{schedule: first, typ: typ}}
	for i, s := range spec.Slots {
		c, err := cronexpr.Parse(fmt.Sprintf("spec.slots[%d].schedule", i), s.Schedule)
		if err != nil {
			return nil, nil, err
		}
		slots = append(slots, slot{schedule: c, typ: s.Type})
	}
	return slots, loc, nil
}
