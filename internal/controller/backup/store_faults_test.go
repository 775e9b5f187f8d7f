package backup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/testing/backuptest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// storeFaults breaks the fixture's S3 store under a running instance two
// ways and mends it each time: a wrong secret key in the store's Secret,
// then the bucket gone. Each time the BackupStore, the instance's
// WALArchiving and a Backup say what is wrong in S3's words, with no
// credential in any message, and once mended the store is Ready again,
// archiving resumes by itself and a Backup completes.
func storeFaults(t *testing.T, env *testenv.Env, store *s3test.Server, di *enginev1alpha1.DatabaseInstance, stanza *pgbackrest.Stanza) {
	t.Helper()
	ns := di.Namespace
	wrong := "wrong-" + store.SecretKey[:8] + "-key"
	secrets := []string{store.AccessKey, store.SecretKey, wrong}

	// A wrong secret key: S3 refuses the signature. The instance writes
	// the new key into its pgbackrest.conf, and the next segment cannot be
	// archived.
	setSecretKey(t, env, ns, wrong)
	msg := storeReady(t, env, ns, corev1.ConditionFalse, "SignatureDoesNotMatch")
	noSecret(t, "the BackupStore's Ready", msg, secrets)
	wait.For(t, timeout, "the instance's pgbackrest.conf with the new key", func() (bool, string) {
		b, err := os.ReadFile(filepath.Join(stanza.ConfigPath(), "pgbackrest.conf"))
		return err == nil && strings.Contains(string(b), "="+wrong+"\n"), fmt.Sprint(err)
	})
	failed := switchWAL(t, stanza)
	msg = archiving(t, env, di, corev1.ConditionFalse, "SignatureDoesNotMatch")
	if !strings.Contains(msg, failed) || !strings.Contains(msg, "BackupStore "+backuptest.Store) {
		t.Errorf("WALArchiving=False: want the segment %s and the store named, got %q", failed, msg)
	}
	noSecret(t, "WALArchiving", msg, secrets)
	// A Backup asked now waits for archiving, saying why, and is no
	// backup yet.
	held := newBackup(t, env, ns, "while-key-wrong", di.Name, v1alpha1.BackupFull)
	msg = backupSays(t, env, held, "SignatureDoesNotMatch")
	noSecret(t, "the Backup's message", msg, secrets)
	t.Logf("wrong key: %s", msg)

	// The right key back: the store is Ready, the failed segment is
	// archived (woken by the next one) and the Backup asked meanwhile
	// completes.
	setSecretKey(t, env, ns, store.SecretKey)
	storeReady(t, env, ns, corev1.ConditionTrue, "")
	switchWAL(t, stanza)
	archiving(t, env, di, corev1.ConditionTrue, "")
	completed(t, env, held)

	// The bucket goes missing (moved away in versitygw's directory).
	bucket := filepath.Join(store.Dir, store.Bucket)
	if err := os.Rename(bucket, bucket+".away"); err != nil {
		t.Fatal(err)
	}
	// pgBackRest on the machine reads a missing bucket as missing files
	// ("has a stanza-create been performed?"); the provider's look at
	// the store names the bucket, and the Backup and WALArchiving quote it.
	missing := "NoSuchBucket: The specified bucket does not exist. (bucket " + store.Bucket + ")"
	storeReady(t, env, ns, corev1.ConditionFalse, missing)
	lost := newBackup(t, env, ns, "while-bucket-missing", di.Name, v1alpha1.BackupFull)
	msg = backupSays(t, env, lost, missing)
	t.Logf("bucket missing: %s", msg)
	failed = switchWAL(t, stanza)
	msg = archiving(t, env, di, corev1.ConditionFalse, failed)
	if !strings.Contains(msg, missing) {
		t.Errorf("WALArchiving=False: want %q, got %q", missing, msg)
	}

	// The bucket back: the store is Ready, archiving resumes with the
	// failed segment, and a Backup completes.
	if err := os.Rename(bucket+".away", bucket); err != nil {
		t.Fatal(err)
	}
	storeReady(t, env, ns, corev1.ConditionTrue, "")
	switchWAL(t, stanza)
	archiving(t, env, di, corev1.ConditionTrue, "")
	if lost.Status.AtProvider.Phase == v1alpha1.BackupFailed {
		// Failed is final: a new Backup is the retry.
		lost = newBackup(t, env, ns, "bucket-back", di.Name, v1alpha1.BackupFull)
	}
	completed(t, env, lost)
}

// setSecretKey sets the secret key in the fixture store's Secret.
func setSecretKey(t *testing.T, env *testenv.Env, ns, key string) {
	t.Helper()
	s := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: backuptest.Store}, s); err != nil {
		t.Fatal(err)
	}
	if err := testenv.Mutate(context.Background(), env.Client, s, func(s *corev1.Secret) {
		s.Data[backupstore.KeySecretAccessKey] = []byte(key)
	}); err != nil {
		t.Fatal(err)
	}
}

// storeReady waits for the fixture's BackupStore's Ready to be status
// with a message holding want, and returns the message.
func storeReady(t *testing.T, env *testenv.Env, ns string, status corev1.ConditionStatus, want string) string {
	t.Helper()
	bs := &v1alpha1.BackupStore{}
	var msg string
	wait.For(t, timeout, fmt.Sprintf("BackupStore %s Ready=%s %q", backuptest.Store, status, want), func() (bool, string) {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: backuptest.Store}, bs); err != nil {
			return false, err.Error()
		}
		r := bs.GetCondition(xpv2.TypeReady)
		msg = r.Message
		return r.Status == status && strings.Contains(r.Message, want), fmt.Sprintf("Ready %s %s", r.Status, r.Message)
	})
	return msg
}

// archiving waits for the instance's WALArchiving to be status with a
// message holding want, and returns the message.
func archiving(t *testing.T, env *testenv.Env, di *enginev1alpha1.DatabaseInstance, status corev1.ConditionStatus, want string) string {
	t.Helper()
	var msg string
	wait.For(t, timeout, fmt.Sprintf("WALArchiving=%s %q", status, want), func() (bool, string) {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		a := di.GetCondition(enginev1alpha1.TypeWALArchiving)
		msg = a.Message
		return a.Status == status && strings.Contains(a.Message, want), fmt.Sprintf("WALArchiving %s %s", a.Status, a.Message)
	})
	return msg
}

// backupSays waits for b to be held or failed with a message holding
// want, and returns the message: Synced=False while it waits for
// archiving, or Failed when pgBackRest ran and failed. Either way it is
// no backup.
func backupSays(t *testing.T, env *testenv.Env, b *v1alpha1.Backup, want string) string {
	t.Helper()
	var msg string
	wait.For(t, timeout, "Backup "+b.Name+" held or failed, saying "+want, func() (bool, string) {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(b), b); err != nil {
			return false, err.Error()
		}
		at, s := b.Status.AtProvider, b.GetCondition(xpv2.TypeSynced)
		if at.Phase == v1alpha1.BackupCompleted {
			t.Fatalf("Backup %s completed into a broken store", b.Name)
		}
		switch {
		case at.Phase == v1alpha1.BackupFailed && strings.Contains(at.Message, want):
			msg = at.Message
		case s.Status == corev1.ConditionFalse && strings.Contains(s.Message, want):
			msg = s.Message
		}
		return msg != "", fmt.Sprintf("phase %s %s; Synced %s %s", at.Phase, at.Message, s.Status, s.Message)
	})
	return msg
}

// switchWAL ends the primary's current WAL segment, which the archiver
// then pushes, and returns its name. The session is the provider's own,
// over the member's socket: pg_switch_wal is the superuser's.
func switchWAL(t *testing.T, stanza *pgbackrest.Stanza) string {
	t.Helper()
	ctx := context.Background()
	conn, err := stanza.Instance.ConnectAdmin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// A transaction with an ID writes its commit to WAL: a segment with
	// nothing in it would not be switched.
	if _, err := conn.Exec(ctx, "SELECT txid_current()"); err != nil {
		t.Fatal(err)
	}
	var seg string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&seg); err != nil {
		t.Fatal(err)
	}
	return seg
}

// noSecret fails the test if msg holds one of secrets.
func noSecret(t *testing.T, where, msg string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("%s holds a credential of the store's Secret: %q", where, msg)
		}
	}
}
