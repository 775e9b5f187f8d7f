// Package gcp is the machine backend for Google Compute Engine: a machine is
// an instance with a boot disk from an image and one persistent disk per
// data disk; a firewall rule is a VPC firewall rule.
//
// Every call that changes something returns once Compute Engine has
// accepted it and, at most, one look at its operation: long-running work
// (an instance booting, a stop before a machine type change) is left to
// later Observes and Updates, so a worker is never blocked on it.
package gcp

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	backendName = "GCP"

	errNoConfig  = "the gcp backend needs the provider config's gcp block"
	errNoProject = "the gcp backend needs a project: set spec.gcp.project"
	errNoZone    = "the gcp backend needs a zone: set spec.gcp.zone or the machine's forProvider.gcp.zone"
	errService   = "cannot make a Compute Engine client"

	// An Update waits this long for an operation it started: long enough
	// for a disk resize or a setMachineType, not for every stop.
	defaultOpWait    = 10 * time.Second
	defaultPollEvery = 2 * time.Second
)

// sharedHTTP carries every unauthenticated Backend's requests, so that a
// Backend made per reconcile reuses connections instead of opening new
// ones. Authenticated Backends get their own client from the library (it
// wraps the transport with the service account's token source); each
// Backend keeps its service for all of its calls.
var sharedHTTP = &http.Client{Transport: http.DefaultTransport}

// Backend drives Compute Engine instances and firewall rules in one project.
type Backend struct {
	svc      *compute.Service
	project  string
	zone     string
	endpoint string

	// An Update waits up to opWait for each operation it starts, looking
	// every pollEvery.
	opWait    time.Duration
	pollEvery time.Duration

	mu    sync.Mutex
	zones map[string]string // instance name -> zone it was found or made in
}

var _ machine.Backend = &Backend{}

// New returns a backend for the project and default zone of cfg. creds is a
// service account's JSON key; empty creds make unauthenticated requests
// (for fakes and endpoints that authenticate otherwise).
func New(ctx context.Context, cfg *apisv1alpha1.GCPBackendConfig, creds []byte) (*Backend, error) {
	if cfg == nil {
		return nil, errors.New(errNoConfig)
	}
	if cfg.Project == "" {
		return nil, errors.New(errNoProject)
	}
	var opts []option.ClientOption
	if len(creds) > 0 {
		// WithCredentialsJSON is deprecated in v0.280.0 because it accepts
		// any credential type; the secret is documented to be a service
		// account key, so only that type is accepted.
		opts = append(opts, option.WithAuthCredentialsJSON(option.ServiceAccount, creds))
	} else {
		opts = append(opts, option.WithoutAuthentication(), option.WithHTTPClient(sharedHTTP))
	}
	endpoint := cfg.Endpoint
	if endpoint != "" {
		// The library resolves request paths ("projects/...") against
		// the endpoint, which must therefore end in "/compute/v1/".
		if !strings.HasSuffix(endpoint, "/") {
			endpoint += "/"
		}
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	svc, err := compute.NewService(ctx, opts...)
	if err != nil {
		return nil, errors.Wrap(err, errService)
	}
	return &Backend{svc: svc, project: cfg.Project, zone: cfg.Zone, endpoint: svc.BasePath, zones: map[string]string{},
		opWait: defaultOpWait, pollEvery: defaultPollEvery}, nil
}

func (b *Backend) rememberZone(name, zone string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if zone == "" {
		delete(b.zones, name)
		return
	}
	b.zones[name] = zone
}

func (b *Backend) knownZone(name string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	z, ok := b.zones[name]
	return z, ok
}

// last returns the last path segment of a resource URL, which is how
// Compute Engine names zones, machine types and disks in its answers.
func last(url string) string {
	return url[strings.LastIndex(url, "/")+1:]
}
