package plugin

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource/unstructured/composite"
)

// Phases of a Database as the plugin shows them. The composition function
// writes Provisioning and Ready into status.phase; the others come from
// what core and the API server say.
const (
	phaseReady        = "Ready"
	phaseProvisioning = "Provisioning"
	phaseFailing      = "Failing"
	phaseDeleting     = "Deleting"
)

// A database is a platform Database as the plugin reads it.
type database struct {
	xr *composite.Unstructured
}

func asDatabase(u *unstructured.Unstructured) database {
	return database{xr: &composite.Unstructured{Unstructured: *u, Schema: composite.SchemaModern}}
}

func (d database) str(path ...string) string {
	s, _, _ := unstructured.NestedString(d.xr.Object, path...)
	return s
}

func (d database) name() string      { return d.xr.GetName() }
func (d database) namespace() string { return d.xr.GetNamespace() }

// phase is where the Database stands, and while it is not Ready, why.
// Being deleted comes first; then an error of core's (the function refused
// the Database, or could not compose it: Synced False), which status.phase
// does not show since the function did not run to write it; then the Ready
// condition core sets once every composed resource is ready.
func (d database) phase() (string, string) {
	synced := d.xr.GetCondition(xpv2.TypeSynced)
	ready := d.xr.GetCondition(xpv2.TypeReady)
	switch {
	case d.xr.GetDeletionTimestamp() != nil:
		return phaseDeleting, ""
	case synced.Status == corev1.ConditionFalse:
		return phaseFailing, synced.Message
	case ready.Status == corev1.ConditionTrue:
		return phaseReady, ""
	}
	msg := d.str("status", "message")
	if msg == "" {
		msg = ready.Message
	}
	if p := d.str("status", "phase"); p != "" && p != phaseReady {
		return p, msg
	}
	return phaseProvisioning, msg
}

// connectionSecret is the name of the Secret the Database's credentials
// are written to: its own writeConnectionSecretToRef, else <name>-connection
// (apis/platform/definition.yaml).
func (d database) connectionSecret() string {
	if n := d.str("spec", "writeConnectionSecretToRef", "name"); n != "" {
		return n
	}
	return d.name() + "-connection"
}

// composed returns the Database's composed resources as core records them
// (spec.crossplane.resourceRefs).
func (d database) composed() []corev1.ObjectReference {
	return d.xr.GetResourceReferences()
}

// instanceRef is the Database's DatabaseInstance, if it composes one.
func (d database) instanceRef() (corev1.ObjectReference, bool) {
	for _, r := range d.composed() {
		if gv, err := schema.ParseGroupVersion(r.APIVersion); err == nil && r.Kind == kindDatabaseInstance && gv.Group == instances.Group {
			return r, true
		}
	}
	return corev1.ObjectReference{}, false
}
