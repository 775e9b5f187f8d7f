package virtualmachine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/controller/machineowner"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestLocalOwnership: on the local backend a VirtualMachine never takes
// over or removes a machine directory it did not make. Directories are
// made beside the provider, as someone with a shell would: a machine.json
// without an owner, one with another namespace's, and a plain directory of
// files. Each is refused, and is there with its files after the resource
// is deleted. An import is honoured only through a ClusterProviderConfig,
// and writes the owner into machine.json.
func TestLocalOwnership(t *testing.T) {
	ctx := context.Background()
	env := testenv.Start(t)
	c := env.Client
	base := filepath.Join(testenv.SharedDir(t), "owner-machines")
	t.Cleanup(func() { _ = local.StopAll(context.Background(), base) })
	startManager(t, env, base)

	const ns = "vm-owner"
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	spec := apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal}
	must(t, c.Create(ctx, &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "local"}, Spec: spec}))
	must(t, c.Create(ctx, &apisv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "vm-owner-platform"}, Spec: spec}))

	b := local.New(base, 24000, 24999)
	plant := func(name string, owner ownership.Owner) string {
		t.Helper()
		if _, err := b.Create(ctx, machine.ID{Namespace: ns, Name: name}, machine.Spec{CPU: 1, MemoryMiB: 512, Owner: owner}); err != nil {
			t.Fatal(err)
		}
		dir, err := b.WorkDir(machine.ID{Namespace: ns, Name: name})
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, "data.txt"), []byte("someone's data"), 0o600))
		return dir
	}
	teamB := ownership.Owner{Namespace: "team-b", UID: "0f1e2d3c-0000-4000-8000-0000000000bb"}

	cases := map[string]struct {
		plant       func(name string) string
		wantsImport bool
		want        string
	}{
		"Unmarked":       {plant: func(n string) string { return plant(n, ownership.Owner{}) }, want: "exists and was not made by this provider"},
		"OtherNamespace": {plant: func(n string) string { return plant(n, teamB) }, want: "belongs to another resource (team-b/" + teamB.UID + ")"},
		"PlainDirectory": {plant: func(n string) string {
			dir := filepath.Join(base, ns, n)
			must(t, os.MkdirAll(dir, 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "data.txt"), []byte("someone's data"), 0o600))
			return dir
		}, want: "is not a machine this provider made"},
		"ImportThroughNamespacedConfig": {plant: func(n string) string { return plant(n, ownership.Owner{}) }, wantsImport: true, want: "is honoured only through a ClusterProviderConfig"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			vmName := strings.ToLower(name)
			dir := tc.plant(vmName)
			before := snapshot(t, dir)
			vm := localVM(ns, vmName, apisv1alpha1.ProviderConfigKind, "local")
			if tc.wantsImport {
				vm.SetAnnotations(map[string]string{ownership.ImportAnnotation: "true"})
			}
			must(t, c.Create(ctx, vm))
			got := &v1alpha1.VirtualMachine{}
			wait.For(t, timeout, "refused: "+tc.want, func() (bool, string) {
				if err := c.Get(ctx, client.ObjectKeyFromObject(vm), got); err != nil {
					return false, err.Error()
				}
				s := got.GetCondition(xpv2.TypeSynced)
				return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, tc.want), s.Message
			})
			if got.Status.AtProvider.WorkDir != "" || got.Status.AtProvider.ID != "" {
				t.Errorf("status.atProvider shows the directory it was refused: %+v", got.Status.AtProvider)
			}
			must(t, c.Delete(ctx, got))
			wait.For(t, timeout, "VirtualMachine gone", func() (bool, string) {
				return kerrors.IsNotFound(c.Get(ctx, client.ObjectKeyFromObject(vm), got)), "still there"
			})
			if after := snapshot(t, dir); after != before {
				t.Errorf("%s changed:\nbefore %s\nafter  %s", dir, before, after)
			}
		})
	}

	t.Run("ReplacedWhileManaged", func(t *testing.T) {
		// The resource's machine is Ready, then someone puts another
		// namespace's machine in its place: the resource's delete leaves
		// it, with a Warning event.
		vm := localVM(ns, "replaced", apisv1alpha1.ProviderConfigKind, "local")
		must(t, c.Create(ctx, vm))
		got := &v1alpha1.VirtualMachine{}
		wait.For(t, timeout, "VirtualMachine Ready", func() (bool, string) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(vm), got); err != nil {
				return false, err.Error()
			}
			return got.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue, got.GetCondition(xpv2.TypeSynced).Message
		})
		id := machine.ID{Namespace: ns, Name: "replaced"}
		must(t, b.Mark(ctx, id, teamB))
		dir, err := b.WorkDir(id)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, "data.txt"), []byte("team-b's data"), 0o600))
		before := snapshot(t, dir)
		must(t, c.Delete(ctx, got))
		wait.For(t, timeout, "VirtualMachine gone", func() (bool, string) {
			return kerrors.IsNotFound(c.Get(ctx, client.ObjectKeyFromObject(vm), got)), "still there"
		})
		wait.For(t, timeout, "Warning event naming what was left", func() (bool, string) {
			evs := &corev1.EventList{}
			if err := c.List(ctx, evs, client.InNamespace(ns)); err != nil {
				return false, err.Error()
			}
			var seen []string
			for _, e := range evs.Items {
				if e.InvolvedObject.Name == "replaced" && e.Type == corev1.EventTypeWarning {
					if e.Reason == string(machineowner.ReasonLeftBehind) && strings.Contains(e.Message, `machine "replaced", which stays in the backend`) &&
						strings.Contains(e.Message, "team-b/"+teamB.UID) {
						return true, ""
					}
					seen = append(seen, e.Reason+": "+e.Message)
				}
			}
			return false, strings.Join(seen, " | ")
		})
		if after := snapshot(t, dir); after != before {
			t.Errorf("%s changed:\nbefore %s\nafter  %s", dir, before, after)
		}
	})

	t.Run("ImportThroughClusterConfig", func(t *testing.T) {
		dir := plant("imported", ownership.Owner{})
		vm := localVM(ns, "imported", apisv1alpha1.ClusterProviderConfigKind, "vm-owner-platform")
		vm.SetAnnotations(map[string]string{ownership.ImportAnnotation: "true"})
		must(t, c.Create(ctx, vm))
		wait.For(t, timeout, "imported and marked", func() (bool, string) {
			m, err := b.Observe(ctx, machine.ID{Namespace: ns, Name: "imported"})
			if err != nil || m == nil {
				return false, "no machine"
			}
			return m.Owner != nil && *m.Owner == ownership.Of(vm), fmt.Sprintf("owner %v", m.Owner)
		})
		must(t, c.Delete(ctx, vm))
		wait.For(t, timeout, "the imported machine goes with its resource", func() (bool, string) {
			_, err := os.Stat(dir)
			return os.IsNotExist(err), "dir still there"
		})
	})
}

// localVM is a small machine on the local backend through the named config.
func localVM(ns, name, kind, config string) *v1alpha1.VirtualMachine {
	return &v1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VirtualMachineSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: kind, Name: config}},
			ForProvider:         v1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
		},
	}
}

// snapshot lists a directory's files with their contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(strings.TrimPrefix(p, dir) + ";")
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
			b.WriteString(";")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot of %s: %v", dir, err)
	}
	return b.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
