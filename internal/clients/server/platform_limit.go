package server

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const errListPlatform = "cannot list the ClusterProviderConfigs that may set the limit of %s"

// platformLimit is the limit the platform team set for server: the lowest
// maxOperationsPerSecond of the ClusterProviderConfigs that name it, or zero
// when none does. It is read on every connect rather than learnt from the
// ClusterProviderConfigs' own resources, so that the platform's limit holds
// from the first operation of any namespace, also when no resource uses a
// ClusterProviderConfig yet or several of them name one server.
func platformLimit(ctx context.Context, kube client.Reader, server dbms.Config) (int, error) {
	l := &apisv1alpha1.ClusterProviderConfigList{}
	if err := kube.List(ctx, l); err != nil {
		return 0, errors.Wrapf(err, errListPlatform, server)
	}
	lowest := 0
	for _, pc := range l.Items {
		s := pc.Spec.Server
		if s == nil || serverOf(s).String() != server.String() {
			continue
		}
		n := int(s.MaxOperationsPerSecond)
		if n <= 0 {
			// The CRD defaults it; a config written before the default
			// gets what the default says.
			n = DefaultPerSecond
		}
		if lowest == 0 || n < lowest {
			lowest = n
		}
	}
	return lowest, nil
}

// serverOf names an existing server as Config does, without reading its
// Secrets: engine, host and port, which is what limits are kept by.
func serverOf(s *apisv1alpha1.ExistingServer) dbms.Config {
	cfg := dbms.Config{Engine: dbms.Engine(s.Engine), Host: s.Host, Port: int(s.Port)}
	if cfg.Port == 0 {
		cfg.Port = dbms.DefaultPort(cfg.Engine)
	}
	return cfg
}
