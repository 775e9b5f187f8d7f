package providerconfig

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

func TestCheckNamespaced(t *testing.T) {
	ref := func(ns string) xpv2.SecretReference { return xpv2.SecretReference{Namespace: ns, Name: "s"} }
	key := func(ns string) *xpv2.SecretKeySelector {
		return &xpv2.SecretKeySelector{SecretReference: ref(ns), Key: "k"}
	}
	server := func(host, adminNS string) *apisv1alpha1.ExistingServer {
		return &apisv1alpha1.ExistingServer{Engine: apisv1alpha1.ServerEnginePostgreSQL, Host: host, AdminCredentialsSecretRef: ref(adminNS)}
	}
	allowed := Policy{Endpoints: []string{"db.team-a.example", "*.dbas.example", "10.20.0.0/16", "127.0.0.1"}}

	cases := map[string]struct {
		reason string
		spec   apisv1alpha1.ProviderConfigSpec
		policy Policy
		want   error
	}{
		"OwnSecretsAllowedHost": {
			reason: "Secrets of its own namespace sent to an allowed host are fine.",
			spec: apisv1alpha1.ProviderConfigSpec{Server: &apisv1alpha1.ExistingServer{
				Host: "db.team-a.example", AdminCredentialsSecretRef: ref("team-a"),
				TLS: &apisv1alpha1.ServerTLS{CASecretRef: key("team-a"), ClientCertSecretRef: &xpv2.SecretReference{Namespace: "team-a", Name: "c"}},
			}},
			policy: allowed,
		},
		"AdminSecretOfAnotherNamespace": {
			reason: "The admin Secret of another namespace is never read.",
			spec:   apisv1alpha1.ProviderConfigSpec{Server: server("db.team-a.example", "team-b")},
			policy: allowed,
			want:   errors.Errorf(errSecretNS, "team-a", "pc", "spec.server.adminCredentialsSecretRef", "team-b", "team-a"),
		},
		"CASecretOfAnotherNamespace": {
			reason: "TLS Secrets are Secrets too.",
			spec: apisv1alpha1.ProviderConfigSpec{Server: &apisv1alpha1.ExistingServer{
				Host: "127.0.0.1", AdminCredentialsSecretRef: ref("team-a"), TLS: &apisv1alpha1.ServerTLS{CASecretRef: key("kube-system")},
			}},
			policy: allowed,
			want:   errors.Errorf(errSecretNS, "team-a", "pc", "spec.server.tls.caSecretRef", "kube-system", "team-a"),
		},
		"SSHKeyOfAnotherNamespace": {
			reason: "The SSH key of another namespace is never read.",
			spec:   apisv1alpha1.ProviderConfigSpec{SSH: &apisv1alpha1.SSHConfig{PrivateKeySecretRef: *key("team-b")}},
			want:   errors.Errorf(errSecretNS, "team-a", "pc", "spec.ssh.privateKeySecretRef", "team-b", "team-a"),
		},
		"CredentialsOfAnotherNamespace": {
			reason: "Backend credentials of another namespace are never read.",
			spec: apisv1alpha1.ProviderConfigSpec{Credentials: &apisv1alpha1.ProviderCredentials{
				Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: key("team-b")},
			}},
			want: errors.Errorf(errSecretNS, "team-a", "pc", "spec.credentials.secretRef", "team-b", "team-a"),
		},
		"ProviderEnvironment": {
			reason: "The provider's own environment is the platform's, not a namespace's.",
			spec:   apisv1alpha1.ProviderConfigSpec{Credentials: &apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceEnvironment}},
			want:   errors.Errorf(errSource, "team-a", "pc", xpv2.CredentialsSourceEnvironment, "team-a"),
		},
		"ProviderFilesystem": {
			reason: "The provider's own files are the platform's, not a namespace's.",
			spec:   apisv1alpha1.ProviderConfigSpec{Credentials: &apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceFilesystem}},
			want:   errors.Errorf(errSource, "team-a", "pc", xpv2.CredentialsSourceFilesystem, "team-a"),
		},
		"BaseDir": {
			reason: "Where the provider writes on its host is the platform's choice.",
			spec:   apisv1alpha1.ProviderConfigSpec{Local: &apisv1alpha1.LocalBackendConfig{BaseDir: "/etc"}},
			want:   errors.Errorf(errBaseDir, "team-a", "pc"),
		},
		"InstanceCA": {
			reason: "The CA that signs every instance's certificate is the platform's.",
			spec: apisv1alpha1.ProviderConfigSpec{InstanceTLS: &apisv1alpha1.InstanceTLS{
				CASecretRef: xpv2.SecretReference{Namespace: "team-a", Name: "my-ca"},
			}},
			want: errors.Errorf(errInstanceCA, "team-a", "pc"),
		},
		"PortRangeOnly": {
			reason: "A local block without a directory chooses nothing on the host's file system.",
			spec:   apisv1alpha1.ProviderConfigSpec{Local: &apisv1alpha1.LocalBackendConfig{PortRangeStart: 30000}},
		},
		"ServerHostNotAllowed": {
			reason: "With no allow-list a namespaced config names no endpoint of its own.",
			spec:   apisv1alpha1.ProviderConfigSpec{Server: server("db.team-b.example", "team-a")},
			want:   errors.Errorf(errEndpoint, "team-a", "pc", "spec.server.host", "db.team-b.example"),
		},
		"ServerHostByDomain": {
			reason: "A domain entry allows its sub-domains.",
			spec:   apisv1alpha1.ProviderConfigSpec{Server: server("orders.dbas.example", "team-a")},
			policy: allowed,
		},
		"ServerHostByCIDR": {
			reason: "A CIDR entry allows the addresses in it.",
			spec:   apisv1alpha1.ProviderConfigSpec{Server: server("10.20.3.4", "team-a")},
			policy: allowed,
		},
		"ServerHostOutsideCIDR": {
			reason: "An address outside every entry is refused.",
			spec:   apisv1alpha1.ProviderConfigSpec{Server: server("10.21.3.4", "team-a")},
			policy: allowed,
			want:   errors.Errorf(errEndpoint, "team-a", "pc", "spec.server.host", "10.21.3.4"),
		},
		"DomainEntryIsNotASuffixMatch": {
			reason: "*.dbas.example does not allow evildbas.example.",
			spec:   apisv1alpha1.ProviderConfigSpec{Server: server("evildbas.example", "team-a")},
			policy: allowed,
			want:   errors.Errorf(errEndpoint, "team-a", "pc", "spec.server.host", "evildbas.example"),
		},
		"VCenterNotAllowed": {
			reason: "vCenter's URL is where the credentials go.",
			spec:   apisv1alpha1.ProviderConfigSpec{VSphere: &apisv1alpha1.VSphereBackendConfig{URL: "https://vcenter.team-b.example/sdk"}},
			policy: allowed,
			want:   errors.Errorf(errEndpoint, "team-a", "pc", "spec.vsphere.url", "vcenter.team-b.example"),
		},
		"GCPEndpointNotAllowed": {
			reason: "A replaced Compute Engine endpoint is where the key goes.",
			spec:   apisv1alpha1.ProviderConfigSpec{GCP: &apisv1alpha1.GCPBackendConfig{Endpoint: "https://collector.example/compute/v1/"}},
			want:   errors.Errorf(errEndpoint, "team-a", "pc", "spec.gcp.endpoint", "collector.example"),
		},
		"TerraformCloudIsPublic": {
			reason: "The backends' own public endpoints are always allowed.",
			spec:   apisv1alpha1.ProviderConfigSpec{Terraform: &apisv1alpha1.TerraformBackendConfig{Address: "https://app.terraform.io"}},
		},
		"TerraformElsewhere": {
			reason: "A Terraform Enterprise elsewhere needs the platform's allow-list.",
			spec:   apisv1alpha1.ProviderConfigSpec{Terraform: &apisv1alpha1.TerraformBackendConfig{Address: "http://127.0.0.2:8080"}},
			policy: allowed,
			want:   errors.Errorf(errEndpoint, "team-a", "pc", "spec.terraform.address", "127.0.0.2"),
		},
		"TerraformAllowedAddress": {
			reason: "An address entry allows that address on any port.",
			spec:   apisv1alpha1.ProviderConfigSpec{Terraform: &apisv1alpha1.TerraformBackendConfig{Address: "http://127.0.0.1:8080"}},
			policy: allowed,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkNamespaced("team-a", "pc", &tc.spec, tc.policy)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\ncheckNamespaced(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
