// Package deletion bounds how long a delete may wait for something it cannot
// reach: an unreachable or powered-off machine, a machine whose host key
// changed, an instance that is not Ready, a dependent that does not go. Past
// the bound the resource finishes deleting and says, in a Warning event,
// what it left behind, so no namespace is held up forever by a resource it
// cannot fix.
package deletion

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultGiveUpAfter is how long a delete retries what it cannot reach
// before it lets the resource go.
const DefaultGiveUpAfter = 10 * time.Minute

// ReasonAbandoned is the reason of the Warning event a resource emits when
// it finishes deleting without having removed what it manages.
const ReasonAbandoned = "DeleteAbandoned"

// GiveUp reports whether a resource being deleted has waited at least after
// since its delete was requested (its deletionTimestamp), so that the caller
// should stop retrying and let it go. A resource not being deleted, or a
// non-positive after, never gives up.
func GiveUp(o metav1.Object, after time.Duration, now time.Time) bool {
	ts := o.GetDeletionTimestamp()
	if ts == nil || after <= 0 {
		return false
	}
	return !now.Before(ts.Add(after))
}
