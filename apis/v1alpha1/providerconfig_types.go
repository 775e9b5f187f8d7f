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

// Backend names a place where virtual machines run.
type Backend string

// Backends this provider can drive.
const (
	// BackendLocal runs "machines" as directories and loopback port ranges on
	// the provider's own host, with real engine processes. It serves demos,
	// CI and development.
	BackendLocal Backend = "local"
)

// ProviderCredentials are the credentials a backend authenticates with.
type ProviderCredentials struct {
	// Source of the credentials. The local backend needs none.
	// +kubebuilder:validation:Enum=None;Secret;Environment;Filesystem
	// +kubebuilder:default=None
	Source xpv2.CredentialsSource `json:"source"`

	xpv2.CommonCredentialSelectors `json:",inline"`
}

// LocalBackendConfig configures the local backend.
type LocalBackendConfig struct {
	// BaseDir is the directory that holds one sub-directory per machine.
	// Empty means the provider's --local-dir flag.
	// +optional
	BaseDir string `json:"baseDir,omitempty"`

	// PortRangeStart is the first loopback port handed to machines.
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=20000
	// +optional
	PortRangeStart int32 `json:"portRangeStart,omitempty"`

	// PortRangeEnd is the last loopback port handed to machines.
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=29999
	// +optional
	PortRangeEnd int32 `json:"portRangeEnd,omitempty"`

	// Network makes every machine of this config a host with a network of
	// its own: a Linux network namespace on a bridge of the provider's host,
	// with its own address from the network's CIDR and a real OpenSSH
	// server that lets in the key of spec.ssh, so that machines are reached
	// over SSH at their own addresses as VMs are. It changes the provider's
	// host, so only a ClusterProviderConfig may set it.
	// +optional
	Network *LocalNetwork `json:"network,omitempty"`
}

// A LocalNetwork is the network of a local backend's hosts.
type LocalNetwork struct {
	// CIDR is the hosts' IPv4 subnet. The bridge holds its first address,
	// the hosts' gateway and where the provider's connections come from;
	// machines get the following ones. It must overlap no network the
	// provider's host uses.
	// +kubebuilder:validation:Pattern=`^([0-9]{1,3}\.){3}[0-9]{1,3}/(1[6-9]|2[0-9]|30)$`
	CIDR string `json:"cidr"`

	// Bridge names the bridge, up to 15 characters; by default one derived
	// from the CIDR.
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]{0,14}$`
	// +optional
	Bridge string `json:"bridge,omitempty"`

	// HostAliases are names the hosts resolve, as a VM's DNS would answer
	// them: each host gets an /etc/hosts of its own (`ip netns exec` puts
	// /etc/netns/<namespace>/hosts there), the provider's host's entries
	// followed by these, as Kubernetes' pod hostAliases. An S3 store on the
	// provider's host, say, is reached at the gateway (the CIDR's first
	// address) by the name its certificate holds: pgBackRest checks a
	// store's certificate against the name it connects to, never against
	// an address. A change reaches running hosts at once.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	HostAliases []HostAlias `json:"hostAliases,omitempty"`
}

// A HostAlias is one line of a host's /etc/hosts: an address and the names
// that resolve to it.
type HostAlias struct {
	// IP is the IPv4 address the names resolve to.
	// +kubebuilder:validation:Pattern=`^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$`
	IP string `json:"ip"`

	// Hostnames resolve to IP: DNS names of lower-case letters, digits,
	// '-' and '.'. localhost stays the host's own loopback.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!self.exists(h, h == 'localhost' || h.endsWith('.localhost'))",message="localhost is the host's own loopback: name another host"
	// +listType=atomic
	Hostnames []string `json:"hostnames"`
}

// ServerEngine names the engine of an existing database server.
type ServerEngine string

// Engines an existing server may run.
const (
	ServerEnginePostgreSQL ServerEngine = "postgresql"
	ServerEngineMySQL      ServerEngine = "mysql"
	ServerEngineMariaDB    ServerEngine = "mariadb"
	ServerEngineSQLServer  ServerEngine = "sqlserver"
)

// ExistingServer is a database server that runs outside this provider's
// control, such as one the organisation's DBAs keep. Databases, users and
// grants whose resources name no DatabaseInstance are made on it.
type ExistingServer struct {
	// Engine the server runs.
	// +kubebuilder:validation:Enum=postgresql;mysql;mariadb;sqlserver
	Engine ServerEngine `json:"engine"`

	// Host name or address of the server.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`

	// Port of the server; the engine's usual port by default (5432, 3306,
	// 1433).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// AdminDatabase is the database the provider connects to: postgres on
	// PostgreSQL and master on SQL Server by default, none on MySQL.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	AdminDatabase string `json:"adminDatabase,omitempty"`

	// AdminCredentialsSecretRef is a Secret with the keys username and
	// password of an account that may create databases and users.
	AdminCredentialsSecretRef xpv2.SecretReference `json:"adminCredentialsSecretRef"`

	// TLS settings of the connection. Without this block the connection
	// is verify-full against the system's CAs; a server without TLS needs
	// mode: disable, said explicitly.
	// +optional
	TLS *ServerTLS `json:"tls,omitempty"`

	// MaxOperationsPerSecond caps how many reconciles per second may reach
	// this server, so that many resources cannot overwhelm a shared server.
	// On a ClusterProviderConfig it is the server's limit, across every
	// resource of every namespace (20 until a ClusterProviderConfig names
	// the server). On a ProviderConfig it caps only the resources of its
	// namespace, below the server's limit: a namespace cannot raise what
	// the others get.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=20
	// +optional
	MaxOperationsPerSecond int32 `json:"maxOperationsPerSecond,omitempty"`

	// MaxConnections is the most sessions the provider keeps open to this
	// server for this config's admin account: the size of the pool its
	// Database, User and Grant resources share. Each one spends one of the
	// server's max_connections, so count them against what the server's
	// other clients need. A session is held only while a statement runs;
	// more sessions let more statements run at once, and fewer make
	// resources wait for one. On a ProviderConfig it is capped by the
	// lowest maxConnections of the ClusterProviderConfigs that name the
	// same server: a namespace cannot take more of a shared server's
	// sessions than the platform allows.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=20
	// +optional
	MaxConnections int32 `json:"maxConnections,omitempty"`
}

// TLSMode says whether a connection uses TLS and what it verifies. The names
// are libpq's, and mean the same on every engine.
type TLSMode string

// ServerTLS configures TLS to an existing server.
// +kubebuilder:validation:XValidation:rule="self.mode != 'verify-ca' || has(self.caSecretRef)",message="verify-ca needs caSecretRef"
type ServerTLS struct {
	// Mode: verify-full (the default: TLS signed by the CA, for the host
	// name); verify-ca (TLS signed by the CA, any name); require (TLS,
	// verified against caSecretRef only when set); prefer (TLS when the
	// server offers it, else plain text, and NEVER verified: anyone on the
	// path can read and change the traffic, so choose it only knowingly);
	// disable (plain text). Without a tls block the provider uses
	// verify-full against the system's CAs.
	// +kubebuilder:validation:Enum=disable;prefer;require;verify-ca;verify-full
	// +kubebuilder:default=verify-full
	Mode TLSMode `json:"mode"`

	// CASecretRef selects the PEM CA bundle that signs the server's
	// certificate.
	// +optional
	CASecretRef *xpv2.SecretKeySelector `json:"caSecretRef,omitempty"`

	// ClientCertSecretRef is a kubernetes.io/tls Secret (tls.crt and
	// tls.key) with a client certificate, for servers that ask for one.
	// +optional
	ClientCertSecretRef *xpv2.SecretReference `json:"clientCertSecretRef,omitempty"`

	// ServerName is the name verify-full checks the certificate for; the
	// host by default.
	// +optional
	ServerName string `json:"serverName,omitempty"`
}

// A ProviderConfigSpec says which backend machines run on and how to reach
// it, and which existing database server, if any, SQL objects are made on.
// +kubebuilder:validation:XValidation:rule="self.backend != 'local' || !has(self.local) || !has(self.local.portRangeStart) || !has(self.local.portRangeEnd) || self.local.portRangeStart <= self.local.portRangeEnd",message="local.portRangeStart must not be greater than local.portRangeEnd"
// +kubebuilder:validation:XValidation:rule="self.backend != 'vsphere' || has(self.vsphere)",message="backend vsphere needs the vsphere block"
// +kubebuilder:validation:XValidation:rule="self.backend != 'azure' || has(self.azure)",message="backend azure needs the azure block"
// +kubebuilder:validation:XValidation:rule="self.backend != 'gcp' || has(self.gcp)",message="backend gcp needs the gcp block"
// +kubebuilder:validation:XValidation:rule="self.backend != 'terraform' || has(self.terraform)",message="backend terraform needs the terraform block"
// +kubebuilder:validation:XValidation:rule="!has(self.local) || !has(self.local.network) || has(self.ssh)",message="local.network makes machines hosts reached over SSH: it needs the ssh block, whose key their sshd lets in"
type ProviderConfigSpec struct {
	// Backend that machines run on.
	// +kubebuilder:validation:Enum=local;vsphere;azure;gcp;terraform
	// +kubebuilder:default=local
	Backend Backend `json:"backend"`

	// Credentials the backend authenticates with.
	// +optional
	Credentials *ProviderCredentials `json:"credentials,omitempty"`

	// Local configures the local backend.
	// +optional
	Local *LocalBackendConfig `json:"local,omitempty"`

	// VSphere configures the vSphere backend.
	// +optional
	VSphere *VSphereBackendConfig `json:"vsphere,omitempty"`

	// Azure configures the Azure backend.
	// +optional
	Azure *AzureBackendConfig `json:"azure,omitempty"`

	// GCP configures the GCP backend.
	// +optional
	GCP *GCPBackendConfig `json:"gcp,omitempty"`

	// Terraform configures the Terraform Cloud/Enterprise backend.
	// +optional
	Terraform *TerraformBackendConfig `json:"terraform,omitempty"`

	// AcceptUnenforcedFirewallRules makes FirewallRules that nothing
	// enforces Ready. On the local backend (every machine on loopback) and
	// on vSphere (port-group placement; this provider does not drive NSX)
	// a FirewallRule is only recorded: traffic is not filtered. Such a rule
	// always has the condition Enforced=False saying so; it is Ready only
	// when this is true, which says that whoever owns this config knows
	// the network is not filtered (a laptop, CI, or a network protected
	// otherwise). Azure and GCP enforce their rules and ignore it.
	// +optional
	AcceptUnenforcedFirewallRules bool `json:"acceptUnenforcedFirewallRules,omitempty"`

	// Server is an existing database server that Databases, Users and
	// Grants naming no DatabaseInstance are made on.
	// +optional
	Server *ExistingServer `json:"server,omitempty"`

	// SSH says how the provider logs in to machines to install and run
	// engines on them. Machines of every backend but local need it; on the
	// local backend it makes the provider configure its machines over SSH
	// too, as it would a VM.
	// +optional
	SSH *SSHConfig `json:"ssh,omitempty"`

	// InstanceTLS says what signs the server certificates of the
	// DatabaseInstances that use this config. Without it every instance
	// has a CA of its own. Only a ClusterProviderConfig may set it: the
	// CA is the platform's, and its key signs for every namespace.
	// +optional
	InstanceTLS *InstanceTLS `json:"instanceTLS,omitempty"`
}

// InstanceTLS names the CA that signs DatabaseInstances' server
// certificates.
type InstanceTLS struct {
	// CASecretRef is a Secret with the platform's CA: tls.crt, its PEM
	// certificate, and tls.key, its PEM private key (EC, RSA or PKCS #8),
	// as a cert-manager CA Issuer's Secret holds them. The provider signs
	// each instance's server certificate with it; the instance's
	// <instance>-tls Secret and connection secrets then carry this CA's
	// certificate as ca.crt, and never its key. When the Secret changes
	// (the CA rotates), every instance is issued a new certificate on its
	// next reconcile, and its servers reload it without a restart.
	CASecretRef xpv2.SecretReference `json:"caSecretRef"`
}

// PackagePolicy says where an engine's packages come from.
type PackagePolicy string

// Package policies.
const (
	// PackagesInstall installs the engine's packages with the machine's
	// package manager when they are missing.
	PackagesInstall PackagePolicy = "Install"
	// PackagesPreinstalled expects the image to carry them, and only checks.
	PackagesPreinstalled PackagePolicy = "Preinstalled"
)

// DefaultSSHUser is the user the provider logs in to machines as when the
// ssh block names none (the default of SSHConfig.User below, which a
// kubebuilder marker cannot take from a constant), and the account the
// clouds authorise a machine's SSH key for (Azure's adminUsername, GCP's
// ssh-keys metadata).
const DefaultSSHUser = "dbaas"

// SSHConfig says how the provider logs in to machines.
type SSHConfig struct {
	// User the provider logs in as. Cloud-init creates it on every machine
	// made through this config, with the public key of privateKeySecretRef
	// and password-less sudo.
	// +kubebuilder:validation:Pattern=`^[a-z_][a-z0-9_-]{0,31}$`
	// +kubebuilder:default=dbaas
	// +optional
	User string `json:"user,omitempty"`

	// Port sshd listens on.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=22
	// +optional
	Port int32 `json:"port,omitempty"`

	// PrivateKeySecretRef selects an unencrypted private key, in OpenSSH or
	// PEM form. Its public key is what cloud-init authorises.
	PrivateKeySecretRef xpv2.SecretKeySelector `json:"privateKeySecretRef"`

	// Sudo runs the configuration steps through sudo -n, as they need
	// root. Switch it off when User is root.
	// +kubebuilder:default=true
	// +optional
	Sudo *bool `json:"sudo,omitempty"`

	// Packages: Install installs missing engine packages with apt;
	// Preinstalled only checks that the image has them.
	// +kubebuilder:validation:Enum=Install;Preinstalled
	// +kubebuilder:default=Install
	// +optional
	Packages PackagePolicy `json:"packages,omitempty"`
}

// A ProviderConfigStatus is the observed state of a ProviderConfig.
type ProviderConfigStatus struct {
	xpv2.ProviderConfigStatus `json:",inline"`
}

// +kubebuilder:object:root=true

// A ProviderConfig configures how managed resources in its namespace reach
// their backend. It belongs to its namespace: it reads Secrets of that
// namespace only (a reference naming another is refused when used), never the
// provider's own environment or files, and does not choose where the provider
// writes on its host. What reaches further is a ClusterProviderConfig's, which
// the platform team owns.
// +kubebuilder:validation:XValidation:rule="!has(self.spec.credentials) || self.spec.credentials.source in ['None', 'Secret']",message="a ProviderConfig reads credentials only from a Secret of its own namespace: spec.credentials.source must be None or Secret (Environment and Filesystem are for ClusterProviderConfigs)"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.local) || !has(self.spec.local.baseDir)",message="spec.local.baseDir chooses where the provider writes on its host: only a ClusterProviderConfig may set it"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.instanceTLS)",message="spec.instanceTLS names the platform's CA, whose key signs certificates for every namespace: only a ClusterProviderConfig may set it"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.local) || !has(self.spec.local.network)",message="spec.local.network makes network namespaces and links on the provider's host: only a ClusterProviderConfig may set it"
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="BACKEND",type="string",JSONPath=".spec.backend"
// +kubebuilder:printcolumn:name="SERVER-ENGINE",type="string",JSONPath=".spec.server.engine"
// +kubebuilder:printcolumn:name="SERVER",type="string",JSONPath=".spec.server.host"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,dbaas}
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderConfigList contains a list of ProviderConfig.
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfig configures how managed resources in any namespace
// reach their backend.
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="BACKEND",type="string",JSONPath=".spec.backend"
// +kubebuilder:printcolumn:name="SERVER-ENGINE",type="string",JSONPath=".spec.server.engine"
// +kubebuilder:printcolumn:name="SERVER",type="string",JSONPath=".spec.server.host"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,dbaas}
type ClusterProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigList contains a list of ClusterProviderConfig.
type ClusterProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ProviderConfigUsage records that a managed resource uses a ProviderConfig.
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,dbaas}
type ProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.TypedProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ProviderConfigUsageList contains a list of ProviderConfigUsage.
type ProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfigUsage `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfigUsage records that a managed resource uses a
// ClusterProviderConfig.
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,dbaas}
type ClusterProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.TypedProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigUsageList contains a list of ClusterProviderConfigUsage.
type ClusterProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfigUsage `json:"items"`
}

// Kind metadata of the provider config types.
var (
	ProviderConfigKind                             = reflect.TypeOf(ProviderConfig{}).Name()
	ProviderConfigGroupKind                        = schema.GroupKind{Group: Group, Kind: ProviderConfigKind}.String()
	ProviderConfigGroupVersionKind                 = SchemeGroupVersion.WithKind(ProviderConfigKind)
	ClusterProviderConfigKind                      = reflect.TypeOf(ClusterProviderConfig{}).Name()
	ClusterProviderConfigGroupKind                 = schema.GroupKind{Group: Group, Kind: ClusterProviderConfigKind}.String()
	ClusterProviderConfigGroupVersionKind          = SchemeGroupVersion.WithKind(ClusterProviderConfigKind)
	ProviderConfigUsageGroupVersionKind            = SchemeGroupVersion.WithKind(reflect.TypeOf(ProviderConfigUsage{}).Name())
	ProviderConfigUsageListGroupVersionKind        = SchemeGroupVersion.WithKind(reflect.TypeOf(ProviderConfigUsageList{}).Name())
	ClusterProviderConfigUsageGroupVersionKind     = SchemeGroupVersion.WithKind(reflect.TypeOf(ClusterProviderConfigUsage{}).Name())
	ClusterProviderConfigUsageListGroupVersionKind = SchemeGroupVersion.WithKind(reflect.TypeOf(ClusterProviderConfigUsageList{}).Name())
)

func init() {
	SchemeBuilder.Register(
		&ProviderConfig{}, &ProviderConfigList{},
		&ClusterProviderConfig{}, &ClusterProviderConfigList{},
		&ProviderConfigUsage{}, &ProviderConfigUsageList{},
		&ClusterProviderConfigUsage{}, &ClusterProviderConfigUsageList{},
	)
}
