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

package bench500

import (
	"net/url"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errParseHost       = "cannot parse the API server's address"
	errCertFiles       = "the rest config names certificate files; only inline certificate data is written to a kubeconfig"
	errWriteKubeconfig = "cannot write the kubeconfig"

	// kubeconfigName names the one cluster, user and context.
	kubeconfigName = "bench500"
)

// writeKubeconfig writes a kubeconfig for cfg to path, for a process (the
// provider) that finds its API server the usual way, through KUBECONFIG.
// envtest hands out inline CA, client certificate and key data, which is
// what is copied; a config that points at files is refused rather than
// silently written without credentials.
func writeKubeconfig(cfg *rest.Config, path string) error {
	if cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
		return errors.New(errCertFiles)
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		return errors.Wrap(err, errParseHost)
	}
	// envtest's Host is a bare host:port at times; a URL without a scheme
	// parses with the whole address as its path.
	if u.Host == "" {
		u = &url.URL{Host: cfg.Host}
	}
	u.Scheme = "https"
	if !rest.IsConfigTransportTLS(*cfg) {
		u.Scheme = "http"
	}
	u.Path = cfg.APIPath

	kc := clientcmdapi.NewConfig()
	kc.Clusters[kubeconfigName] = &clientcmdapi.Cluster{
		Server:                   u.String(),
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[kubeconfigName] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
		Username:              cfg.Username,
		Password:              cfg.Password,
	}
	kc.Contexts[kubeconfigName] = &clientcmdapi.Context{Cluster: kubeconfigName, AuthInfo: kubeconfigName}
	kc.CurrentContext = kubeconfigName

	b, err := clientcmd.Write(*kc)
	if err != nil {
		return errors.Wrap(err, errWriteKubeconfig)
	}
	return errors.Wrap(os.WriteFile(path, b, 0o600), errWriteKubeconfig)
}
