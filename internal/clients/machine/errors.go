package machine

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// A TransientError is a backend's answer that says "not now": throttling
// (HTTP 429) or a server error (5xx). The managed reconciler retries with
// back-off; the message, which becomes the Synced condition's, says so.
type TransientError struct {
	Backend    string
	StatusCode int
	RetryAfter time.Duration
	Err        error
}

func (e *TransientError) Error() string {
	what := fmt.Sprintf("%s answered %d %s", e.Backend, e.StatusCode, http.StatusText(e.StatusCode))
	if e.StatusCode == http.StatusTooManyRequests {
		what = e.Backend + " is throttling requests (429)"
	}
	wait := ""
	if e.RetryAfter > 0 {
		wait = fmt.Sprintf(" (it asked to wait %s)", e.RetryAfter)
	}
	return fmt.Sprintf("%s; retrying with back-off%s: %v", what, wait, e.Err)
}

func (e *TransientError) Unwrap() error { return e.Err }

// IsTransientStatus reports whether an HTTP status asks the caller to come
// back later.
func IsTransientStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// RetryAfter reads a Retry-After header given in seconds or as a date;
// zero when absent or unreadable.
func RetryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// A ShrinkError refuses a change that would make a disk smaller or drop
// it: data would be lost, so nothing is changed.
type ShrinkError struct {
	Disk        string
	FromGiB     int32
	ToGiB       int32 // 0 when the disk was left out of the spec
	BackendName string
}

func (e *ShrinkError) Error() string {
	if e.ToGiB == 0 {
		return fmt.Sprintf("disk %q (%d GiB) is not in the spec: disks are never removed, put it back; nothing was changed", e.Disk, e.FromGiB)
	}
	return fmt.Sprintf("disk %q cannot shrink from %d GiB to %d GiB: disks only grow; nothing was changed", e.Disk, e.FromGiB, e.ToGiB)
}

// CheckDisks refuses a desired disk set that shrinks or drops a current
// disk. Backends call it before they change anything.
func CheckDisks(current, desired []Disk) error {
	want := map[string]int32{}
	for _, d := range desired {
		want[d.Name] = d.SizeGiB
	}
	for _, c := range current {
		w, ok := want[c.Name]
		if !ok || w < c.SizeGiB {
			return &ShrinkError{Disk: c.Name, FromGiB: c.SizeGiB, ToGiB: w}
		}
	}
	return nil
}

// A MissingError names something the spec or provider config refers to
// that the backend does not have: a template, an image, a datacenter, a
// network. Retrying does not help until the spec or the backend changes.
type MissingError struct {
	Backend string
	What    string // "template", "datacenter", "image"
	Name    string
	Hint    string // where it was looked for, or what to change
}

func (e *MissingError) Error() string {
	s := fmt.Sprintf("%s has no %s %q", e.Backend, e.What, e.Name)
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// A CapacityError is a quota or capacity refusal, in the backend's words.
type CapacityError struct {
	Backend string
	Message string
}

func (e *CapacityError) Error() string {
	return fmt.Sprintf("%s has no capacity for this machine (quota or capacity): %s", e.Backend, e.Message)
}
