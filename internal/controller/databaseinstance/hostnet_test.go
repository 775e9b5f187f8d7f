package databaseinstance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/hostnet"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestPlayOnHostWithOwnNetwork runs a single PostgreSQL through the play
// on a local machine that is a host with a network of its own
// (spec.local.network): the provider reaches it over the real OpenSSH
// server inside the host's namespace, and the server answers at the host's
// address, which is the instance's endpoint; powered off and on, the
// instance comes back with its data.
func TestPlayOnHostWithOwnNetwork(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	const ns = "di-hostnet"
	base := machinesBase(t, env, ns)
	start, end := portWindow(t)
	n := testhost.NewNetwork(t)
	t.Cleanup(func() {
		if err := local.RemoveHosts(context.Background(), base); err != nil {
			t.Errorf("cannot remove the machines' hosts: %v", err)
		}
	})
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ssh-key"},
		Data: map[string][]byte{"id": sshtest.GenerateKeyPEM(t)}}); err != nil {
		t.Fatal(err)
	}
	// The hosts let in root, who needs no sudo.
	no := false
	if err := c.Create(ctx, &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-hosts"},
		Spec: apisv1alpha1.ProviderConfigSpec{
			Backend: apisv1alpha1.BackendLocal,
			Local: &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: start, PortRangeEnd: end,
				Network: &apisv1alpha1.LocalNetwork{CIDR: n.Subnet().String(), Bridge: n.Bridge()}},
			SSH: &apisv1alpha1.SSHConfig{User: "root", Sudo: &no,
				PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "ssh-key"}, Key: "id"}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	f := &sshFixture{fixture: &fixture{env: env, ns: ns, base: base}}
	startSSHManager(t, env)

	vm := f.machine(t, "vm", "hosts")
	addr := vm.Status.AtProvider.Address
	if addr == "127.0.0.1" || addr == "" {
		t.Fatalf("the machine's address is %q; want its own on %s", addr, n.Subnet())
	}
	di := f.sshInstance(t, "pg", "vm", "hosts")
	f.waitReady(t, di)
	if ap := di.Status.AtProvider; ap.Endpoint != addr || ap.SSHHostKeys["vm"] == "" {
		t.Errorf("status.atProvider: want endpoint %s and a pinned host key, got %+v", addr, ap)
	}

	// The server answers at the host's address: the connection secret's
	// endpoint, over the bridge.
	conn := f.connect(t, di)
	var server string
	if err := conn.QueryRow(ctx, "SELECT host(inet_server_addr())").Scan(&server); err != nil {
		t.Fatal(err)
	}
	if server != addr {
		t.Errorf("the server answered on %s; want the host's address %s", server, addr)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)

	// Power off stops the server and every other process of the host;
	// after power on the instance is Ready again with its data.
	netns := hostNamespace(t, vm.Status.AtProvider.WorkDir)
	setPower(t, c, vm, computev1alpha1.PowerOff)
	wait.For(t, timeout, "the host runs nothing", func() (bool, string) {
		pids, err := hostnet.NamespacePIDs(ctx, netns)
		if err != nil {
			return false, err.Error()
		}
		return len(pids) == 0, fmt.Sprintf("processes %v", pids)
	})
	setPower(t, c, vm, computev1alpha1.PowerOn)
	wait.For(t, timeout, "the instance answers again after power on", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		if di.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
			return false, "Ready: " + di.GetCondition(xpv2.TypeSynced).Message
		}
		conn, err := f.tryConnect(di)
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 1 {
			return false, fmt.Sprintf("the row written before power off: %d, %v", n, err)
		}
		return true, ""
	})

	// Deleting the instance and then the machine leaves nothing running.
	if err := c.Delete(ctx, di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "DatabaseInstance gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(di), di)
		return kerrors.IsNotFound(err), "still there"
	})
	if err := c.Delete(ctx, vm); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "VirtualMachine gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(vm), vm)
		return kerrors.IsNotFound(err), "still there"
	})
}

// hostNamespace is the network namespace machine.json in dir records.
func hostNamespace(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "machine.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Netns string `json:"netns"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.Netns == "" {
		t.Fatalf("machine.json records no namespace (%v):\n%s", err, b)
	}
	return rec.Netns
}
