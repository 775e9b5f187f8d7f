package providerconfig

import (
	"net"
	"net/url"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

// A Policy is what the platform lets a namespaced ProviderConfig do beyond
// reading Secrets of its own namespace. ClusterProviderConfigs belong to the
// platform team and are not limited by it.
type Policy struct {
	// Endpoints are the hosts a namespaced ProviderConfig may point at
	// (spec.server.host, spec.vsphere.url, spec.gcp.endpoint,
	// spec.terraform.address): a host name ("db.example.com"), a domain
	// with its sub-domains ("*.example.com"), an address or a CIDR range
	// ("10.20.0.0/16"). Empty lets namespaced ProviderConfigs name no
	// endpoint of their own: they then reach servers and backends only
	// through ClusterProviderConfigs. The public endpoints that are the
	// backends' defaults (Terraform Cloud, Compute Engine) are always
	// allowed.
	Endpoints []string
}

// publicEndpoints are the backends' own defaults: sending a namespace's own
// token to them is what the backend is for.
var publicEndpoints = map[string]bool{
	"app.terraform.io":            true,
	"compute.googleapis.com":      true,
	"www.googleapis.com":          true,
	"compute.mtls.googleapis.com": true,
}

const (
	errSource   = "ProviderConfig %s/%s: spec.credentials.source %s reads the provider's own environment or files, which only a ClusterProviderConfig may use: put the credentials in a Secret of namespace %s and use source Secret"
	errSecretNS = "ProviderConfig %s/%s: %s names a Secret in namespace %q; a ProviderConfig reads Secrets only from its own namespace %s (a ClusterProviderConfig may name others)"
	errBaseDir  = "ProviderConfig %s/%s: spec.local.baseDir chooses where the provider writes on its host, which only a ClusterProviderConfig may do: remove it"
	errEndpoint = "ProviderConfig %s/%s: %s points at %q, which the platform does not allow namespaced ProviderConfigs to reach (the provider's --namespaced-endpoints list); use a ClusterProviderConfig, or ask the platform team to allow it"
	errBadURL   = "ProviderConfig %s/%s: %s is not a URL: %q"
)

// errInstanceCA refuses the platform's CA on a namespaced config.
const errInstanceCA = "ProviderConfig %s/%s: spec.instanceTLS names the platform's CA, whose key signs certificates for every namespace, which only a ClusterProviderConfig may do: remove it"

// checkNamespaced refuses what a ProviderConfig in namespace ns may not do:
// read credentials other than its own namespace's Secrets, choose where the
// provider writes, or send credentials to an endpoint the platform has not
// allowed. Every message names the field and what to change.
func checkNamespaced(ns, name string, s *apisv1alpha1.ProviderConfigSpec, p Policy) error {
	if c := s.Credentials; c != nil {
		switch c.Source {
		case "", xpv2.CredentialsSourceNone, xpv2.CredentialsSourceSecret:
		default:
			return errors.Errorf(errSource, ns, name, c.Source, ns)
		}
	}
	for field, refNS := range secretNamespaces(s) {
		if refNS != ns {
			return errors.Errorf(errSecretNS, ns, name, field, refNS, ns)
		}
	}
	if s.Local != nil && s.Local.BaseDir != "" {
		return errors.Errorf(errBaseDir, ns, name)
	}
	// The CRD refuses it too; a spec stored before that rule existed is
	// refused here, so no namespace signs with the platform's key.
	if s.InstanceTLS != nil {
		return errors.Errorf(errInstanceCA, ns, name)
	}
	for field, ep := range endpoints(s) {
		host := ep
		if strings.Contains(ep, "://") {
			u, err := url.Parse(ep)
			if err != nil || u.Hostname() == "" {
				return errors.Errorf(errBadURL, ns, name, field, ep)
			}
			host = u.Hostname()
		}
		if !p.allows(host) {
			return errors.Errorf(errEndpoint, ns, name, field, host)
		}
	}
	return nil
}

// secretNamespaces are the namespaces of every Secret a spec references, by
// field path.
func secretNamespaces(s *apisv1alpha1.ProviderConfigSpec) map[string]string {
	out := map[string]string{}
	if c := s.Credentials; c != nil && c.Source == xpv2.CredentialsSourceSecret && c.SecretRef != nil {
		out["spec.credentials.secretRef"] = c.SecretRef.Namespace
	}
	if sv := s.Server; sv != nil {
		out["spec.server.adminCredentialsSecretRef"] = sv.AdminCredentialsSecretRef.Namespace
		if t := sv.TLS; t != nil {
			if t.CASecretRef != nil {
				out["spec.server.tls.caSecretRef"] = t.CASecretRef.Namespace
			}
			if t.ClientCertSecretRef != nil {
				out["spec.server.tls.clientCertSecretRef"] = t.ClientCertSecretRef.Namespace
			}
		}
	}
	if sh := s.SSH; sh != nil {
		out["spec.ssh.privateKeySecretRef"] = sh.PrivateKeySecretRef.Namespace
	}
	return out
}

// endpoints are the addresses a spec sends credentials to, by field path.
func endpoints(s *apisv1alpha1.ProviderConfigSpec) map[string]string {
	out := map[string]string{}
	if s.Server != nil {
		out["spec.server.host"] = s.Server.Host
	}
	if s.VSphere != nil {
		out["spec.vsphere.url"] = s.VSphere.URL
	}
	if s.GCP != nil && s.GCP.Endpoint != "" {
		out["spec.gcp.endpoint"] = s.GCP.Endpoint
	}
	if s.Terraform != nil && s.Terraform.Address != "" {
		out["spec.terraform.address"] = s.Terraform.Address
	}
	return out
}

// allows reports whether host matches the policy.
func (p Policy) allows(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if publicEndpoints[host] {
		return true
	}
	ip := net.ParseIP(host)
	for _, e := range p.Endpoints {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
		case strings.HasPrefix(e, "*."):
			if strings.HasSuffix(host, e[1:]) {
				return true
			}
		case strings.Contains(e, "/"):
			if _, n, err := net.ParseCIDR(e); err == nil && ip != nil && n.Contains(ip) {
				return true
			}
		default:
			if eip := net.ParseIP(e); eip != nil && ip != nil {
				if eip.Equal(ip) {
					return true
				}
			} else if e == host {
				return true
			}
		}
	}
	return false
}
