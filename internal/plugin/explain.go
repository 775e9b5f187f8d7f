package plugin

import (
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A request is what the plugin asked the API server for, so that an error
// can say it in the user's terms.
type request struct {
	verb      string
	resource  schema.GroupResource
	namespace string
	name      string
}

func (r request) where() string {
	if r.namespace == "" {
		return "cluster-wide"
	}
	return fmt.Sprintf("in namespace %q", r.namespace)
}

// explain turns the API server's answer to a request into an error that
// says what to do: a name that does not exist, a kind the cluster does not
// serve, a verb the user may not use. Other errors keep their own message,
// prefixed with what was asked.
func explain(err error, r request) error {
	if err == nil {
		return nil
	}
	switch {
	case apierrors.IsForbidden(err):
		// The API server's message names the user and what RBAC refused;
		// the first sentence says what to ask for.
		return explained{err: err, msg: fmt.Sprintf("forbidden: you may not %s %s %s; ask for a Role that grants %q on %s (the API server said: %v)",
			r.verb, r.resource, r.where(), r.verb, r.resource, err)}
	case apierrors.IsNotFound(err) && r.name != "" && isObjectNotFound(err):
		return explained{err: err, msg: fmt.Sprintf("%s %q not found %s", r.resource, r.name, r.where())}
	case apierrors.IsNotFound(err):
		return explained{err: err, msg: fmt.Sprintf("the cluster does not serve %s: install the package that defines it", r.resource)}
	case apierrors.IsUnauthorized(err):
		return explained{err: err, msg: fmt.Sprintf("unauthorized: the cluster does not accept your credentials; check --kubeconfig and --context (%v)", err)}
	}
	return explained{err: err, msg: fmt.Sprintf("cannot %s %s %s: %v", r.verb, r.resource, r.where(), err)}
}

// An explained error keeps the API server's, so that callers can still ask
// apierrors what it was.
type explained struct {
	err error
	msg string
}

func (e explained) Error() string { return e.msg }
func (e explained) Unwrap() error { return e.err }

// isNotServed says that a kind is not served: no CRD defines it.
func isNotServed(err error) bool {
	return meta.IsNoMatchError(err) || (apierrors.IsNotFound(err) && !isObjectNotFound(err))
}

// isObjectNotFound tells a missing object from a missing kind: the API
// server names the object in the details of the first only.
func isObjectNotFound(err error) bool {
	var s apierrors.APIStatus
	if !errors.As(err, &s) {
		return false
	}
	d := s.Status().Details
	return d != nil && d.Name != ""
}
