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

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// PowerState of a virtual machine.
type PowerState string

// Power states.
const (
	PowerOn  PowerState = "On"
	PowerOff PowerState = "Off"
)

// A Disk is a data disk attached to a virtual machine.
type Disk struct {
	// Name of the disk, unique within the machine.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`
	Name string `json:"name"`

	// SizeGiB is the disk's size. Disks grow; they never shrink.
	// +kubebuilder:validation:Minimum=1
	SizeGiB int32 `json:"sizeGiB"`
}

// LocalMachineParameters are the settings only the local backend reads.
type LocalMachineParameters struct {
	// Ports is how many consecutive loopback ports the machine owns. Engines
	// on the machine listen on ports from this range.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=10
	// +optional
	Ports int32 `json:"ports,omitempty"`
}

// VirtualMachineParameters are the desired properties of a virtual machine.
// The common fields mean the same on every backend; a backend's own block
// holds what only that backend understands.
type VirtualMachineParameters struct {
	// CPU is the number of virtual CPUs.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=256
	// +kubebuilder:default=1
	CPU int32 `json:"cpu"`

	// MemoryMiB is the machine's memory in MiB.
	// +kubebuilder:validation:Minimum=256
	// +kubebuilder:default=1024
	MemoryMiB int32 `json:"memoryMiB"`

	// Disks are data disks beside the boot disk.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Disks []Disk `json:"disks,omitempty"`

	// Image is what the machine boots from: a template's name on vSphere,
	// an image URN (publisher:offer:sku:version) or ID on Azure, an image
	// or image family URL on GCP, a variable of the Terraform module.
	// +optional
	Image string `json:"image,omitempty"`

	// Network the machine attaches to: a port group on vSphere, a subnet's
	// resource ID on Azure, a VPC network on GCP, a variable of the
	// Terraform module.
	// +optional
	Network string `json:"network,omitempty"`

	// SSHPublicKey is authorised for the provider's configuration steps.
	// +optional
	SSHPublicKey string `json:"sshPublicKey,omitempty"`

	// UserData is cloud-init user data handed to the machine on first boot.
	// +optional
	UserData string `json:"userData,omitempty"`

	// Tags are labels attached to the machine in its backend.
	// +optional
	Tags map[string]string `json:"tags,omitempty"`

	// PowerState is the state the machine should be in.
	// +kubebuilder:validation:Enum=On;Off
	// +kubebuilder:default=On
	// +optional
	PowerState PowerState `json:"powerState,omitempty"`

	// Local holds settings of the local backend.
	// +optional
	Local *LocalMachineParameters `json:"local,omitempty"`

	// VSphere holds settings of the vSphere backend.
	// +optional
	VSphere *VSphereMachineParameters `json:"vsphere,omitempty"`

	// Azure holds settings of the Azure backend.
	// +optional
	Azure *AzureMachineParameters `json:"azure,omitempty"`

	// GCP holds settings of the GCP backend.
	// +optional
	GCP *GCPMachineParameters `json:"gcp,omitempty"`

	// Terraform holds settings of the Terraform backend.
	// +optional
	Terraform *TerraformMachineParameters `json:"terraform,omitempty"`
}

// VirtualMachineObservation is the observed state of a virtual machine.
type VirtualMachineObservation struct {
	// ID of the machine in its backend.
	ID string `json:"id,omitempty"`

	// CPU is the number of virtual CPUs the machine has.
	CPU int32 `json:"cpu,omitempty"`

	// MemoryMiB is the memory the machine has.
	MemoryMiB int32 `json:"memoryMiB,omitempty"`

	// Disks are the machine's data disks as the backend reports them.
	Disks []Disk `json:"disks,omitempty"`

	// Pending says what the backend is still doing for the machine, such as
	// a long-running operation or a Terraform run waiting for approval.
	Pending string `json:"pending,omitempty"`

	// Address at which the machine's services are reached.
	Address string `json:"address,omitempty"`

	// PowerState the machine is in.
	PowerState PowerState `json:"powerState,omitempty"`

	// Zone the machine runs in, as its backend reports it: an Azure
	// availability zone or a GCP zone. Empty where the backend has no
	// zones or the machine has none.
	Zone string `json:"zone,omitempty"`

	// PortRangeStart is the first port the machine owns (local backend).
	PortRangeStart int32 `json:"portRangeStart,omitempty"`

	// PortRangeEnd is the last port the machine owns (local backend).
	PortRangeEnd int32 `json:"portRangeEnd,omitempty"`

	// WorkDir is the machine's directory on the provider's host (local backend).
	WorkDir string `json:"workDir,omitempty"`
}

// A VirtualMachineSpec defines the desired state of a VirtualMachine.
type VirtualMachineSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`

	// ForProvider are the desired properties of the machine. Its
	// azure.zone and vsphere.antiAffinityGroup say where it is put when it
	// is made, and are fixed from then on: Azure cannot move a machine to
	// another availability zone, and the vSphere backend joins a machine to
	// its anti-affinity rule only when it makes it.
	// +kubebuilder:validation:XValidation:rule="(has(self.azure) && has(self.azure.zone) ? self.azure.zone : '') == (has(oldSelf.azure) && has(oldSelf.azure.zone) ? oldSelf.azure.zone : '')",message="azure.zone is immutable: Azure cannot move a virtual machine to another availability zone; delete the VirtualMachine and make it again in the new zone"
	// +kubebuilder:validation:XValidation:rule="(has(self.vsphere) && has(self.vsphere.antiAffinityGroup) ? self.vsphere.antiAffinityGroup : '') == (has(oldSelf.vsphere) && has(oldSelf.vsphere.antiAffinityGroup) ? oldSelf.vsphere.antiAffinityGroup : '')",message="vsphere.antiAffinityGroup is immutable: a machine joins its anti-affinity rule when it is made; delete the VirtualMachine and make it again in the new group"
	ForProvider VirtualMachineParameters `json:"forProvider"`
}

// A VirtualMachineStatus represents the observed state of a VirtualMachine.
type VirtualMachineStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 VirtualMachineObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A VirtualMachine is a machine that database engines run on, on the backend
// its provider config names.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="ADDRESS",type="string",JSONPath=".status.atProvider.address"
// +kubebuilder:printcolumn:name="POWER",type="string",JSONPath=".status.atProvider.powerState"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed}
type VirtualMachine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   VirtualMachineSpec   `json:"spec"`
	Status VirtualMachineStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// VirtualMachineList contains a list of VirtualMachine.
type VirtualMachineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VirtualMachine `json:"items"`
}

// VirtualMachine type metadata.
var (
	VirtualMachineKind             = reflect.TypeOf(VirtualMachine{}).Name()
	VirtualMachineGroupKind        = schema.GroupKind{Group: Group, Kind: VirtualMachineKind}.String()
	VirtualMachineKindAPIVersion   = VirtualMachineKind + "." + SchemeGroupVersion.String()
	VirtualMachineGroupVersionKind = SchemeGroupVersion.WithKind(VirtualMachineKind)
)

func init() {
	SchemeBuilder.Register(&VirtualMachine{}, &VirtualMachineList{})
}
