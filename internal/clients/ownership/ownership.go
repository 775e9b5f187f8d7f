// Package ownership says which managed resource made an object outside
// Kubernetes (a role, a database, a VM, a workspace), and whether a managed
// resource may take over an object it finds there.
//
// Everything the provider makes carries a marker with the namespace and UID
// of the managed resource that made it. A managed resource that finds an
// object of its name manages it only when the marker is its own. An object
// with no marker, or with another resource's, is refused unless the resource
// asks to import it (the annotation below) and the platform allows imports
// where it lives (a ClusterProviderConfig's server or backend, or the
// namespace's own DatabaseInstance).
package ownership

import (
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ImportAnnotation on a managed resource asks the provider to adopt an
// existing object of the same name that it did not make. Its value must be
// "true".
const ImportAnnotation = "dbaas.io/import"

// MarkerPrefix starts every marker, so that a comment or tag written by
// something else is never read as one.
const MarkerPrefix = "dbaas.io/owner="

// An Owner is the managed resource that made an object.
type Owner struct {
	Namespace string
	UID       string
}

// Of returns the owner a managed resource writes into what it makes.
func Of(o metav1.Object) Owner {
	return Owner{Namespace: o.GetNamespace(), UID: string(o.GetUID())}
}

// String is the owner as "namespace/uid".
func (o Owner) String() string { return o.Namespace + "/" + o.UID }

// Marker is the text written where an engine or cloud keeps free text about
// an object (a role or database comment, a VM annotation).
func (o Owner) Marker() string { return MarkerPrefix + o.String() }

// Labels are the owner as key/value pairs, for clouds whose tags or labels
// are maps. Both keys and values fit GCP's label rules (lowercase letters,
// digits, '-' and '_', at most 63 characters).
func (o Owner) Labels() map[string]string {
	return map[string]string{LabelNamespace: o.Namespace, LabelUID: o.UID}
}

// Label keys of Labels.
const (
	LabelNamespace = "dbaas-io-namespace"
	LabelUID       = "dbaas-io-uid"
)

var markerRE = regexp.MustCompile(`dbaas\.io/owner=([a-z0-9]([-a-z0-9]*[a-z0-9])?)/([0-9a-f-]{1,64})`)

// Parse finds a marker in free text; ok is false when there is none.
func Parse(text string) (o Owner, ok bool) {
	m := markerRE.FindStringSubmatch(text)
	if m == nil {
		return Owner{}, false
	}
	return Owner{Namespace: m[1], UID: m[3]}, true
}

// FromLabels reads an owner from tags or labels; ok is false when either
// key is missing.
func FromLabels(l map[string]string) (o Owner, ok bool) {
	ns, uid := l[LabelNamespace], l[LabelUID]
	if ns == "" || uid == "" {
		return Owner{}, false
	}
	return Owner{Namespace: ns, UID: uid}, true
}

// Wants reports whether a managed resource asks to import what it finds.
func Wants(annotations map[string]string) bool {
	return strings.EqualFold(annotations[ImportAnnotation], "true")
}

// A NotOwnedError says why a managed resource may not take over an object.
type NotOwnedError struct {
	// What is the object, such as `role "orders"` or `VM "db-0"`.
	What string
	// Found is the marker on the object; nil when it has none.
	Found *Owner
	// ImportRefused is set when the resource asked to import the object
	// where imports are not allowed.
	ImportRefused bool
}

func (e *NotOwnedError) Error() string {
	switch {
	case e.Found != nil && e.ImportRefused:
		return fmt.Sprintf("%s belongs to another resource (%s), and imports are allowed only through a ClusterProviderConfig: choose another name", e.What, e.Found)
	case e.Found != nil:
		return fmt.Sprintf("%s belongs to another resource (%s): choose another name", e.What, e.Found)
	case e.ImportRefused:
		return fmt.Sprintf("%s exists and was not made by this provider; %s is honoured only through a ClusterProviderConfig: choose another name, or ask the platform team to import it", e.What, ImportAnnotation)
	default:
		return fmt.Sprintf("%s exists and was not made by this provider: choose another name, or annotate the resource %s: \"true\" to adopt it (only through a ClusterProviderConfig)", e.What, ImportAnnotation)
	}
}

// Check decides whether the resource owner may manage an object that carries
// found (nil: no marker). wantsImport is the resource's import annotation;
// importAllowed says whether the place the object lives allows imports.
// An imported object is then marked with owner by the caller.
func Check(what string, owner Owner, found *Owner, wantsImport, importAllowed bool) error {
	if found != nil && *found == owner {
		return nil
	}
	if wantsImport && importAllowed {
		return nil
	}
	return &NotOwnedError{What: what, Found: found, ImportRefused: wantsImport && !importAllowed}
}
