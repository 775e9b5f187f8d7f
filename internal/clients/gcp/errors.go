package gcp

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// Reasons and operation error codes Compute Engine uses for quota and
// capacity refusals.
var capacityCodes = map[string]bool{
	"quotaExceeded":                             true,
	"QUOTA_EXCEEDED":                            true,
	"ZONE_RESOURCE_POOL_EXHAUSTED":              true,
	"ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS": true,
	"zoneResourcePoolExhausted":                 true,
}

// resourceRe finds the resource a "was not found" message names:
// "The resource 'projects/p/global/images/x' was not found".
var resourceRe = regexp.MustCompile(`'([^']+)'`)

// isNotFound reports whether err is Compute Engine's 404.
func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// isConflict reports whether err says the resource exists already.
func isConflict(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusConflict
}

// mapError turns Compute Engine's answer into the machine package's
// errors: 429 and 5xx are transient, quota and capacity refusals are
// CapacityErrors, and a 404 on something the spec or the provider config
// names (image, network, zone, machine type) is a MissingError. what
// describes the call, for errors that stay as they are.
func mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if machine.IsTransientStatus(ge.Code) {
		return &machine.TransientError{Backend: backendName, StatusCode: ge.Code, RetryAfter: machine.RetryAfter(ge.Header), Err: err}
	}
	for _, e := range ge.Errors {
		if capacityCodes[e.Reason] {
			return &machine.CapacityError{Backend: backendName, Message: message(ge)}
		}
	}
	if ge.Code == http.StatusNotFound {
		if m := missing(message(ge)); m != nil {
			return m
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// message is the human part of a googleapi.Error.
func message(ge *googleapi.Error) string {
	if ge.Message != "" {
		return ge.Message
	}
	for _, e := range ge.Errors {
		if e.Message != "" {
			return e.Message
		}
	}
	return ge.Body
}

// missing reads what a "not found" message names, or nil when it names
// nothing this backend's spec refers to.
func missing(msg string) *machine.MissingError {
	m := resourceRe.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	res := m[1]
	parts := strings.Split(res, "/")
	kinds := map[string]string{
		"images":       "image",
		"family":       "image family",
		"networks":     "network",
		"subnetworks":  "subnetwork",
		"zones":        "zone",
		"machineTypes": "machine type",
		"regions":      "region",
	}
	// The kind is the collection just before the last segment; a bare
	// "projects/p" means the project itself.
	if len(parts) >= 2 {
		if k, ok := kinds[parts[len(parts)-2]]; ok {
			return &machine.MissingError{Backend: backendName, What: k, Name: parts[len(parts)-1], Hint: res + " was not found; check the spec and the provider config"}
		}
	}
	if len(parts) == 2 && parts[0] == "projects" {
		return &machine.MissingError{Backend: backendName, What: "project", Name: parts[1], Hint: "check spec.gcp.project"}
	}
	return nil
}

// opError maps a finished operation's error the same way as a call's.
func opError(op *compute.Operation, what string) error {
	if op == nil || op.Error == nil || len(op.Error.Errors) == 0 {
		return nil
	}
	var msgs []string
	for _, e := range op.Error.Errors {
		msgs = append(msgs, e.Code+": "+e.Message)
	}
	all := strings.Join(msgs, "; ")
	for _, e := range op.Error.Errors {
		switch {
		case capacityCodes[e.Code]:
			return &machine.CapacityError{Backend: backendName, Message: all}
		case e.Code == "RESOURCE_NOT_FOUND":
			if m := missing(e.Message); m != nil {
				return m
			}
		}
	}
	if c := int(op.HttpErrorStatusCode); machine.IsTransientStatus(c) {
		return &machine.TransientError{Backend: backendName, StatusCode: c, Err: fmt.Errorf("operation %s: %s", op.Name, all)}
	}
	return fmt.Errorf("%s: operation %s failed: %s", what, op.Name, all)
}
