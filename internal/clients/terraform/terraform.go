// Package terraform is the machine backend that makes each machine a
// Terraform Cloud or Enterprise workspace running a configured module. The
// workspace's configuration is a small generated root module (see MainTF);
// the spec becomes its variables; a run makes or changes the machine, and
// the state's outputs say what was made.
//
// terraform.go holds the Backend and its client; one file each holds a
// stage of a machine's life, observe.go, create.go, update.go (and the sync
// Create shares) and delete.go, beside runs.go (what a run's status says),
// owner.go (the owner marker as tags, Mark), variables.go and config.go
// (the variables and the root module a spec becomes).
package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	tfe "github.com/hashicorp/go-tfe"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	backendName = "Terraform"
	// tagDBaaS marks the workspaces the provider made; it never touches
	// a workspace without it.
	tagDBaaS = "dbaas"
	// DefaultAddress is Terraform Cloud.
	DefaultAddress = "https://app.terraform.io"
)

// A Backend runs machines as workspaces of one organisation.
type Backend struct {
	client    *tfe.Client
	address   string
	org       string
	module    apisv1alpha1.TerraformModule
	autoApply bool

	// seen holds, by workspace ID, what the last Observe read of the
	// workspace's variables and configuration, so that Differences (which
	// only gets the Machine) can also report a variable changed behind
	// the provider's back.
	mu   sync.Mutex
	seen map[string]observed
}

type observed struct {
	name string
	hash string
	vars map[string]*tfe.Variable
}

var _ machine.Backend = (*Backend)(nil)

// New returns a backend for cfg that authenticates with an API token. It
// pings the API once, as go-tfe does to learn the API version.
func New(cfg *apisv1alpha1.TerraformBackendConfig, token []byte) (*Backend, error) {
	if cfg == nil {
		return nil, errors.New("the terraform backend needs the provider config's terraform block")
	}
	if cfg.Organization == "" || cfg.Module.Source == "" {
		return nil, errors.New("the terraform backend needs an organization and a module source")
	}
	tok := strings.TrimSpace(string(token))
	if tok == "" {
		return nil, errors.New("the terraform backend needs an API token as its credentials")
	}
	address := strings.TrimSuffix(cfg.Address, "/")
	if address == "" {
		address = DefaultAddress
	}
	auto := true
	if cfg.AutoApply != nil {
		auto = *cfg.AutoApply
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	client, err := tfe.NewClient(&tfe.Config{
		Address: address,
		Token:   tok,
		// RetryServerErrors stays false: 5xx answers are not retried
		// inside go-tfe either. See transientTransport for 429s.
		HTTPClient: &http.Client{Transport: &transientTransport{next: base}, Timeout: time.Minute},
	})
	if err != nil {
		return nil, wrap(err, "cannot reach Terraform at "+address)
	}
	return &Backend{client: client, address: address, org: cfg.Organization, module: cfg.Module,
		autoApply: auto, seen: map[string]observed{}}, nil
}

// transientTransport turns 429 and 5xx answers into *machine.TransientError
// before go-tfe sees them.
//
// go-tfe retries 429s itself through retryablehttp with RetryMax 30, each
// time waiting X-RateLimit-Reset (or 100-400ms); a throttled organisation
// could hold a reconcile worker for 30 resets, and once it gives up the
// status and Retry-After are lost (its error is only a string). go-tfe
// offers no setting for the retry count (RetryLogHook only observes), but
// its CheckRetry does not retry an error from the transport unless
// RetryServerErrors is set, which we leave off. So an error returned here
// ends the request at once, reaches us wrapped in a *url.Error, and the
// managed reconciler retries with back-off, honouring Retry-After.
type transientTransport struct{ next http.RoundTripper }

func (t *transientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || !machine.IsTransientStatus(resp.StatusCode) {
		return resp, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return nil, &machine.TransientError{
		Backend:    backendName,
		StatusCode: resp.StatusCode,
		RetryAfter: machine.RetryAfter(resp.Header),
		Err:        fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, errorText(body, resp.Status)),
	}
}

// errorText reads a JSON:API error document's titles and details.
func errorText(body []byte, status string) string {
	var doc struct {
		Errors []struct{ Title, Detail string } `json:"errors"`
	}
	if json.Unmarshal(body, &doc) != nil || len(doc.Errors) == 0 {
		return status
	}
	var out []string
	for _, e := range doc.Errors {
		s := e.Title
		if e.Detail != "" {
			s += ": " + e.Detail
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// wrap says what failed, keeping a TransientError findable with errors.As.
func wrap(err error, what string) error {
	return fmt.Errorf("%s: %w", what, err)
}

func (b *Backend) runURL(workspace, run string) string {
	return fmt.Sprintf("%s/app/%s/workspaces/%s/runs/%s", b.address, b.org, workspace, run)
}

// ErrNoFirewallRule is what the rule methods answer.
var ErrNoFirewallRule = errors.New("the terraform backend has no FirewallRule")

func (b *Backend) ruleError() error {
	return fmt.Errorf("%w: express network rules in the workspace's module %s", ErrNoFirewallRule, b.module.Source)
}

// ObserveRule finds nothing: a Terraform machine's network rules are the
// module's.
func (b *Backend) ObserveRule(context.Context, machine.ID) (*machine.Rule, error) { return nil, nil }

// CreateRule refuses: network rules belong in the module.
func (b *Backend) CreateRule(context.Context, machine.ID, machine.RuleSpec) (*machine.Rule, error) {
	return nil, b.ruleError()
}

// UpdateRule refuses: network rules belong in the module.
func (b *Backend) UpdateRule(context.Context, machine.ID, machine.RuleSpec) (*machine.Rule, error) {
	return nil, b.ruleError()
}

// DeleteRule has nothing to delete.
func (b *Backend) DeleteRule(context.Context, machine.ID) error { return nil }
