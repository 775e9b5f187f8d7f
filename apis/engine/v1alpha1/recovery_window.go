/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	"errors"
	"fmt"
	"time"
)

// Why a time is outside a recovery window, for callers that add their own
// advice (errors.Is).
var (
	// ErrNoBackupYet: the window has no start, so no restore can begin.
	ErrNoBackupYet = errors.New("has no completed backup yet: a restore starts from one")
	// ErrBeforeWindow: the time is before the end of the oldest backup.
	ErrBeforeWindow = errors.New("is before the recovery window")
	// ErrNoArchivedTime: no archived WAL is recorded, so nothing says the
	// archive reaches the time.
	ErrNoArchivedTime = errors.New("cannot be placed in the recovery window")
	// ErrAfterWindow: the time is after the last archived WAL.
	ErrAfterWindow = errors.New("is after the recovery window")
)

// Admits says whether a restore to t can be planned from the window of the
// instance named of, and if not why, in an error that begins with t (its
// caller says what t is: a flag, a field), or with of when it has no
// backup yet. Every planner of a restore
// (kubectl dbaas, the composition function) asks this one rule, so that
// one does not accept what another refuses. A time needs a completed
// backup that ended before it and an archive that reaches it: a window
// that records no archived time yet refuses every time, since replaying
// to a time the archive does not reach ends short of it. The bounds are
// inclusive. The provider checks again against the store itself when the
// restore starts.
func (w *RecoveryWindow) Admits(t time.Time, of string) error {
	at := t.UTC().Format(time.RFC3339Nano)
	switch {
	case w == nil || w.FirstRecoverabilityPoint == nil:
		return fmt.Errorf("%s %w", of, ErrNoBackupYet)
	case t.Before(w.FirstRecoverabilityPoint.Time):
		return fmt.Errorf("%s %w of %s, which starts at %s (the end of the oldest backup in its store)",
			at, ErrBeforeWindow, of, stamp(w.FirstRecoverabilityPoint.Time))
	case w.LastArchivedTime == nil:
		return fmt.Errorf("%s %w of %s: no archived WAL is recorded yet (status.atProvider.recoveryWindow.lastArchivedTime is unset), and a restore to a time needs the archive to reach past it",
			at, ErrNoArchivedTime, of)
	case t.After(w.LastArchivedTime.Time):
		return fmt.Errorf("%s %w of %s, which ends at %s (its last archived WAL, %s)",
			at, ErrAfterWindow, of, stamp(w.LastArchivedTime.Time), orDash(w.LastArchivedWAL))
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
