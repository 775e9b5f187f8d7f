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

// Protocol of a firewall rule.
type Protocol string

// Protocols a rule may allow.
const (
	ProtocolTCP Protocol = "TCP"
	ProtocolUDP Protocol = "UDP"
)

// AzureFirewallRuleParameters name the network security group a rule is
// made in.
type AzureFirewallRuleParameters struct {
	// ResourceGroup of the network security group; the provider config's by
	// default.
	// +optional
	ResourceGroup string `json:"resourceGroup,omitempty"`

	// NetworkSecurityGroup the rule is a security rule of. It must exist.
	// +kubebuilder:validation:MinLength=1
	NetworkSecurityGroup string `json:"networkSecurityGroup"`
}

// VSphereFirewallRuleParameters name the port group a rule is about.
// Without NSX, vSphere has no firewall of its own: the rule checks that the
// port group exists and reports enforced=false.
type VSphereFirewallRuleParameters struct {
	// Datacenter of the port group; the provider config's by default.
	// +optional
	Datacenter string `json:"datacenter,omitempty"`
}

// FirewallRuleParameters allow traffic to machines' ports.
// +kubebuilder:validation:XValidation:rule="has(self.sourceCIDRs) || has(self.sourceTags)",message="name sourceCIDRs or sourceTags: a rule allows traffic from somewhere"
type FirewallRuleParameters struct {
	// Ports allowed, such as the engine's port.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=65535
	// +listType=set
	Ports []int32 `json:"ports"`

	// Protocol allowed.
	// +kubebuilder:validation:Enum=TCP;UDP
	// +kubebuilder:default=TCP
	// +optional
	Protocol Protocol `json:"protocol,omitempty"`

	// SourceCIDRs traffic may come from.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:items:XValidation:rule="isCIDR(self)",message="must be a CIDR such as 10.0.0.0/8"
	// +listType=set
	// +optional
	SourceCIDRs []string `json:"sourceCIDRs,omitempty"`

	// SourceTags select the machines traffic may come from: network tags on
	// GCP, application security groups on Azure.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	SourceTags []string `json:"sourceTags,omitempty"`

	// TargetTags select the machines the rule applies to (GCP network
	// tags); empty means every machine on the network.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	TargetTags []string `json:"targetTags,omitempty"`

	// Network the rule belongs to: a VPC network on GCP, a port group on
	// vSphere. Azure rules belong to their network security group.
	// +optional
	Network string `json:"network,omitempty"`

	// Priority orders rules where the backend does: lower wins. Azure takes
	// 100 to 4096.
	// +kubebuilder:validation:Minimum=100
	// +kubebuilder:validation:Maximum=4096
	// +kubebuilder:default=1000
	// +optional
	Priority int32 `json:"priority,omitempty"`

	// Azure holds settings of the Azure backend.
	// +optional
	Azure *AzureFirewallRuleParameters `json:"azure,omitempty"`

	// VSphere holds settings of the vSphere backend.
	// +optional
	VSphere *VSphereFirewallRuleParameters `json:"vsphere,omitempty"`
}

// FirewallRuleObservation is the observed state of a firewall rule.
type FirewallRuleObservation struct {
	// ID of the rule in its backend.
	ID string `json:"id,omitempty"`

	// Enforced is false where the backend has no firewall to enforce the
	// rule, such as vSphere without NSX or the local backend.
	Enforced bool `json:"enforced"`

	// Ports the backend allows.
	Ports []int32 `json:"ports,omitempty"`

	// SourceCIDRs the backend allows traffic from.
	SourceCIDRs []string `json:"sourceCIDRs,omitempty"`
}

// A FirewallRuleSpec defines the desired state of a FirewallRule.
type FirewallRuleSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              FirewallRuleParameters `json:"forProvider"`
}

// A FirewallRuleStatus represents the observed state of a FirewallRule.
type FirewallRuleStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 FirewallRuleObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A FirewallRule allows traffic to machines' ports from given CIDRs or tags,
// on the backend its provider config names.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="PORTS",type="string",JSONPath=".spec.forProvider.ports"
// +kubebuilder:printcolumn:name="ENFORCED",type="boolean",JSONPath=".status.atProvider.enforced"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed}
type FirewallRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   FirewallRuleSpec   `json:"spec"`
	Status FirewallRuleStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// FirewallRuleList contains a list of FirewallRule.
type FirewallRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []FirewallRule `json:"items"`
}

// FirewallRule type metadata.
var (
	FirewallRuleKind             = reflect.TypeOf(FirewallRule{}).Name()
	FirewallRuleGroupKind        = schema.GroupKind{Group: Group, Kind: FirewallRuleKind}.String()
	FirewallRuleKindAPIVersion   = FirewallRuleKind + "." + SchemeGroupVersion.String()
	FirewallRuleGroupVersionKind = SchemeGroupVersion.WithKind(FirewallRuleKind)
)

func init() {
	SchemeBuilder.Register(&FirewallRule{}, &FirewallRuleList{})
}
