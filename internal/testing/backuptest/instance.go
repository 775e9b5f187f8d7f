package backuptest

import (
	"context"
	"fmt"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// ReadyAndArchiving waits, up to timeout, for the instance ns/name to be
// Ready with its WAL archiving into its store, and returns it.
func ReadyAndArchiving(t *testing.T, env *testenv.Env, timeout time.Duration, ns, name string) *enginev1alpha1.DatabaseInstance {
	t.Helper()
	di := &enginev1alpha1.DatabaseInstance{}
	wait.For(t, timeout, "the instance Ready and archiving", func() (bool, string) {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, di); err != nil {
			return false, err.Error()
		}
		r, a := di.GetCondition(xpv2.TypeReady), di.GetCondition(enginev1alpha1.TypeWALArchiving)
		return r.Status == corev1.ConditionTrue && a.Status == corev1.ConditionTrue,
			fmt.Sprintf("Ready %s %s; WALArchiving %s %s; Synced %s", r.Status, r.Message, a.Status, a.Message, di.GetCondition(xpv2.TypeSynced).Message)
	})
	return di
}

// PrimaryStanza is the instance's stanza as pgBackRest on its primary
// sees it, reached the way the Backup controller reaches it, with the
// instance's CA to connect to the server.
func PrimaryStanza(t *testing.T, env *testenv.Env, di *enginev1alpha1.DatabaseInstance) *pgbackrest.Stanza {
	t.Helper()
	ms, closeFn, err := databaseinstance.OpenMembers(context.Background(), env.Client, options.Options{}, di)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	ca := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: di.Namespace, Name: pki.SecretName(di.Name)}, ca); err != nil {
		t.Fatal(err)
	}
	ms[0].Instance.TLS = &postgresql.TLS{CA: ca.Data[pki.KeyCACert]}
	s, err := backupstore.Stanza(di.Namespace, di.Name)
	if err != nil {
		t.Fatal(err)
	}
	return pgbackrest.New(ms[0].Instance, s, pgbackrest.Repo{})
}
