// Package sqlowner holds what the SQL controllers (Database, User, Grant)
// decide about objects they find on a server: whether a resource may manage
// an object of its name (its ownership marker, an import, a reserved name),
// and when a delete stops waiting for a server it cannot reach. The
// decisions are pure functions; the controllers gather what they need and
// act on the answer.
package sqlowner

import (
	"fmt"

	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// A Decision is what a resource may do with an object it found by name.
type Decision int

// Decisions.
const (
	// Manage: the object carries this resource's marker.
	Manage Decision = iota
	// Adopt: the resource imports an object that is not marked as its own,
	// where imports are allowed; it writes its marker before anything else.
	Adopt
	// Refuse: the resource may not touch the object; it says why and
	// changes nothing.
	Refuse
	// LetGo: the resource is being deleted and may not touch the object;
	// it finishes deleting and leaves the object as it is.
	LetGo
)

// Found is an object a resource found by name, as Decide needs it.
type Found struct {
	// What names the object in messages, such as `role "orders"`.
	What string
	// Marker is the object's ownership marker text; empty when it has none.
	Marker string
}

// A Resource is the resource asking, as Decide needs it.
type Resource struct {
	Owner ownership.Owner
	// WantsImport is set by the dbaas.io/import annotation.
	WantsImport bool
	// ImportAllowed says whether the server allows imports: a
	// ClusterProviderConfig's, or the namespace's own DatabaseInstance.
	ImportAllowed bool
	// Deleting is set while the resource is being deleted.
	Deleting bool
}

// Decide says what r may do with the object f, and why not when it may
// not. A reserved name (the caller's check, nil when the name is not
// reserved) is never managed, import or not.
func Decide(r Resource, f Found, reserved error) (Decision, error) {
	err := reserved
	if err == nil {
		var found *ownership.Owner
		if o, ok := ownership.Parse(f.Marker); ok {
			found = &o
		}
		err = ownership.Check(f.What, r.Owner, found, r.WantsImport, r.ImportAllowed)
		if err == nil {
			if found != nil && *found == r.Owner {
				return Manage, nil
			}
			return Adopt, nil
		}
	}
	if r.Deleting {
		// Deleting what it does not own would destroy another's data, and
		// keeping the finalizer would hold the namespace for nothing: the
		// resource never managed the object.
		return LetGo, err
	}
	return Refuse, err
}

// A ForeignError says that an object a Grant or User names belongs to
// another namespace, or to no one.
type ForeignError struct {
	What      string
	Namespace string
	Found     string
}

func (e *ForeignError) Error() string {
	if e.Found == "" {
		return fmt.Sprintf("%s was not made by this provider in namespace %s (nor imported into it): only databases and users of this namespace can be granted on or to", e.What, e.Namespace)
	}
	return fmt.Sprintf("%s belongs to namespace %s, not %s: only databases and users of this namespace can be granted on or to", e.What, e.Found, e.Namespace)
}

// OfNamespace returns nil when marker is that of a resource in namespace (it
// made or imported the object), and a ForeignError otherwise.
func OfNamespace(what, namespace, marker string) error {
	o, ok := ownership.Parse(marker)
	if ok && o.Namespace == namespace {
		return nil
	}
	return &ForeignError{What: what, Namespace: namespace, Found: o.Namespace}
}
