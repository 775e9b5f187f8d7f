package virtualmachine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/hostnet"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// runOn dials addr as root with key and runs cmd there, returning its
// standard output and the host key the server showed.
func runOn(t *testing.T, addr string, key []byte, cmd string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, hostKey, err := executor.DialSSH(ctx, executor.Config{Address: addr, User: "root", PrivateKeyPEM: key})
	if err != nil {
		t.Fatalf("cannot reach %s over SSH: %v", addr, err)
	}
	defer e.Close()
	res, err := e.Run(ctx, cmd, nil)
	if err != nil {
		t.Fatalf("%s on %s: %v", cmd, addr, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%s on %s exited %d: %s", cmd, addr, res.ExitCode, res.Stderr)
	}
	return res.Stdout, hostKey
}

// inetAddresses returns the IPv4 addresses `ip -o -4 addr` printed.
func inetAddresses(out string) []string {
	var addrs []string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		for i := range f {
			if f[i] == "inet" && i+1 < len(f) {
				addrs = append(addrs, f[i+1])
			}
		}
	}
	return addrs
}

// TestVirtualMachineOwnNetwork checks the local backend's hosts with a
// network of their own (spec.local.network) through the controller: a
// machine becomes Ready at its own address, where a real sshd lets in the
// config's key and a command sees only that host's network; power off
// stops every process of the host, power on brings sshd back with the same
// host key, an sshd that ends is started again, and delete leaves no
// namespace, link or process behind.
func TestVirtualMachineOwnNetwork(t *testing.T) {
	ctx := context.Background()
	env := testenv.Start(t)
	c := env.Client
	base := testenv.SharedDir(t)
	t.Cleanup(func() { _ = local.StopAll(context.Background(), base) })
	startManager(t, env, filepath.Join(base, "machines"))
	// The test network gives a subnet no one else uses, locked for the
	// test, and its bridge, which the backend finds made and keeps; it is
	// removed when the test ends.
	n := testhost.NewNetwork(t)
	t.Cleanup(func() {
		if err := local.RemoveHosts(context.Background(), filepath.Join(base, "machines")); err != nil {
			t.Errorf("cannot remove the machines' hosts: %v", err)
		}
	})

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vm-net"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	keyPEM := sshtest.GenerateKeyPEM(t)
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "ssh-key"},
		Data:       map[string][]byte{"id_ed25519": keyPEM},
	}); err != nil {
		t.Fatal(err)
	}
	network := &apisv1alpha1.LocalNetwork{CIDR: n.Subnet().String(), Bridge: n.Bridge()}
	sshCfg := &apisv1alpha1.SSHConfig{User: "root", Sudo: ptr.To(false), PrivateKeySecretRef: xpv2.SecretKeySelector{
		SecretReference: xpv2.SecretReference{Namespace: ns.Name, Name: "ssh-key"}, Key: "id_ed25519"}}

	// Only a ClusterProviderConfig may change the provider's host's
	// network, and only with the ssh block whose key the hosts let in.
	refused := map[string]client.Object{
		"namespaced": &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "hosts"},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Local: &apisv1alpha1.LocalBackendConfig{Network: network}, SSH: sshCfg}},
		"no-ssh": &apisv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "hosts-no-ssh"},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Local: &apisv1alpha1.LocalBackendConfig{Network: network}}},
	}
	for name, o := range refused {
		if err := c.Create(ctx, o); !kerrors.IsInvalid(err) {
			t.Errorf("%s: a config with spec.local.network: want Invalid, got %v", name, err)
		}
	}

	pc := &apisv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "vm-net-hosts"},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, SSH: sshCfg,
			Local: &apisv1alpha1.LocalBackendConfig{PortRangeStart: 26000, PortRangeEnd: 26999, Network: network}}}
	if err := c.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), pc) })

	newVM := func(name string) *v1alpha1.VirtualMachine {
		vm := &v1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name},
			Spec: v1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: pc.Name}},
				ForProvider:         v1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512, Local: &v1alpha1.LocalMachineParameters{Ports: 1}},
			},
		}
		if err := c.Create(ctx, vm); err != nil {
			t.Fatal(err)
		}
		return vm
	}
	waitStatus := func(vm *v1alpha1.VirtualMachine, what string, cond func(*v1alpha1.VirtualMachine) bool) *v1alpha1.VirtualMachine {
		t.Helper()
		got := &v1alpha1.VirtualMachine{}
		wait.For(t, timeout, vm.Name+" "+what, func() (bool, string) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(vm), got); err != nil {
				return false, err.Error()
			}
			return cond(got), got.GetCondition(xpv2.TypeSynced).Message + " " + got.GetCondition(xpv2.TypeReady).Message
		})
		return got
	}
	ready := func(vm *v1alpha1.VirtualMachine) bool {
		return vm.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
	}

	vm1, vm2 := newVM("host1"), newVM("host2")
	got1, got2 := waitStatus(vm1, "Ready", ready), waitStatus(vm2, "Ready", ready)
	addr1, addr2 := got1.Status.AtProvider.Address, got2.Status.AtProvider.Address
	for _, a := range []string{addr1, addr2} {
		ip, err := netip.ParseAddr(a)
		if err != nil || !n.Subnet().Contains(ip) || ip == n.Gateway() {
			t.Fatalf("status.atProvider.address %q: want a host address of %s other than the gateway %s", a, n.Subnet(), n.Gateway())
		}
	}
	if addr1 == addr2 {
		t.Fatalf("both machines have the address %s", addr1)
	}
	dir1 := got1.Status.AtProvider.WorkDir
	sshd := hostnet.SSHD{Dir: filepath.Join(dir1, "ssh")}
	b, err := os.ReadFile(filepath.Join(dir1, "machine.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Address string `json:"address"`
		Netns   string `json:"netns"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	netns := rec.Netns
	if netns == "" || len(netns) > hostnet.MaxLinkName || rec.Address != addr1 {
		t.Fatalf("machine.json records no namespace of at most %d characters or not the address %s:\n%s", hostnet.MaxLinkName, addr1, b)
	}

	// The config's key logs in as root at the machine's address, port 22,
	// and the command there sees its loopback and its own address only.
	sshAddr := addr1 + ":22"
	out, hostKey := runOn(t, sshAddr, keyPEM, "ip -o -4 addr")
	if got, want := inetAddresses(out), []string{"127.0.0.1/8", addr1 + "/" + strconv.Itoa(n.Subnet().Bits())}; !slices.Equal(got, want) {
		t.Errorf("ip -o -4 addr on host1: got addresses %v, want %v:\n%s", got, want, out)
	}

	// Power off stops every process of the host, and its address stays.
	pids, err := hostnet.NamespacePIDs(ctx, netns)
	if err != nil || len(pids) == 0 {
		t.Fatalf("host1 runs %v (%v); want at least its sshd", pids, err)
	}
	update(t, c, client.ObjectKeyFromObject(vm1), &v1alpha1.VirtualMachine{}, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.PowerState = v1alpha1.PowerOff })
	waitStatus(vm1, "powered off", func(vm *v1alpha1.VirtualMachine) bool { return vm.Status.AtProvider.PowerState == v1alpha1.PowerOff })
	wait.For(t, timeout, "host1 runs nothing", func() (bool, string) {
		left, err := hostnet.NamespacePIDs(ctx, netns)
		if err != nil {
			return false, err.Error()
		}
		return len(left) == 0, fmt.Sprintf("processes %v", left)
	})
	for _, pid := range pids {
		if hostnet.InNamespace(pid, netns) {
			t.Errorf("process %d of host1 still runs after power off", pid)
		}
	}

	// Power on brings sshd back, with the host key the host had.
	update(t, c, client.ObjectKeyFromObject(vm1), &v1alpha1.VirtualMachine{}, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.PowerState = v1alpha1.PowerOn })
	got1 = waitStatus(vm1, "powered on", func(vm *v1alpha1.VirtualMachine) bool {
		return vm.Status.AtProvider.PowerState == v1alpha1.PowerOn && ready(vm)
	})
	if got1.Status.AtProvider.Address != addr1 {
		t.Errorf("after power on, the address is %s; want %s as before", got1.Status.AtProvider.Address, addr1)
	}
	if _, again := runOn(t, sshAddr, keyPEM, "true"); again != hostKey {
		t.Errorf("after power on, the host key is %q; want %q as before", again, hostKey)
	}

	// An sshd that ends, as after a restart of the provider's host, is
	// started again when the machine is observed.
	pid, ok := sshd.Running(netns)
	if !ok {
		t.Fatal("host1's sshd PID file names no process running in its namespace")
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "host1's sshd started again", func() (bool, string) {
		again, ok := sshd.Running(netns)
		return ok && again != pid, "not running"
	})
	runOn(t, sshAddr, keyPEM, "true")

	// Delete leaves no namespace, link, process or directory. A process is
	// its PID and start time, since the kernel reuses PIDs.
	pids, err = hostnet.NamespacePIDs(ctx, netns)
	if err != nil {
		t.Fatal(err)
	}
	started := map[int]string{}
	for _, pid := range pids {
		if st, ok := hostnet.ReadStat(pid); ok {
			started[pid] = st.Start
		}
	}
	if err := c.Delete(ctx, vm1); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "host1 gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(vm1), &v1alpha1.VirtualMachine{})
		return kerrors.IsNotFound(err), "still there"
	})
	for _, path := range []string{filepath.Join("/run/netns", netns), filepath.Join("/sys/class/net", netns), dir1} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("after delete, %s is left (%v)", path, err)
		}
	}
	for pid, start := range started {
		if st, ok := hostnet.ReadStat(pid); ok && st.Start == start {
			t.Errorf("after delete, process %d of host1 is left (state %s)", pid, st.State)
		}
	}

	// The other machine is untouched and is removed too.
	runOn(t, addr2+":22", keyPEM, "true")
	if err := c.Delete(ctx, vm2); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "host2 gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(vm2), &v1alpha1.VirtualMachine{})
		return kerrors.IsNotFound(err), "still there"
	})
}
