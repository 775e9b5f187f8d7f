/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

// Cloud backends. Each reads its credentials through spec.credentials; the
// format of the secret is given on each block.
const (
	// BackendVSphere clones machines from templates in vCenter.
	BackendVSphere Backend = "vsphere"
	// BackendAzure makes Azure VMs with their NIC and managed disks.
	BackendAzure Backend = "azure"
	// BackendGCP makes Compute Engine instances.
	BackendGCP Backend = "gcp"
	// BackendTerraform makes a machine as a Terraform Cloud or Enterprise
	// workspace that runs a configured module.
	BackendTerraform Backend = "terraform"
)

// VSphereBackendConfig says how to reach vCenter and where machines go by
// default. Credentials: JSON {"username": "...", "password": "..."}.
type VSphereBackendConfig struct {
	// URL of vCenter's SDK endpoint, such as https://vcenter.example/sdk.
	// +kubebuilder:validation:Pattern=`^https?://`
	URL string `json:"url"`

	// InsecureSkipVerify accepts any certificate vCenter presents.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`

	// Datacenter machines are made in unless they name their own.
	Datacenter string `json:"datacenter"`

	// Cluster machines run on unless they name their own.
	// +optional
	Cluster string `json:"cluster,omitempty"`

	// ResourcePool machines run in unless they name their own.
	// +optional
	ResourcePool string `json:"resourcePool,omitempty"`

	// Datastore machines' disks go on unless they name their own.
	// +optional
	Datastore string `json:"datastore,omitempty"`

	// Folder machines are put in unless they name their own.
	// +optional
	Folder string `json:"folder,omitempty"`
}

// AzureBackendConfig says which subscription machines are made in.
// Credentials: JSON {"tenantId": "...", "clientId": "...", "clientSecret":
// "..."} of a service principal.
type AzureBackendConfig struct {
	// SubscriptionID machines are made in.
	// +kubebuilder:validation:MinLength=1
	SubscriptionID string `json:"subscriptionID"`

	// ResourceGroup machines are made in unless they name their own.
	ResourceGroup string `json:"resourceGroup"`

	// Location machines are made in unless they name their own.
	Location string `json:"location"`
}

// GCPBackendConfig says which project machines are made in. Credentials: a
// service account's JSON key.
type GCPBackendConfig struct {
	// Project machines are made in.
	// +kubebuilder:validation:MinLength=1
	Project string `json:"project"`

	// Zone machines are made in unless they name their own.
	Zone string `json:"zone"`

	// Endpoint replaces the Compute Engine API's base URL, such as a
	// Private Service Connect endpoint.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
}

// TerraformModule is the module each machine's workspace runs.
type TerraformModule struct {
	// Source of the module, such as app.terraform.io/acme/vm/vsphere.
	// +kubebuilder:validation:MinLength=1
	Source string `json:"source"`

	// Version of the module, for registry sources.
	// +optional
	Version string `json:"version,omitempty"`
}

// TerraformBackendConfig says which Terraform Cloud or Enterprise
// organisation holds machines' workspaces. Credentials: an API token.
type TerraformBackendConfig struct {
	// Address of Terraform Cloud or Enterprise.
	// +kubebuilder:default="https://app.terraform.io"
	// +optional
	Address string `json:"address,omitempty"`

	// Organization the workspaces are made in.
	// +kubebuilder:validation:MinLength=1
	Organization string `json:"organization"`

	// Module every machine's workspace runs. It takes the variables name,
	// cpu, memory_mib, disks, image, network, ssh_public_key, user_data,
	// tags and power_state, and outputs address, id, cpu, memory_mib, disks
	// and power_state: what the machine it made really has, which is how
	// the provider sees drift.
	Module TerraformModule `json:"module"`

	// AutoApply applies runs as soon as they are planned. When false a run
	// waits for someone to approve it in Terraform, and the machine says so.
	// +kubebuilder:default=true
	// +optional
	AutoApply *bool `json:"autoApply,omitempty"`
}
