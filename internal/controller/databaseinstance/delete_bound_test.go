package databaseinstance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"

	ctrl "sigs.k8s.io/controller-runtime"
)

// giveUpAfter is the delete bound of these tests: short, so that a delete
// that must give up does within the tests' deadline.
const giveUpAfter = 3 * time.Second

func startBoundedManager(t *testing.T, env *testenv.Env) {
	t.Helper()
	withHooks := func(mgr ctrl.Manager, o options.Options) error { return setup(mgr, o, hooks{}) }
	env.StartManager(t, testenv.ManagerConfig{
		Setups:            []testenv.Setup{config.Setup, virtualmachine.Setup, withHooks},
		Log:               logr.Discard(),
		PollInterval:      2 * time.Second,
		GiveUpDeleteAfter: giveUpAfter,
	})
}

// waitDeleted deletes the instance and waits until it is gone.
func waitDeleted(t *testing.T, c client.Client, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	if err := c.Delete(context.Background(), di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "DatabaseInstance "+di.Name+" deleted", func() (bool, string) {
		err := c.Get(context.Background(), client.ObjectKeyFromObject(di), &v1alpha1.DatabaseInstance{})
		if kerrors.IsNotFound(err) {
			return true, ""
		}
		return false, "still there: " + errString(err)
	})
}

// abandonedEvent returns the message of the instance's Warning event that
// says its delete gave up, or "".
func abandonedEvent(t *testing.T, c client.Client, ns, name string) string {
	t.Helper()
	events := &corev1.EventList{}
	if err := c.List(context.Background(), events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.InvolvedObject.Kind == v1alpha1.DatabaseInstanceKind && e.InvolvedObject.Name == name &&
			e.Type == corev1.EventTypeWarning && e.Reason == deletion.ReasonAbandoned {
			return e.Message
		}
	}
	return ""
}

// TestDeleteUnreachableGivesUp deletes instances whose machine cannot be
// reached: one whose SSH host key changed after it was made, one whose SSH
// service does not answer at all (a powered-off machine looks the same).
// Each is deleted once the bound has passed, with a Warning event that
// names what was left behind; the data left behind is really there.
func TestDeleteUnreachableGivesUp(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newSSHFixture(t, env, "di-giveup")
	startBoundedManager(t, env)

	vm := f.machine(t, "vm", pcGood)
	di := f.sshInstance(t, "pg", "vm", pcGood)
	f.waitReady(t, di)
	data := sshDataDir(vm, f.ns, "pg")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		t.Fatalf("the data directory is not where the member code puts it: %v", err)
	}

	// Another host key: the provider must not log in, and the delete
	// must not wait forever for it.
	f.srv.RotateHostKey(t)
	waitDeleted(t, c, di)
	msg := abandonedEvent(t, c, f.ns, "pg")
	for _, want := range []string{"gave up deleting after " + giveUpAfter.String(), "VirtualMachine vm", "data directory below " + vm.Status.AtProvider.WorkDir, "host key"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Warning event %s: want %q in %q", deletion.ReasonAbandoned, want, msg)
		}
	}
	// What the event says is left behind is there.
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		t.Errorf("the data directory named as left behind: %v", err)
	}

	// A machine whose SSH service stops answering after the instance was
	// made, as a powered-off one: its provider config now points at a
	// port nothing listens on.
	vm2 := f.machine(t, "vm-2", pcGood)
	di2 := f.sshInstance(t, "pg-2", "vm-2", pcGood)
	f.waitReady(t, di2)
	pc := &apisv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: f.ns + "-" + pcGood}}
	port := int32(closedPort(t))
	if err := testenv.Mutate(ctx, c, pc, func(pc *apisv1alpha1.ClusterProviderConfig) { pc.Spec.SSH.Port = port }); err != nil {
		t.Fatal(err)
	}
	waitDeleted(t, c, di2)
	msg = abandonedEvent(t, c, f.ns, "pg-2")
	for _, want := range []string{"VirtualMachine vm-2", "data directory below " + vm2.Status.AtProvider.WorkDir, "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Warning event %s for pg-2: want %q in %q", deletion.ReasonAbandoned, want, msg)
		}
	}
}

// TestDeleteDoesNotWaitForeverOnDependents deletes an instance while a
// Database that lives on it stays: past the bound the instance goes on,
// removes its server and says which dependents it stopped waiting for.
func TestDeleteDoesNotWaitForeverOnDependents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-dependents")
	startBoundedManager(t, env)

	di := f.instance("pg", 20)
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	dir := filepath.Join(f.machineDir(t), "postgresql", "pg")
	// No Database controller runs here: the Database never goes.
	db := &sqlv1alpha1.Database{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "app"},
		Spec: sqlv1alpha1.DatabaseSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: pcRef(f.ns)},
			ForProvider:         sqlv1alpha1.DatabaseParameters{InstanceReference: sqlv1alpha1.InstanceReference{Instance: "pg"}},
		},
	}
	if err := c.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitDeleted(t, c, di)
	if msg := abandonedEvent(t, c, f.ns, "pg"); !strings.Contains(msg, "Database/app") {
		t.Errorf("Warning event %s: want it to name Database/app, got %q", deletion.ReasonAbandoned, msg)
	}
	// The instance was reachable: its server and data are removed.
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the instance's directory: want removed, stat says %v", err)
	}
	// The Database is untouched.
	if err := c.Get(ctx, client.ObjectKeyFromObject(db), db); err != nil {
		t.Errorf("the Database: %v", err)
	}
}
