package tenancy

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestExternalNamesStayInTheirNamespace: a VirtualMachine of team-a whose
// external name reaches into team-b's machine, or above the machines'
// directory, is refused with a condition, never Ready, and deleting it
// removes nothing: team-b's machine and the files around the machines'
// directory are as they were.
func TestExternalNamesStayInTheirNamespace(t *testing.T) {
	env := testenv.Start(t)
	root := t.TempDir()
	machines := filepath.Join(root, "machines")
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{virtualmachine.Setup}, LocalDir: machines})
	ctx := context.Background()
	c := env.Client

	for _, ns := range []string{"team-a", "team-b"} {
		create(t, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		create(t, c, &apisv1alpha1.ProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "local"},
			Spec:       apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal},
		})
	}
	vm := func(ns, name, external string) *computev1alpha1.VirtualMachine {
		v := &computev1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "local"}},
				ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
			},
		}
		if external != "" {
			meta.SetExternalName(v, external)
		}
		return v
	}

	theirs := vm("team-b", "vm", "")
	create(t, c, theirs)
	waitReady(t, c, theirs)
	theirDir := filepath.Join(machines, "team-b", "vm")
	if _, err := os.Stat(filepath.Join(theirDir, "machine.json")); err != nil {
		t.Fatalf("team-b's machine is not where it should be: %v", err)
	}
	precious := filepath.Join(root, "precious")
	if err := os.WriteFile(precious, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ name, object, external string }{
		{"IntoAnotherNamespace", "into-b", "../team-b/vm"},
		{"AboveTheMachines", "to-root", "../../.."},
		{"Parent", "up", ".."},
	} {
		external := tc.external
		t.Run(tc.name, func(t *testing.T) {
			sneaky := vm("team-a", tc.object, external)
			create(t, c, sneaky)
			waitSyncedFalse(t, c, sneaky, "external-name", "cannot name a machine", external)
			if r := sneaky.GetCondition(xpv2.TypeReady); r.Status == corev1.ConditionTrue {
				t.Errorf("a machine named %q is Ready", external)
			}
			if err := c.Delete(ctx, sneaky); err != nil {
				t.Fatal(err)
			}
			wait.For(t, sqlenv.Timeout, sneaky.GetName()+" to be gone", func() (bool, error) {
				err := c.Get(ctx, client.ObjectKeyFromObject(sneaky), sneaky)
				return kerrors.IsNotFound(err), err
			})
		})
	}

	if _, err := os.Stat(filepath.Join(theirDir, "machine.json")); err != nil {
		t.Errorf("team-b's machine was removed: %v", err)
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "keep" {
		t.Errorf("a file beside the machines' directory changed: %q, %v", b, err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(theirs), theirs); err != nil || theirs.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		t.Errorf("team-b's VirtualMachine is not Ready any more: %v %v", err, theirs.GetCondition(xpv2.TypeReady))
	}
	if _, err := os.Stat(filepath.Join(machines, "team-a")); !os.IsNotExist(err) {
		t.Errorf("something was made for team-a: %v", err)
	}
}
