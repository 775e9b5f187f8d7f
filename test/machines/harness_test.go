package machines

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

const (
	timeout = 90 * time.Second
	// credentialsSecret holds a rig's credentials in its namespace.
	credentialsSecret = "backend-credentials"
	pcName            = "backend"
)

// setUp makes the rig's namespace, credentials Secret and ProviderConfig.
func setUp(t *testing.T, c client.Client, rig machinetest.Rig, ns string) {
	t.Helper()
	ctx := context.Background()
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	spec := rig.ProviderConfig()
	if creds := rig.Credentials(); creds != nil {
		must(t, c.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: credentialsSecret},
			Data:       map[string][]byte{"credentials": creds},
		}))
		spec.Credentials = &apisv1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: ns, Name: credentialsSecret}, Key: "credentials",
			}},
		}
	}
	must(t, c.Create(ctx, &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pcName}, Spec: spec}))
}

// newVM is a small machine on the rig's image.
func newVM(r rig, ns, name string) *v1alpha1.VirtualMachine {
	return &v1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VirtualMachineSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: pcName}},
			ForProvider: v1alpha1.VirtualMachineParameters{
				CPU: 2, MemoryMiB: 4096, Image: r.rig.Image(), Network: r.network, Disks: []v1alpha1.Disk{{Name: "data", SizeGiB: 10}},
				SSHPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbaas test", UserData: "#cloud-config\n",
				Tags: map[string]string{"team": "dbaas"},
			},
		},
	}
}

// waitReady waits for Ready=True and returns the latest object.
func waitReady(t *testing.T, c client.Client, vm *v1alpha1.VirtualMachine) *v1alpha1.VirtualMachine {
	t.Helper()
	got := &v1alpha1.VirtualMachine{}
	wait.For(t, timeout, vm.Name+" Ready", func() (bool, string) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(vm), got); err != nil {
			return false, err.Error()
		}
		r, s := got.GetCondition(xpv2.TypeReady), got.GetCondition(xpv2.TypeSynced)
		return r.Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue, conditions(got)
	})
	return got
}

// conditions is what a failed wait says of the resource: its Ready and
// Synced conditions with their messages.
func conditions(vm *v1alpha1.VirtualMachine) string {
	r, s := vm.GetCondition(xpv2.TypeReady), vm.GetCondition(xpv2.TypeSynced)
	return fmt.Sprintf("ready %s %q, synced %s %q", r.Status, r.Message, s.Status, s.Message)
}

// resourceConditions reads the resource again for conditions.
func resourceConditions(c client.Client, vm *v1alpha1.VirtualMachine) string {
	got := &v1alpha1.VirtualMachine{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(vm), got); err != nil {
		return "cannot read the resource: " + err.Error()
	}
	return conditions(got)
}

// waitSyncedFalse waits for a Synced=False message containing want.
func waitSyncedFalse(t *testing.T, c client.Client, vm *v1alpha1.VirtualMachine, want string) string {
	t.Helper()
	got := &v1alpha1.VirtualMachine{}
	var msg string
	wait.For(t, timeout, vm.Name+" Synced=False: "+want, func() (bool, string) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(vm), got); err != nil {
			return false, err.Error()
		}
		s := got.GetCondition(xpv2.TypeSynced)
		msg = s.Message
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, want), s.Message
	})
	return msg
}

// waitGone waits until the object is gone from the API server.
func waitGone(t *testing.T, c client.Client, o client.Object) {
	t.Helper()
	wait.For(t, timeout, o.GetName()+" gone", func() (bool, string) {
		err := c.Get(context.Background(), client.ObjectKeyFromObject(o), o)
		return kerrors.IsNotFound(err), "still there"
	})
}

// warned waits for a Warning event on the object whose message contains
// want: the managed reconciler records every failed call as one, so a
// condition that flips back quickly is still seen.
func warned(t *testing.T, c client.Client, o client.Object, want string) {
	t.Helper()
	wait.For(t, timeout, o.GetName()+" warned: "+want, func() (bool, string) {
		evs := &corev1.EventList{}
		if err := c.List(context.Background(), evs, client.InNamespace(o.GetNamespace())); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range evs.Items {
			if e.InvolvedObject.Name == o.GetName() && e.Type == corev1.EventTypeWarning {
				if strings.Contains(e.Message, want) {
					return true, ""
				}
				seen = append(seen, e.Message)
			}
		}
		return false, strings.Join(seen, " | ")
	})
}

// update applies mod to the latest vm, again when the controller wrote in
// between.
func update(t *testing.T, c client.Client, vm *v1alpha1.VirtualMachine, mod func(*v1alpha1.VirtualMachine)) {
	t.Helper()
	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(vm), vm); err != nil {
			return err
		}
		mod(vm)
		return c.Update(context.Background(), vm)
	}))
}

// count is how many machines named name the rig's backend holds.
func count(t *testing.T, rig machinetest.Rig, name string) int {
	t.Helper()
	n, err := rig.Machines(name)
	must(t, err)
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
