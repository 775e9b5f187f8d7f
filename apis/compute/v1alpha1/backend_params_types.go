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

// The blocks in this file hold what only one backend understands. Fields
// left empty take the provider config's defaults, so a composition can pick
// the environment by provider config alone.

// VSphereMachineParameters place a machine in vCenter's inventory.
type VSphereMachineParameters struct {
	// Datacenter the machine is made in.
	// +optional
	Datacenter string `json:"datacenter,omitempty"`

	// Cluster whose resources the machine runs on.
	// +optional
	Cluster string `json:"cluster,omitempty"`

	// ResourcePool the machine runs in; the cluster's root pool by default.
	// +optional
	ResourcePool string `json:"resourcePool,omitempty"`

	// Datastore that holds the machine's disks.
	// +optional
	Datastore string `json:"datastore,omitempty"`

	// Folder of the datacenter's VM folder the machine is put in.
	// +optional
	Folder string `json:"folder,omitempty"`

	// AntiAffinityGroup keeps machines on different ESXi hosts: the
	// machines of one cluster with the same group are the members of the
	// DRS VM anti-affinity rule dbaas-<group>, which the machine joins when
	// it is made and leaves when it is deleted (the rule goes with its last
	// machine). DRS enforces the rule only on a cluster with DRS enabled.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`
	// +optional
	AntiAffinityGroup string `json:"antiAffinityGroup,omitempty"`
}

// AzureMachineParameters place and size a machine in Azure.
type AzureMachineParameters struct {
	// ResourceGroup the machine, its NIC and its disks are made in.
	// +optional
	ResourceGroup string `json:"resourceGroup,omitempty"`

	// Location (region) of the machine.
	// +optional
	Location string `json:"location,omitempty"`

	// Size is the Azure VM size, such as Standard_D4s_v5. Empty picks the
	// smallest size of the provider's table with at least cpu and memoryMiB.
	// +optional
	Size string `json:"size,omitempty"`

	// Zone is the availability zone the machine is made in, "1", "2" or
	// "3"; its OS and data disks are made in the same zone. Empty makes a
	// regional machine, which Azure places without a zone. Azure cannot move
	// a machine to another zone, so the zone is fixed once it is made.
	// +kubebuilder:validation:Pattern=`^[1-3]$`
	// +optional
	Zone string `json:"zone,omitempty"`

	// AdminUsername is the account the SSH public key is authorised for.
	// +kubebuilder:default=dbaas
	// +optional
	AdminUsername string `json:"adminUsername,omitempty"`
}

// GCPMachineParameters place and size a machine in Google Compute Engine.
type GCPMachineParameters struct {
	// Zone of the machine, such as europe-west1-b.
	// +optional
	Zone string `json:"zone,omitempty"`

	// MachineType such as n2-standard-4. Empty uses a custom machine type
	// with exactly cpu and memoryMiB.
	// +optional
	MachineType string `json:"machineType,omitempty"`

	// Subnetwork the machine's interface attaches to, within network.
	// +optional
	Subnetwork string `json:"subnetwork,omitempty"`
}

// TerraformMachineParameters add to the variables a machine's workspace is
// given.
type TerraformMachineParameters struct {
	// Variables are further Terraform variables of the workspace, beside
	// those taken from the common fields.
	// +optional
	Variables map[string]string `json:"variables,omitempty"`
}
