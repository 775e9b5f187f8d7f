package providerconfig

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

const (
	errSSHKey     = "cannot read the SSH private key from Secret %s/%s key %s"
	errSSHKeyData = "the key is missing or empty"
)

// SSHKey reads the provider's SSH private key from the Secret the ssh
// block's privateKeySecretRef selects. The VirtualMachine controller
// authorises its public key through cloud-init and the DatabaseInstance
// controller logs in with it: both read it here, so a missing Secret or key
// reads the same wherever it shows.
func SSHKey(ctx context.Context, kube client.Reader, s *apisv1alpha1.SSHConfig) ([]byte, error) {
	ref := s.PrivateKeySecretRef
	sec := &corev1.Secret{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, sec); err != nil {
		return nil, errors.Wrapf(err, errSSHKey, ref.Namespace, ref.Name, ref.Key)
	}
	key := sec.Data[ref.Key]
	if len(key) == 0 {
		return nil, errors.Wrapf(errors.New(errSSHKeyData), errSSHKey, ref.Namespace, ref.Name, ref.Key)
	}
	return key, nil
}
