package server

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// Keys of the Secrets an existing server's settings point at.
const (
	KeyUsername = "username"
	KeyPassword = "password"
)

const (
	errGetAdminSecret  = "cannot get the admin credentials Secret %s/%s"
	errAdminSecretKey  = "the admin credentials Secret %s/%s has no %q key"
	errGetCASecret     = "cannot get the CA Secret %s/%s"
	errCASecretKey     = "the CA Secret %s/%s has no %q key"
	errGetClientSecret = "cannot get the client certificate Secret %s/%s"
	errClientSecretKey = "the client certificate Secret %s/%s has no %q key"
)

// Config turns a provider config's existing server into how to connect to
// it, reading its Secrets.
func Config(ctx context.Context, kube client.Reader, s *apisv1alpha1.ExistingServer) (dbms.Config, error) {
	cfg := dbms.Config{
		Engine:   dbms.Engine(s.Engine),
		Host:     s.Host,
		Port:     int(s.Port),
		Database: s.AdminDatabase,
	}
	if cfg.Port == 0 {
		cfg.Port = dbms.DefaultPort(cfg.Engine)
	}
	ref := s.AdminCredentialsSecretRef
	sec, err := secret(ctx, kube, ref.Namespace, ref.Name, errGetAdminSecret)
	if err != nil {
		return cfg, err
	}
	for _, k := range []string{KeyUsername, KeyPassword} {
		if len(sec.Data[k]) == 0 {
			return cfg, errors.Errorf(errAdminSecretKey, ref.Namespace, ref.Name, k)
		}
	}
	cfg.User, cfg.Password = string(sec.Data[KeyUsername]), string(sec.Data[KeyPassword])

	t := s.TLS
	if t == nil {
		return cfg, nil
	}
	cfg.TLS = dbms.TLS{Mode: string(t.Mode), ServerName: t.ServerName}
	if r := t.CASecretRef; r != nil {
		sec, err := secret(ctx, kube, r.Namespace, r.Name, errGetCASecret)
		if err != nil {
			return cfg, err
		}
		if cfg.TLS.CA = sec.Data[r.Key]; len(cfg.TLS.CA) == 0 {
			return cfg, errors.Errorf(errCASecretKey, r.Namespace, r.Name, r.Key)
		}
	}
	if r := t.ClientCertSecretRef; r != nil {
		sec, err := secret(ctx, kube, r.Namespace, r.Name, errGetClientSecret)
		if err != nil {
			return cfg, err
		}
		for _, k := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if len(sec.Data[k]) == 0 {
				return cfg, errors.Errorf(errClientSecretKey, r.Namespace, r.Name, k)
			}
		}
		cfg.TLS.Cert, cfg.TLS.Key = sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey]
	}
	return cfg, nil
}

func secret(ctx context.Context, kube client.Reader, namespace, name, msg string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, s)
	return s, errors.Wrapf(err, msg, namespace, name)
}
