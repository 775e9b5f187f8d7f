// Package machinetest holds what the machine backends' tests share: the Rig
// each backend's fake provides, so one integration suite drives every
// backend through the real managed reconciler.
package machinetest

import (
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// A Rig is a running fake of one backend's real API (vcsim, the Azure SDK's
// fake servers, an httptest server speaking GCP's or Terraform Cloud's REST
// API), with a window onto its state that goes around the provider.
type Rig interface {
	// Backend is the provider config's backend name.
	Backend() apisv1alpha1.Backend

	// ProviderConfig is a spec that reaches the fake. Its credentials, if
	// any, are read from a Secret named by Secret's key "credentials".
	ProviderConfig() apisv1alpha1.ProviderConfigSpec

	// Credentials are the contents of that Secret's "credentials" key; nil
	// when the spec's credentials source is None.
	Credentials() []byte

	// Image is an image or template the fake has, for VirtualMachine
	// spec.forProvider.image.
	Image() string

	// Machines returns how many machines named name the backend holds:
	// tests assert exactly one after a crash or throttling.
	Machines(name string) (int, error)

	// Get reads a machine's CPU, memory, disks and power from the backend
	// directly; nil when it does not exist.
	Get(name string) (*machine.Machine, error)

	// Drift changes a machine's CPU and memory behind the provider's back,
	// as an operator with the backend's console would.
	Drift(name string, cpu, memoryMiB int32) error

	// Throttle makes the next n calls to the API answer 429 with
	// Retry-After: 1, in the API's own error format.
	Throttle(n int)

	// Unavailable makes the next n calls answer 503, in the API's own
	// format (or a load balancer's, where the API has none).
	Unavailable(n int)

	// Calls is how many API requests the fake has answered so far.
	Calls() int64

	// Close stops the fake.
	Close()
}
