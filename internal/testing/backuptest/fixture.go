// Package backuptest sets up what the backup tests back up: a namespace
// with a local ProviderConfig, an S3 BackupStore (on an s3test store) with
// its Secret, VirtualMachines and a DatabaseInstance archiving into the
// store; and reaches the instance's stanza as pgBackRest on its primary
// sees it.
package backuptest

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/dbaas-io/dbaas/apis/common"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// Store is the name of the fixture's BackupStore, and of its Secret.
const Store = "s3"

// A Fixture is the instance a backup test backs up, and its store.
type Fixture struct {
	// NS is the namespace of every object, and the name of the
	// ClusterProviderConfig.
	NS string
	// Instance is the DatabaseInstance's name, on a VirtualMachine of
	// each of VMs.
	Instance string
	VMs      []string
	// Prefix is the S3 store's path in the bucket; Passphrase, when set,
	// encrypts it.
	Prefix, Passphrase string
	// Retention, when set, is the store's retention.
	Retention *common.BackupRetention
	// Params change the instance's parameters: a topology, say.
	Params func(*enginev1alpha1.DatabaseInstanceParameters)
}

// Create makes f's objects in env: a namespace, a ClusterProviderConfig of
// the local backend below a directory of its own (its engines and their
// pgBackRest runs stopped when the test ends), the BackupStore Store on store with its Secret,
// the VirtualMachines, and the DatabaseInstance backed up into that store.
// It returns the local backend's directory.
func (f Fixture) Create(t *testing.T, env *testenv.Env, store *s3test.Server) string {
	t.Helper()
	base := testenv.SharedDir(t)
	t.Cleanup(func() {
		if err := local.StopAll(context.Background(), base); err != nil {
			t.Errorf("cannot stop leftover engines: %v", err)
		}
	})
	StopRunsBelow(t, base)
	ns := f.NS
	start := 20000 + 200*rand.Int32N(60) //nolint:gosec // A port block, not a secret.
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&apisv1alpha1.ClusterProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: ns},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
				Local: &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: start, PortRangeEnd: start + 199}},
		},
	}
	objs = append(objs, f.store(store)...)
	refs := make([]xpv2.NamespacedReference, 0, len(f.VMs))
	for _, vm := range f.VMs {
		objs = append(objs, &computev1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: vm},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: PCRef(ns)},
				ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
			},
		})
		refs = append(refs, xpv2.NamespacedReference{Name: vm})
	}
	p := enginev1alpha1.DatabaseInstanceParameters{
		Engine: enginev1alpha1.EnginePostgreSQL, Version: "15", StorageGB: 1,
		VirtualMachineRefs:     refs,
		AdminUser:              "admin",
		AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: f.Instance + "-admin"}, Key: "password"},
		AutoGeneratePassword:   true,
		Backup:                 &enginev1alpha1.InstanceBackupParameters{Store: Store},
	}
	if f.Params != nil {
		f.Params(&p)
	}
	objs = append(objs, &enginev1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: f.Instance},
		Spec: enginev1alpha1.DatabaseInstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: PCRef(ns)},
			ForProvider:         p,
		},
	})
	for _, o := range objs {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// store is the BackupStore Store on the s3test store, and its Secret with
// the store's credentials, CA and the passphrase.
func (f Fixture) store(store *s3test.Server) []client.Object {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.NS, Name: Store},
		Data: map[string][]byte{
			backupstore.KeyAccessKeyID: []byte(store.AccessKey), backupstore.KeySecretAccessKey: []byte(store.SecretKey), "ca.crt": store.CA,
		},
	}
	bs := &v1alpha1.BackupStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.NS, Name: Store},
		Spec: v1alpha1.BackupStoreSpec{ForProvider: v1alpha1.BackupStoreParameters{
			S3: &v1alpha1.S3Store{
				S3Location: v1alpha1.S3Location{Endpoint: store.Endpoint, Port: int32(store.Port), Bucket: store.Bucket, Region: store.Region,
					URIStyle: v1alpha1.URIStylePath, Prefix: f.Prefix},
				CASecretRef:          &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: Store}, Key: "ca.crt"},
				CredentialsSecretRef: xpv2.LocalSecretReference{Name: Store},
			},
			StoreOptions: v1alpha1.StoreOptions{Retention: f.Retention},
		}},
	}
	if f.Passphrase != "" {
		secret.Data["passphrase"] = []byte(f.Passphrase)
		bs.Spec.ForProvider.Encryption = &v1alpha1.StoreEncryption{PassphraseSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: Store}, Key: "passphrase"}}
	}
	return []client.Object{secret, bs}
}

// PCRef refers to the ClusterProviderConfig name, which a Fixture names
// after its namespace.
func PCRef(name string) *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: name}
}
