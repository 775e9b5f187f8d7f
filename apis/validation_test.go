package apis_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func instance(mod func(p *enginev1alpha1.DatabaseInstanceParameters)) *enginev1alpha1.DatabaseInstance {
	i := &enginev1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "i-"},
		Spec: enginev1alpha1.DatabaseInstanceSpec{ForProvider: enginev1alpha1.DatabaseInstanceParameters{
			Engine:                 enginev1alpha1.EnginePostgreSQL,
			Version:                "15",
			StorageGB:              10,
			AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "admin"}, Key: "password"},
		}},
	}
	if mod != nil {
		mod(&i.Spec.ForProvider)
	}
	return i
}

func firewallRule(mod func(p *computev1alpha1.FirewallRuleParameters)) *computev1alpha1.FirewallRule {
	r := &computev1alpha1.FirewallRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "fw-"},
		Spec: computev1alpha1.FirewallRuleSpec{ForProvider: computev1alpha1.FirewallRuleParameters{
			Ports: []int32{5432}, SourceCIDRs: []string{"10.0.0.0/8"},
		}},
	}
	if mod != nil {
		mod(&r.Spec.ForProvider)
	}
	return r
}

func virtualMachine(mod func(p *computev1alpha1.VirtualMachineParameters)) *computev1alpha1.VirtualMachine {
	m := &computev1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "vm-"},
		Spec:       computev1alpha1.VirtualMachineSpec{ForProvider: computev1alpha1.VirtualMachineParameters{CPU: 2, MemoryMiB: 2048}},
	}
	if mod != nil {
		mod(&m.Spec.ForProvider)
	}
	return m
}

func database(mod func(p *sqlv1alpha1.DatabaseParameters)) *sqlv1alpha1.Database {
	d := &sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "d-"}}
	mod(&d.Spec.ForProvider)
	return d
}

// TestCRDValidation checks that the API server refuses bad specs with a
// message that names the field, and accepts good ones.
func TestCRDValidation(t *testing.T) {
	// The platform's Database too, as core makes its CRD of the XRD: its
	// CEL rules are checked by this API server.
	xrds := t.TempDir()
	testenv.WriteXRDCRD(t, filepath.Join(testenv.RepoRoot(t), "apis", "platform", "definition.yaml"), xrds)
	env := testenv.Start(t, xrds)
	ctx := context.Background()

	cases := map[string]createCase{
		"GoodInstance": {
			reason: "a complete instance is accepted",
			obj:    instance(nil),
		},
		"NegativeStorage": {
			reason: "storage must be positive",
			obj:    instance(func(p *enginev1alpha1.DatabaseInstanceParameters) { p.StorageGB = -1 }),
			want:   "storageGB",
		},
		"EmptyEngine": {
			reason: "the engine must be one the provider runs",
			obj:    instance(func(p *enginev1alpha1.DatabaseInstanceParameters) { p.Engine = "" }),
			want:   "engine",
		},
		"UnknownEngine": {
			reason: "the engine must be one the provider runs",
			obj:    instance(func(p *enginev1alpha1.DatabaseInstanceParameters) { p.Engine = "oracle" }),
			want:   "engine",
		},
		"ParameterNameWithQuote": {
			reason: "parameter names reach the engine's configuration and must be plain",
			obj: instance(func(p *enginev1alpha1.DatabaseInstanceParameters) {
				p.Parameters = map[string]string{"work_mem'; x": "4MB"}
			}),
			want: "parameter names",
		},
		"AdminUserNotAnIdentifier": {
			reason: "the admin user must be a plain identifier",
			obj:    instance(func(p *enginev1alpha1.DatabaseInstanceParameters) { p.AdminUser = `a"b` }),
			want:   "adminUser",
		},
		"TooFewConnections": {
			reason: "max_connections has a floor",
			obj:    instance(func(p *enginev1alpha1.DatabaseInstanceParameters) { p.MaxConnections = ptr.To[int32](1) }),
			want:   "maxConnections",
		},
		"Metrics": {
			reason: "metrics with a port of the unprivileged range are accepted",
			obj: instance(func(p *enginev1alpha1.DatabaseInstanceParameters) {
				p.Metrics = &enginev1alpha1.MetricsParameters{Port: 9300}
			}),
		},
		"MetricsPrivilegedPort": {
			reason: "the exporter runs as the engine's user, which cannot listen below 1024",
			obj: instance(func(p *enginev1alpha1.DatabaseInstanceParameters) {
				p.Metrics = &enginev1alpha1.MetricsParameters{Port: 80}
			}),
			want: "metrics.port",
		},
		"MetricsNodePrivilegedPort": {
			reason: "node_exporter runs as the engine's user too",
			obj: instance(func(p *enginev1alpha1.DatabaseInstanceParameters) {
				p.Metrics = &enginev1alpha1.MetricsParameters{Node: &enginev1alpha1.NodeMetricsParameters{Port: 443}}
			}),
			want: "metrics.node.port",
		},
		"MetricsNodePortClash": {
			reason: "both exporters listen on the member's address: one port cannot serve both",
			obj: instance(func(p *enginev1alpha1.DatabaseInstanceParameters) {
				p.Metrics = &enginev1alpha1.MetricsParameters{Port: 9300, Node: &enginev1alpha1.NodeMetricsParameters{Port: 9300}}
			}),
			want: "metrics.node.port must differ from metrics.port",
		},
		"MetricsPortOnNodeDefault": {
			reason: "the PostgreSQL exporter moved to node_exporter's default port clashes with it once the API server defaults it",
			obj: instance(func(p *enginev1alpha1.DatabaseInstanceParameters) {
				p.Metrics = &enginev1alpha1.MetricsParameters{Port: 9100}
			}),
			want: "metrics.node.port must differ from metrics.port",
		},
		"MetricsNodeOwnPort": {
			reason: "node_exporter on a port of its own is accepted",
			obj: instance(func(p *enginev1alpha1.DatabaseInstanceParameters) {
				p.Metrics = &enginev1alpha1.MetricsParameters{Port: 9100, Node: &enginev1alpha1.NodeMetricsParameters{Port: 9101}}
			}),
		},
		"DatabaseConnectionLimitBelowMinusOne": {
			reason: "-1 means no limit; lower is meaningless",
			obj: &sqlv1alpha1.Database{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "d-"},
				Spec: sqlv1alpha1.DatabaseSpec{ForProvider: sqlv1alpha1.DatabaseParameters{
					InstanceReference: sqlv1alpha1.InstanceReference{Instance: "i"},
					ConnectionLimit:   ptr.To[int32](-2),
				}},
			},
			want: "connectionLimit",
		},
		"ClassDatabaseWithNativeSettings": {
			reason: "a class's procedures alone make its databases",
			obj: database(func(p *sqlv1alpha1.DatabaseParameters) {
				p.ClassRef = &sqlv1alpha1.ClassReference{Name: "dba"}
				p.Encoding = "UTF8"
			}),
			want: "made only by the class's procedures",
		},
		"RotationWithoutClass": {
			reason: "a native database has no credentials of its own to rotate",
			obj:    database(func(p *sqlv1alpha1.DatabaseParameters) { p.CredentialRotation = "1" }),
			want:   "rotate a native database's credentials on its User",
		},
		"ParametersWithoutClass": {
			reason: "parameters only feed a class's procedures",
			obj:    database(func(p *sqlv1alpha1.DatabaseParameters) { p.Parameters = map[string]string{"team": "a"} }),
			want:   "set classRef too",
		},
		"GoodClassDatabase": {
			reason: "a class, parameters and a rotation request are accepted together",
			obj: database(func(p *sqlv1alpha1.DatabaseParameters) {
				p.ClassRef = &sqlv1alpha1.ClassReference{Name: "dba"}
				p.Parameters = map[string]string{"team": "a"}
				p.CredentialRotation = "2026-11-21"
			}),
		},
		"CharacterSetNotAName": {
			reason: "a character set is a plain name",
			obj:    database(func(p *sqlv1alpha1.DatabaseParameters) { p.CharacterSet = "utf8mb4; DROP" }),
			want:   "characterSet",
		},
		"RotationOfAUsersOwnPassword": {
			reason: "a password from passwordSecretRef is changed in its Secret",
			obj: &sqlv1alpha1.User{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "u-"},
				Spec: sqlv1alpha1.UserSpec{ForProvider: sqlv1alpha1.UserParameters{
					RotationRequest:   sqlv1alpha1.RotationRequest{CredentialRotation: "1"},
					PasswordSecretRef: &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "pw"}, Key: "pw"},
				}},
			},
			want: "credentialRotation rotates generated passwords",
		},
		"ContainedUserWithoutDatabase": {
			reason: "a contained SQL Server user lives in a database",
			obj: &sqlv1alpha1.User{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "u-"},
				Spec:       sqlv1alpha1.UserSpec{ForProvider: sqlv1alpha1.UserParameters{Contained: ptr.To(true)}},
			},
			want: "a contained user lives in a database",
		},
		"GrantWithoutPrivileges": {
			reason: "a grant grants something",
			obj: &sqlv1alpha1.Grant{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "g-"},
				Spec:       sqlv1alpha1.GrantSpec{ForProvider: sqlv1alpha1.GrantParameters{User: ptr.To("u"), Database: ptr.To("d")}},
			},
			want: "privileges",
		},
		"GrantPrivilegeNotAWord": {
			reason: "privileges are keywords, never SQL",
			obj: &sqlv1alpha1.Grant{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "g-"},
				Spec: sqlv1alpha1.GrantSpec{ForProvider: sqlv1alpha1.GrantParameters{
					User: ptr.To("u"), Database: ptr.To("d"), Privileges: []string{"SELECT; DROP TABLE t"},
				}},
			},
			want: "privileges",
		},
		"ClassProcedureWithThreeParts": {
			reason: "a procedure is name or schema.name",
			obj: &sqlv1alpha1.DatabaseClass{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "c-"},
				Spec:       sqlv1alpha1.DatabaseClassSpec{Engine: "postgresql", Create: sqlv1alpha1.ProcedureCall{Procedure: "a.b.c"}},
			},
			want: "procedure",
		},
		"ServerWithUnknownEngine": {
			reason: "an existing server runs an engine the provider speaks",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal, Server: &v1alpha1.ExistingServer{
					Engine: "oracle", Host: "db", AdminCredentialsSecretRef: xpv2.SecretReference{Name: "a", Namespace: "b"},
				}},
			},
			want: "engine",
		},
		"VerifyCAWithoutCA": {
			reason: "verify-ca verifies against a CA, which must be given",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal, Server: &v1alpha1.ExistingServer{
					Engine: "postgresql", Host: "db", AdminCredentialsSecretRef: xpv2.SecretReference{Name: "a", Namespace: "b"},
					TLS: &v1alpha1.ServerTLS{Mode: "verify-ca"},
				}},
			},
			want: "verify-ca needs caSecretRef",
		},
		"PortRangeReversed": {
			reason: "a port range must not end before it starts",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal, Local: &v1alpha1.LocalBackendConfig{
					PortRangeStart: 30000, PortRangeEnd: 20000,
				}},
			},
			want: "portRangeStart",
		},
		"VSphereWithoutBlock": {
			reason: "a vSphere provider config must say where vCenter is",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec:       v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendVSphere},
			},
			want: "backend vsphere needs the vsphere block",
		},
		"VSphereURL": {
			reason: "vCenter's URL must be http(s)",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendVSphere,
					VSphere: &v1alpha1.VSphereBackendConfig{URL: "vcenter.example", Datacenter: "dc"}},
			},
			want: "vsphere.url",
		},
		"GoodAzure": {
			reason: "an Azure provider config with its block is accepted",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendAzure,
					Azure: &v1alpha1.AzureBackendConfig{SubscriptionID: "sub", ResourceGroup: "rg", Location: "westeurope"}},
			},
		},
		"TerraformWithoutBlock": {
			reason: "a Terraform provider config must name its organisation and module",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec:       v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendTerraform},
			},
			want: "backend terraform needs the terraform block",
		},
		"UnknownBackend": {
			reason: "only backends the provider knows are accepted",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec:       v1alpha1.ProviderConfigSpec{Backend: "openstack"},
			},
			want: "spec.backend",
		},
		"NamespacedConfigWithProviderEnvironment": {
			reason: "a namespaced ProviderConfig may not read the provider's own environment",
			obj: &v1alpha1.ProviderConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					Credentials: &v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceEnvironment}},
			},
			want: "spec.credentials.source must be None or Secret",
		},
		"NamespacedConfigWithProviderFiles": {
			reason: "a namespaced ProviderConfig may not read the provider's own files",
			obj: &v1alpha1.ProviderConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					Credentials: &v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceFilesystem}},
			},
			want: "spec.credentials.source must be None or Secret",
		},
		"NamespacedConfigWithSecret": {
			reason: "a namespaced ProviderConfig may read a Secret",
			obj: &v1alpha1.ProviderConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					Credentials: &v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceSecret}},
			},
		},
		"NamespacedConfigWithBaseDir": {
			reason: "where root writes is the platform's to choose",
			obj: &v1alpha1.ProviderConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					Local: &v1alpha1.LocalBackendConfig{BaseDir: "/etc"}},
			},
			want: "only a ClusterProviderConfig may set it",
		},
		"ClusterConfigWithBaseDirAndEnvironment": {
			reason: "a ClusterProviderConfig is the platform team's: it may choose both",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					Local:       &v1alpha1.LocalBackendConfig{BaseDir: "/var/lib/dbaas"},
					Credentials: &v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceEnvironment}},
			},
		},
		"NamespacedConfigWithInstanceCA": {
			reason: "the CA that signs every instance's certificate is the platform's",
			obj: &v1alpha1.ProviderConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					InstanceTLS: &v1alpha1.InstanceTLS{CASecretRef: xpv2.SecretReference{Namespace: "default", Name: "my-ca"}}},
			},
			want: "spec.instanceTLS names the platform's CA",
		},
		"ClusterConfigWithInstanceCA": {
			reason: "a ClusterProviderConfig names the platform's CA",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					InstanceTLS: &v1alpha1.InstanceTLS{CASecretRef: xpv2.SecretReference{Namespace: "cert-manager", Name: "platform-ca"}}},
			},
		},
		"NamespacedConfigWithNetwork": {
			reason: "namespaces and links on the provider's host are the platform's to make",
			obj: &v1alpha1.ProviderConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal, SSH: hostsSSH(),
					Local: &v1alpha1.LocalBackendConfig{Network: &v1alpha1.LocalNetwork{CIDR: "10.200.3.0/24"}}},
			},
			want: "spec.local.network makes network namespaces and links on the provider's host: only a ClusterProviderConfig may set it",
		},
		"ClusterConfigNetworkWithoutSSH": {
			reason: "the hosts are reached over SSH, with the ssh block's key",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal,
					Local: &v1alpha1.LocalBackendConfig{Network: &v1alpha1.LocalNetwork{CIDR: "10.200.3.0/24"}}},
			},
			want: "local.network makes machines hosts reached over SSH: it needs the ssh block",
		},
		"ClusterConfigNetworkBadCIDR": {
			reason: "the hosts' subnet is an IPv4 CIDR of at most /30",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal, SSH: hostsSSH(),
					Local: &v1alpha1.LocalBackendConfig{Network: &v1alpha1.LocalNetwork{CIDR: "10.200.3.0/31"}}},
			},
			want: "spec.local.network.cidr",
		},
		"ClusterConfigWithNetwork": {
			reason: "a ClusterProviderConfig with the ssh block may give its machines a network of their own",
			obj: &v1alpha1.ClusterProviderConfig{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "pc-"},
				Spec: v1alpha1.ProviderConfigSpec{Backend: v1alpha1.BackendLocal, SSH: hostsSSH(),
					Local: &v1alpha1.LocalBackendConfig{Network: &v1alpha1.LocalNetwork{CIDR: "10.200.3.0/24", Bridge: "dbhosts0"}}},
			},
		},
		"GoodFirewallRule": {
			reason: "a rule with ports and a CIDR is accepted",
			obj:    firewallRule(nil),
		},
		"RuleWithoutSource": {
			reason: "a rule must allow traffic from somewhere",
			obj:    firewallRule(func(p *computev1alpha1.FirewallRuleParameters) { p.SourceCIDRs = nil }),
			want:   "name sourceCIDRs or sourceTags",
		},
		"RuleBadCIDR": {
			reason: "source CIDRs must be CIDRs",
			obj:    firewallRule(func(p *computev1alpha1.FirewallRuleParameters) { p.SourceCIDRs = []string{"10.0.0.1"} }),
			want:   "must be a CIDR",
		},
		"RuleBadPort": {
			reason: "ports are 1 to 65535",
			obj:    firewallRule(func(p *computev1alpha1.FirewallRuleParameters) { p.Ports = []int32{70000} }),
			want:   "ports",
		},
		"AzureZone": {
			reason: "an Azure machine may name an availability zone",
			obj: virtualMachine(func(p *computev1alpha1.VirtualMachineParameters) {
				p.Azure = &computev1alpha1.AzureMachineParameters{Zone: "2"}
			}),
		},
		"AzureZoneNotAZone": {
			reason: "Azure's availability zones are 1, 2 and 3",
			obj: virtualMachine(func(p *computev1alpha1.VirtualMachineParameters) {
				p.Azure = &computev1alpha1.AzureMachineParameters{Zone: "westeurope-1"}
			}),
			want: "azure.zone",
		},
		"AntiAffinityGroup": {
			reason: "a vSphere machine may name an anti-affinity group",
			obj: virtualMachine(func(p *computev1alpha1.VirtualMachineParameters) {
				p.VSphere = &computev1alpha1.VSphereMachineParameters{AntiAffinityGroup: "team-a-orders"}
			}),
		},
		"AntiAffinityGroupNotAName": {
			reason: "the group names a DRS rule and must be a plain name",
			obj: virtualMachine(func(p *computev1alpha1.VirtualMachineParameters) {
				p.VSphere = &computev1alpha1.VSphereMachineParameters{AntiAffinityGroup: "Orders DB"}
			}),
			want: "vsphere.antiAffinityGroup",
		},
		"RuleNoPorts": {
			reason: "a rule allows at least one port",
			obj:    firewallRule(func(p *computev1alpha1.FirewallRuleParameters) { p.Ports = nil }),
			want:   "ports",
		},
	}
	createCases(ctx, t, env, cases)

	t.Run("ClassIsImmutable", func(t *testing.T) {
		d := database(func(p *sqlv1alpha1.DatabaseParameters) { p.ClassRef = &sqlv1alpha1.ClassReference{Name: "a"} })
		if err := env.Client.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		d.Spec.ForProvider.ClassRef.Name = "b"
		err := env.Client.Update(ctx, d)
		if err == nil || !strings.Contains(err.Error(), "classRef is immutable") {
			t.Errorf("changing the class should be refused as immutable, got: %v", err)
		}
	})

	t.Run("PlacementIsImmutable", func(t *testing.T) {
		cases := map[string]struct {
			from, to func(p *computev1alpha1.VirtualMachineParameters)
			want     string
		}{
			"AzureZoneChanged": {
				from: func(p *computev1alpha1.VirtualMachineParameters) {
					p.Azure = &computev1alpha1.AzureMachineParameters{Zone: "1"}
				},
				to:   func(p *computev1alpha1.VirtualMachineParameters) { p.Azure.Zone = "2" },
				want: "azure.zone is immutable",
			},
			"AzureZoneAdded": {
				from: func(p *computev1alpha1.VirtualMachineParameters) { p.Azure = &computev1alpha1.AzureMachineParameters{} },
				to:   func(p *computev1alpha1.VirtualMachineParameters) { p.Azure.Zone = "3" },
				want: "azure.zone is immutable",
			},
			"AzureBlockWithZoneAdded": {
				from: func(*computev1alpha1.VirtualMachineParameters) {},
				to: func(p *computev1alpha1.VirtualMachineParameters) {
					p.Azure = &computev1alpha1.AzureMachineParameters{Zone: "1"}
				},
				want: "azure.zone is immutable",
			},
			"AzureSizeChanged": {
				from: func(p *computev1alpha1.VirtualMachineParameters) {
					p.Azure = &computev1alpha1.AzureMachineParameters{Zone: "1"}
				},
				to: func(p *computev1alpha1.VirtualMachineParameters) { p.Azure.Size = "Standard_D4s_v5" },
			},
			"AntiAffinityGroupChanged": {
				from: func(p *computev1alpha1.VirtualMachineParameters) {
					p.VSphere = &computev1alpha1.VSphereMachineParameters{AntiAffinityGroup: "a"}
				},
				to:   func(p *computev1alpha1.VirtualMachineParameters) { p.VSphere.AntiAffinityGroup = "b" },
				want: "vsphere.antiAffinityGroup is immutable",
			},
			"AntiAffinityGroupDropped": {
				from: func(p *computev1alpha1.VirtualMachineParameters) {
					p.VSphere = &computev1alpha1.VSphereMachineParameters{AntiAffinityGroup: "a"}
				},
				to:   func(p *computev1alpha1.VirtualMachineParameters) { p.VSphere = nil },
				want: "vsphere.antiAffinityGroup is immutable",
			},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				m := virtualMachine(tc.from)
				if err := env.Client.Create(ctx, m); err != nil {
					t.Fatal(err)
				}
				tc.to(&m.Spec.ForProvider)
				err := env.Client.Update(ctx, m)
				switch {
				case tc.want == "" && err != nil:
					t.Errorf("refused: %v", err)
				case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
					t.Errorf("want refused with %q, got: %v", tc.want, err)
				}
			})
		}
	})

	t.Run("Stores", func(t *testing.T) { storeValidation(t, env) })

	t.Run("Composed", func(t *testing.T) { composedValidation(t, env) })

	t.Run("PlatformRestore", func(t *testing.T) { platformRestoreValidation(t, env) })

	t.Run("ServerTLSDefaultsToVerifyFull", func(t *testing.T) { serverTLSDefaultsToVerifyFull(t, env) })

	t.Run("NodeMetricsDefaultOn", func(t *testing.T) { nodeMetricsDefaultOn(t, env) })

	t.Run("EngineIsImmutable", func(t *testing.T) {
		i := instance(nil)
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		i.Spec.ForProvider.Version = "16"
		err := env.Client.Update(ctx, i)
		if err == nil || !strings.Contains(err.Error(), "version is immutable") {
			t.Errorf("changing the version should be refused as immutable, got: %v", err)
		}
	})
}

// hostsSSH is an ssh block for a config whose machines are hosts of their
// own.
func hostsSSH() *v1alpha1.SSHConfig {
	return &v1alpha1.SSHConfig{User: "root", PrivateKeySecretRef: xpv2.SecretKeySelector{
		SecretReference: xpv2.SecretReference{Namespace: "default", Name: "ssh"}, Key: "id"}}
}

// A createCase is an object the API server must accept (want empty) or
// refuse with an error naming want.
type createCase struct {
	reason string
	obj    client.Object
	want   string
}

// createCases creates each case's object and checks the API server's answer.
func createCases(ctx context.Context, t *testing.T, env *testenv.Env, cases map[string]createCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			checkAnswer(t, tc.reason, env.Client.Create(ctx, tc.obj), tc.want)
		})
	}
}

// checkAnswer checks the API server's answer to a create or update: accepted
// when want is empty, else refused with an error that names want.
func checkAnswer(t *testing.T, reason string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: refused: %v", reason, err)
	case want != "" && err == nil:
		t.Errorf("%s: accepted", reason)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: the error should name %q: %v", reason, want, err)
	}
}
