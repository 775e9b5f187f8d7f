// Package rotation tracks which credential rotation a resource asked for
// (spec.forProvider.credentialRotation) has been carried out.
//
// What was carried out is recorded in status.atProvider.credentialRotation
// by Update. A rotation value set when the resource is created needs no
// rotation, but Create cannot record that in status (the managed reconciler
// reverts status changes made by Create), so Create records it in an
// annotation, which the reconciler does persist.
package rotation

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Annotation records the credentialRotation a resource was created with.
const Annotation = "sql.dbaas.io/created-with-credential-rotation"

// Pending says whether requested has not been carried out yet, given the
// rotation recorded in status. Clearing the field asks for nothing.
func Pending(o metav1.Object, requested, recorded string) bool {
	if requested == "" {
		return false
	}
	if recorded == "" {
		recorded = o.GetAnnotations()[Annotation]
	}
	return requested != recorded
}

// Created records that o was created with credentials that satisfy
// requested.
func Created(o metav1.Object, requested string) {
	if requested != "" {
		meta.AddAnnotations(o, map[string]string{Annotation: requested})
	}
}
