package azure

import (
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// refs are what a call referred to, to name what ARM says is missing.
type refs struct {
	group  string
	image  string
	subnet string
	nsg    string
}

// missingCodes are ARM error codes for something a spec or config names
// that does not exist, and what that something is.
var missingCodes = map[string]string{
	"ResourceGroupNotFound":        "resource group",
	"ImageNotFound":                "image",
	"PlatformImageNotFound":        "image",
	"GalleryImageNotFound":         "image",
	"InvalidResourceReference":     "subnet",
	"SubnetNotFound":               "subnet",
	"InvalidSubnetReference":       "subnet",
	"NetworkSecurityGroupNotFound": "network security group",
	"ParentResourceNotFound":       "network security group",
	"ResourceNotFound":             "network security group",
	"NotFound":                     "network security group",
}

// capacityCodes are ARM error codes of quota and capacity refusals.
var capacityCodes = map[string]bool{
	"QuotaExceeded":                         true,
	"SkuNotAvailable":                       true,
	"AllocationFailed":                      true,
	"ZonalAllocationFailed":                 true,
	"OverconstrainedAllocationRequest":      true,
	"OverconstrainedZonalAllocationRequest": true,
}

// classify turns an ARM error into the machine package's errors, and wraps
// anything else with what was being done.
func classify(err error, doing string, r refs) error {
	if err == nil {
		return nil
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return errors.Wrap(err, doing)
	}
	code := re.ErrorCode
	switch {
	case machine.IsTransientStatus(re.StatusCode):
		te := &machine.TransientError{Backend: backendName, StatusCode: re.StatusCode, Err: errors.Wrap(err, doing)}
		if re.RawResponse != nil {
			te.RetryAfter = machine.RetryAfter(re.RawResponse.Header)
		}
		return te
	case capacityCodes[code],
		code == "OperationNotAllowed" && strings.Contains(strings.ToLower(re.Error()), "quota"):
		return &machine.CapacityError{Backend: backendName, Message: doing + ": " + code + " " + message(re)}
	}
	what, ok := missingCodes[code]
	if !ok {
		return errors.Wrap(err, doing)
	}
	name := map[string]string{"resource group": r.group, "image": r.image, "subnet": r.subnet, "network security group": r.nsg}[what]
	if name == "" {
		// A NotFound about something this call did not refer to.
		return errors.Wrap(err, doing)
	}
	return &machine.MissingError{Backend: backendName, What: what, Name: name, Hint: doing + ": ARM answered " + code}
}

// message is the error message of an ARM error, without the request dump
// azcore puts around it.
func message(re *azcore.ResponseError) string {
	lines := strings.Split(re.Error(), "\n")
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, `"message":`) {
			return strings.Trim(strings.TrimPrefix(l, `"message":`), ` ",`)
		}
	}
	return http.StatusText(re.StatusCode)
}

// notFound reports whether err is ARM's 404: the resource, or the resource
// group or parent it would be in, does not exist, so neither does it.
func notFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
