package backend

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/cloudinit"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
)

func TestHostLogin(t *testing.T) {
	key := sshtest.GenerateKeyPEM(t)
	pub, err := cloudinit.AuthorizedKey(key)
	if err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithObjects(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "ssh"}, Data: map[string][]byte{"id": key},
	}).Build()
	ref := func(name string) xpv2.SecretKeySelector {
		return xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "ops", Name: name}, Key: "id"}
	}
	cases := map[string]struct {
		reason   string
		ssh      *apisv1alpha1.SSHConfig
		wantKey  string
		wantPort int32
		wantErr  string
	}{
		"Root": {
			reason:   "Root logs in with the public half of the config's key, on the config's port.",
			ssh:      &apisv1alpha1.SSHConfig{User: "root", Port: 2222, PrivateKeySecretRef: ref("ssh")},
			wantKey:  pub,
			wantPort: 2222,
		},
		"NoSSH": {
			reason:  "The hosts are reached over SSH: without the ssh block there is no key to let in.",
			wantErr: "needs spec.ssh",
		},
		"SudoUser": {
			reason:  "A login user that is not root is not built: the error says what to set.",
			ssh:     &apisv1alpha1.SSHConfig{User: "dbaas", PrivateKeySecretRef: ref("ssh")},
			wantErr: `let in root only: set spec.ssh.user to root and spec.ssh.sudo to false, not "dbaas"`,
		},
		"NoSecret": {
			reason:  "A missing Secret is named.",
			ssh:     &apisv1alpha1.SSHConfig{User: "root", PrivateKeySecretRef: ref("absent")},
			wantErr: "cannot read the SSH private key from Secret ops/absent key id",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pc := &apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, SSH: tc.ssh}
			k, port, err := hostLogin(context.Background(), kube, pc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%s\nhostLogin: got error %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil || k != tc.wantKey || port != tc.wantPort {
				t.Errorf("%s\nhostLogin: got %q, %d, %v; want %q, %d", tc.reason, k, port, err, tc.wantKey, tc.wantPort)
			}
		})
	}
}
