package benchinstance

import (
	"context"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

// sshEnginesDir is where the replicated engine keeps an instance's
// directory below the play's mount point on a machine reached over SSH
// (the controller's sshEnginesDir).
const sshEnginesDir = "dbaas"

// overHosts returns the rig with a provider config called name whose
// machines are test hosts (internal/testing/testhost): each VirtualMachine
// the local backend makes is a network namespace on a bridge the benchmark
// creates, with its own address and a real OpenSSH server, and the
// provider configures it over SSH, logging in as root through sudo -n as
// on a VM, the way other backends' machines are. The hosts are removed by
// name when the benchmark ends, also when it fails.
func (r *rig) overHosts(b *testing.B, name string) *rig {
	b.Helper()
	ctx := context.Background()
	n := testhost.NewNetwork(b)
	b.Cleanup(func() {
		if err := local.RemoveHosts(context.Background(), r.base); err != nil {
			b.Errorf("cannot remove the machines' hosts: %v", err)
		}
	})
	// The key lives in a namespace of the config's own name, so that a
	// benchmark can make several such configs.
	ns := name
	r.namespace(b, ns)
	if err := r.c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "key"}, Data: map[string][]byte{"id": sshtest.GenerateKeyPEM(b)}}); err != nil {
		b.Fatal(err)
	}
	if err := r.c.Create(ctx, &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
			Local: &apisv1alpha1.LocalBackendConfig{BaseDir: r.base, PortRangeStart: portRangeStart, PortRangeEnd: portRangeEnd,
				Network: &apisv1alpha1.LocalNetwork{CIDR: n.Subnet().String(), Bridge: n.Bridge()}},
			SSH: &apisv1alpha1.SSHConfig{User: "root", Packages: apisv1alpha1.PackagesPreinstalled,
				PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "key"}, Key: "id"}}},
	}); err != nil {
		b.Fatal(err)
	}
	c := *r
	c.pc, c.ssh, c.hosts = name, true, true
	return &c
}

// hostDataDir is the data directory of the instance's member on a test
// host whose own directory is workDir: the replicated engine's directory
// below the play's mount point, rooted at the host's directory.
func hostDataDir(workDir, ns, instance string) string {
	return filepath.Join(workDir, pgvm.DefaultMountPoint, sshEnginesDir, ns+"-"+instance, "data")
}
