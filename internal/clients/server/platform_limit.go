package server

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const errListPlatform = "cannot list the ClusterProviderConfigs that may set the limit of %s"

// platform is what the platform team set for a server: the lowest
// maxOperationsPerSecond and the lowest maxConnections of the
// ClusterProviderConfigs that name it; zero when none does.
type platform struct {
	PerSecond      int
	MaxConnections int32
}

// platformLimit reads what the platform team set for server. It is read on
// every connect rather than learnt from the ClusterProviderConfigs' own
// resources, so that the platform's limits hold from the first operation of
// any namespace, also when no resource uses a ClusterProviderConfig yet or
// several of them name one server.
func platformLimit(ctx context.Context, kube client.Reader, server dbms.Config) (platform, error) {
	l := &apisv1alpha1.ClusterProviderConfigList{}
	if err := kube.List(ctx, l); err != nil {
		return platform{}, errors.Wrapf(err, errListPlatform, server)
	}
	var p platform
	for _, pc := range l.Items {
		s := pc.Spec.Server
		if s == nil || serverOf(s).String() != server.String() {
			continue
		}
		// The CRD defaults both; a config written before a default gets
		// what the default says.
		n := int(s.MaxOperationsPerSecond)
		if n <= 0 {
			n = DefaultPerSecond
		}
		if p.PerSecond == 0 || n < p.PerSecond {
			p.PerSecond = n
		}
		c := s.MaxConnections
		if c <= 0 {
			c = DefaultMaxConns
		}
		if p.MaxConnections == 0 || c < p.MaxConnections {
			p.MaxConnections = c
		}
	}
	return p, nil
}

// poolSize is the size of the pool of a config that asks for own sessions
// (zero: written before the CRD's default) on a server whose
// ClusterProviderConfigs allow platform (zero: none names it). The platform's
// bound holds for every config, as maxOperationsPerSecond's does: a
// namespace cannot open more of a shared server's sessions than it allows.
func poolSize(own, platform int32) int32 {
	if own <= 0 {
		own = DefaultMaxConns
	}
	if platform > 0 && platform < own {
		return platform
	}
	return own
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
