package tenancy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/database"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest/sqlenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestProviderConfigReachesOnlyItsNamespace: team-a writes ProviderConfigs
// that borrow team-b's admin Secret, team-b's SSH key, and send team-a's own
// credentials to a host the platform has not allowed. Each is refused where
// it is used, with a message naming the field, and team-b's server and
// Secrets are as they were.
func TestProviderConfigReachesOnlyItsNamespace(t *testing.T) {
	env := testenv.Start(t)
	srv := pgtest.Start(t)
	machines := t.TempDir()
	env.StartManager(t, testenv.ManagerConfig{
		Setups:   []testenv.Setup{database.Setup, virtualmachine.Setup},
		LocalDir: machines,
	})
	ctx := context.Background()
	c := env.Client

	for _, ns := range []string{"team-a", "team-b"} {
		create(t, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	adminB := map[string][]byte{"username": []byte(srv.User), "password": []byte(srv.Password)}
	create(t, c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "admin"}, Data: adminB})
	create(t, c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "ssh"}, Data: map[string][]byte{"id": []byte("team-b's key")}})
	create(t, c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "admin"}, Data: map[string][]byte{"username": []byte("a"), "password": []byte("a")}})

	server := func(host, secretNS string) *apisv1alpha1.ExistingServer {
		return &apisv1alpha1.ExistingServer{
			Engine: apisv1alpha1.ServerEnginePostgreSQL, Host: host, Port: int32(srv.Port),
			AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: secretNS, Name: "admin"},
			TLS:                       &apisv1alpha1.ServerTLS{Mode: "disable"},
		}
	}
	configs := map[string]apisv1alpha1.ProviderConfigSpec{
		"team-b/own":       {Backend: apisv1alpha1.BackendLocal, Server: server(srv.Host, "team-b")},
		"team-a/borrowed":  {Backend: apisv1alpha1.BackendLocal, Server: server(srv.Host, "team-b")},
		"team-a/elsewhere": {Backend: apisv1alpha1.BackendLocal, Server: server("db.team-b.example", "team-a")},
		"team-a/their-key": {Backend: apisv1alpha1.BackendLocal, SSH: &apisv1alpha1.SSHConfig{
			PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "team-b", Name: "ssh"}, Key: "id"},
		}},
	}
	for nn, spec := range configs {
		ns, name, _ := strings.Cut(nn, "/")
		create(t, c, &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec})
	}

	// team-b's own config works: the control that shows the server and the
	// controllers are fine.
	own := db("team-b", "b-data", "own")
	create(t, c, own)
	waitReady(t, c, own)

	cases := map[string]struct {
		obj  mr
		want []string
	}{
		"AdminSecretOfAnotherNamespace": {
			obj:  db("team-a", "a-borrowed", "borrowed"),
			want: []string{"spec.server.adminCredentialsSecretRef", `namespace "team-b"`, "own namespace team-a"},
		},
		"EndpointNotAllowed": {
			obj:  db("team-a", "a-elsewhere", "elsewhere"),
			want: []string{"spec.server.host", `"db.team-b.example"`, "ClusterProviderConfig"},
		},
		"SSHKeyOfAnotherNamespace": {
			obj: &computev1alpha1.VirtualMachine{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "vm"},
				Spec: computev1alpha1.VirtualMachineSpec{
					ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "their-key"}},
					ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
				},
			},
			want: []string{"spec.ssh.privateKeySecretRef", `namespace "team-b"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			create(t, c, tc.obj)
			msg := waitSyncedFalse(t, c, tc.obj, tc.want...)
			if strings.Contains(msg, srv.User) || strings.Contains(msg, srv.Password) {
				t.Errorf("the message shows team-b's credentials: %q", msg)
			}
		})
	}

	// Nothing was made on team-b's server for team-a, and team-b's
	// database and Secrets are as they were.
	dbs := srv.Databases(t)
	for _, n := range []string{"a-borrowed", "a-elsewhere"} {
		if slices.Contains(dbs, n) {
			t.Errorf("database %q was made on team-b's server through team-a's config", n)
		}
	}
	if !slices.Contains(dbs, "b-data") {
		t.Errorf("team-b's database is gone: %v", dbs)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(own), own); err != nil || own.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		t.Errorf("team-b's Database is not Ready any more: %v %v", err, own.GetCondition(xpv2.TypeReady))
	}
	got := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "team-b", Name: "admin"}, got); err != nil || string(got.Data["password"]) != srv.Password {
		t.Errorf("team-b's admin Secret changed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(machines, "team-a")); !os.IsNotExist(err) {
		t.Errorf("team-a's VirtualMachine made a machine with team-b's key (%v)", err)
	}
}

// mr is a managed resource.
type mr interface {
	client.Object
	GetCondition(xpv2.ConditionType) xpv2.Condition
}

func db(ns, name, pc string) *sqlv1alpha1.Database {
	d := &sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	d.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: pc}
	return d
}

func create(t *testing.T, c client.Client, o client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), o); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatalf("cannot create %s %s: %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
	}
}

func waitReady(t *testing.T, c client.Client, o mr) {
	t.Helper()
	wait.For(t, sqlenv.Timeout, o.GetName()+" to be Ready", func() (bool, error) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			return false, err
		}
		r, s := o.GetCondition(xpv2.TypeReady), o.GetCondition(xpv2.TypeSynced)
		return r.Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue, fmt.Errorf("ready %s %s; synced %s %s", r.Status, r.Message, s.Status, s.Message)
	})
}

// waitSyncedFalse waits for Synced=False with a message holding every one of
// want, and returns the message.
func waitSyncedFalse(t *testing.T, c client.Client, o mr, want ...string) string {
	t.Helper()
	var msg string
	wait.For(t, sqlenv.Timeout, fmt.Sprintf("%s to be Synced=False with %q", o.GetName(), want), func() (bool, error) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			return false, err
		}
		s := o.GetCondition(xpv2.TypeSynced)
		msg = s.Message
		if s.Status != corev1.ConditionFalse {
			return false, fmt.Errorf("synced is %q: %s", s.Status, s.Message)
		}
		for _, w := range want {
			if !strings.Contains(s.Message, w) {
				return false, fmt.Errorf("message %q lacks %q", s.Message, w)
			}
		}
		return true, nil
	})
	return msg
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
