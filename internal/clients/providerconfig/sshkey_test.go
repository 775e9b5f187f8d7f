package providerconfig

import (
	"context"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

func TestSSHKey(t *testing.T) {
	notFound := kerrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "ssh")
	ssh := &apisv1alpha1.SSHConfig{PrivateKeySecretRef: xpv2.SecretKeySelector{
		SecretReference: xpv2.SecretReference{Namespace: "ns", Name: "ssh"}, Key: "id_ed25519",
	}}
	secret := func(data map[string][]byte) client.Reader {
		return &test.MockClient{MockGet: func(_ context.Context, key client.ObjectKey, obj client.Object) error {
			if key.Namespace != "ns" || key.Name != "ssh" {
				return notFound
			}
			obj.(*corev1.Secret).Data = data
			return nil
		}}
	}

	type want struct {
		key []byte
		err error
	}
	cases := map[string]struct {
		reason string
		kube   client.Reader
		want   want
	}{
		"NoSecret": {
			reason: "A Secret that cannot be read is named with its key.",
			kube:   &test.MockClient{MockGet: test.NewMockGetFn(notFound)},
			want:   want{err: errors.Wrapf(notFound, errSSHKey, "ns", "ssh", "id_ed25519")},
		},
		"NoKey": {
			reason: "A Secret without the key, or with it empty, says so in the same words.",
			kube:   secret(map[string][]byte{"other": []byte("x"), "id_ed25519": nil}),
			want:   want{err: errors.Wrapf(errors.New(errSSHKeyData), errSSHKey, "ns", "ssh", "id_ed25519")},
		},
		"Key": {
			reason: "The key's bytes are returned as they are.",
			kube:   secret(map[string][]byte{"id_ed25519": []byte("PRIVATE KEY")}),
			want:   want{key: []byte("PRIVATE KEY")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			key, err := SSHKey(context.Background(), tc.kube, ssh)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nSSHKey(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.key, key); diff != "" {
				t.Errorf("%s\nSSHKey(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
