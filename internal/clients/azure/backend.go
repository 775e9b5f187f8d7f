// Package azure is the Azure machine backend: a machine is a virtual
// machine with one network interface and managed data disks, made through
// Azure Resource Manager; a firewall rule is a security rule of a network
// security group.
package azure

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	backendName = "Azure"

	// TagNamespace is the tag naming the namespace of the resource that
	// manages a VM; a VM of the same name from another namespace is not
	// taken for this one.
	TagNamespace = "dbaas.io/namespace"

	// ruleMarker starts the description of the security rules this
	// backend makes, so they can be found again by name alone.
	ruleMarker = "dbaas.io/namespace="

	errNoConfig      = "provider config backend azure needs the azure block"
	errNoSub         = "the azure block needs subscriptionID"
	errNoCredentials = "the Azure backend needs credentials: a secret with JSON {\"tenantId\", \"clientId\", \"clientSecret\"} of a service principal"
	errCredentials   = "cannot read the Azure credentials: want JSON {\"tenantId\", \"clientId\", \"clientSecret\"}"
	errCredential    = "cannot make an Azure credential from the service principal"
	errClient        = "cannot make an Azure client"
)

// Options replace how clients reach Azure; tests use the SDK's fake servers.
type Options struct {
	// Transport sends the clients' requests instead of the network.
	Transport policy.Transporter
	// Credential replaces the service principal read from the credentials.
	Credential azcore.TokenCredential
}

// A Backend manages machines and firewall rules in one subscription.
type Backend struct {
	sub      string
	group    string
	location string

	vms   *armcompute.VirtualMachinesClient
	nics  *armnetwork.InterfacesClient
	rules *armnetwork.SecurityRulesClient
	nsgs  *armnetwork.SecurityGroupsClient

	// sizes remembers the size name of each VM Observe saw, by ARM ID, for
	// Differences: a size the table does not know has no CPU and memory to
	// compare.
	mu    sync.Mutex
	sizes map[string]string
}

var _ machine.Backend = &Backend{}

type credentials struct {
	TenantID     string `json:"tenantId"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// retry is the SDK retry policy of every client. It is short on purpose: a
// throttled or failing call is retried twice within a few seconds and then
// surfaces as a machine.TransientError, so the managed reconciler retries
// it with its own back-off and shows it in the resource's Synced condition,
// instead of the SDK's defaults (3 retries, Retry-After up to 60s each)
// holding a reconcile worker for minutes. Retry-After longer than
// MaxRetryDelay is not waited for at all.
var retry = policy.RetryOptions{
	MaxRetries:    2,
	RetryDelay:    200 * time.Millisecond,
	MaxRetryDelay: 2 * time.Second,
	TryTimeout:    30 * time.Second,
}

// New returns the backend of a provider config's azure block. creds are
// the service principal's JSON; they are not needed when o.Credential is
// set.
func New(cfg *apisv1alpha1.AzureBackendConfig, creds []byte, o Options) (*Backend, error) {
	if cfg == nil {
		return nil, errors.New(errNoConfig)
	}
	if cfg.SubscriptionID == "" {
		return nil, errors.New(errNoSub)
	}
	co := azcore.ClientOptions{Retry: retry}
	if o.Transport != nil {
		co.Transport = o.Transport
	}
	cred := o.Credential
	if cred == nil {
		if len(creds) == 0 {
			return nil, errors.New(errNoCredentials)
		}
		var c credentials
		if err := json.Unmarshal(creds, &c); err != nil {
			return nil, errors.Wrap(err, errCredentials)
		}
		if c.TenantID == "" || c.ClientID == "" || c.ClientSecret == "" {
			return nil, errors.New(errCredentials)
		}
		sp, err := azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co})
		if err != nil {
			return nil, errors.Wrap(err, errCredential)
		}
		cred = sp
	}
	ao := &arm.ClientOptions{ClientOptions: co}
	b := &Backend{sub: cfg.SubscriptionID, group: cfg.ResourceGroup, location: cfg.Location, sizes: map[string]string{}}
	var err error
	if b.vms, err = armcompute.NewVirtualMachinesClient(b.sub, cred, ao); err != nil {
		return nil, errors.Wrap(err, errClient)
	}
	if b.nics, err = armnetwork.NewInterfacesClient(b.sub, cred, ao); err != nil {
		return nil, errors.Wrap(err, errClient)
	}
	if b.rules, err = armnetwork.NewSecurityRulesClient(b.sub, cred, ao); err != nil {
		return nil, errors.Wrap(err, errClient)
	}
	if b.nsgs, err = armnetwork.NewSecurityGroupsClient(b.sub, cred, ao); err != nil {
		return nil, errors.Wrap(err, errClient)
	}
	return b, nil
}

// NICName is the name of a machine's network interface.
func NICName(vm string) string { return vm + "-nic" }

// DiskName is the Azure name of a machine's data disk.
func DiskName(vm, disk string) string { return vm + "-" + disk }

// places remembers, for this process, the resource group a machine or the
// resource group and network security group a rule was made in when the
// spec named them. Observe and Delete get only an ID; a machine in the
// provider config's resource group is found without it.
var places sync.Map // key(sub, id) -> place

type place struct{ group, nsg string }

func key(sub string, id machine.ID) string { return sub + "/" + id.Namespace + "/" + id.Name }

func (b *Backend) remember(id machine.ID, p place) { places.Store(key(b.sub, id), p) }

func (b *Backend) placeOf(id machine.ID) (place, bool) {
	if p, ok := places.Load(key(b.sub, id)); ok {
		return p.(place), true
	}
	return place{group: b.group}, false
}

func (b *Backend) groupFor(s machine.Spec) string {
	if s.Azure != nil && s.Azure.ResourceGroup != "" {
		return s.Azure.ResourceGroup
	}
	return b.group
}

func (b *Backend) locationFor(s machine.Spec) string {
	if s.Azure != nil && s.Azure.Location != "" {
		return s.Azure.Location
	}
	return b.location
}

// subnetID reads spec.network: a subnet's resource ID, or vnet/subnet of
// the machine's resource group.
func (b *Backend) subnetID(group, network string) (string, error) {
	if strings.HasPrefix(network, "/subscriptions/") {
		return network, nil
	}
	parts := strings.Split(network, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", fmt.Errorf("network %q is neither a subnet resource ID (/subscriptions/.../subnets/...) nor virtualNetwork/subnet", network)
	}
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s",
		b.sub, group, parts[0], parts[1]), nil
}

// imageReference reads an image URN publisher:offer:sku:version or an image
// resource ID.
func imageReference(image string) (*armcompute.ImageReference, error) {
	if strings.HasPrefix(image, "/subscriptions/") {
		return &armcompute.ImageReference{ID: &image}, nil
	}
	p := strings.Split(image, ":")
	if len(p) != 4 || p[0] == "" || p[1] == "" || p[2] == "" || p[3] == "" {
		return nil, fmt.Errorf("image %q is neither a URN publisher:offer:sku:version nor an image resource ID (/subscriptions/...)", image)
	}
	return &armcompute.ImageReference{Publisher: &p[0], Offer: &p[1], SKU: &p[2], Version: &p[3]}, nil
}
