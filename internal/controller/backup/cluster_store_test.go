package backup_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// clusterStore makes the ClusterBackupStore name on store, below the
// prefix /name, with its S3 keys and CA in a Secret of the namespace
// name: the platform's, which no tenant's BackupStore can name. It
// returns the store's name.
func clusterStore(t *testing.T, env *testenv.Env, store *s3test.Server, name string) string {
	t.Helper()
	ref := xpv2.SecretReference{Namespace: name, Name: "platform-s3"}
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name},
			Data: map[string][]byte{
				backupstore.KeyAccessKeyID: []byte(store.AccessKey), backupstore.KeySecretAccessKey: []byte(store.SecretKey), "ca.crt": store.CA,
			},
		},
		&v1alpha1.ClusterBackupStore{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: v1alpha1.ClusterBackupStoreSpec{ForProvider: v1alpha1.ClusterBackupStoreParameters{
				S3: &v1alpha1.ClusterS3Store{
					S3Location: v1alpha1.S3Location{
						Endpoint: store.Endpoint, Port: int32(store.Port), Bucket: store.Bucket, Region: store.Region,
						URIStyle: v1alpha1.URIStylePath, Prefix: "/" + name,
					},
					CASecretRef:          &xpv2.SecretKeySelector{SecretReference: ref, Key: "ca.crt"},
					CredentialsSecretRef: ref,
				},
			}},
		},
	} {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

// backupsThroughClusterStore checks an instance that archives into the
// ClusterBackupStore store, with a retention of one full backup of its
// own (the store has none): the store is Ready and lists the instance's
// stanza, two full Backups complete, and after the second the instance's
// retention has expired the first from its stanza.
func backupsThroughClusterStore(t *testing.T, env *testenv.Env, di *enginev1alpha1.DatabaseInstance, stanza *pgbackrest.Stanza, store string) {
	t.Helper()
	ctx := context.Background()
	want := di.Namespace + "." + di.Name
	cs := &v1alpha1.ClusterBackupStore{}
	wait.For(t, timeout, "the ClusterBackupStore Ready, listing the stanza "+want, func() (bool, string) {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: store}, cs); err != nil {
			return false, err.Error()
		}
		r := cs.GetCondition(xpv2.TypeReady)
		return r.Status == corev1.ConditionTrue && strings.Contains(strings.Join(cs.Status.AtProvider.Stanzas, ","), want),
			fmt.Sprintf("Ready %s %s; stanzas %v", r.Status, r.Message, cs.Status.AtProvider.Stanzas)
	})
	first := completed(t, env, newBackup(t, env, di.Namespace, di.Name+"-full-1", di.Name, v1alpha1.BackupFull))
	second := completed(t, env, newBackup(t, env, di.Namespace, di.Name+"-full-2", di.Name, v1alpha1.BackupFull))
	info, err := stanza.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, b := range info.Backups {
		labels = append(labels, b.Label)
	}
	if len(labels) != 1 || labels[0] != second.Status.AtProvider.Label {
		t.Errorf("the instance's retention keeps 1 full backup: want only %s (the second) in its stanza, got %v (the first was %s)",
			second.Status.AtProvider.Label, labels, first.Status.AtProvider.Label)
	}
}
