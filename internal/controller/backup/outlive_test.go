package backup_test

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// nothingOutlives removes the test's store and then its instance, through
// the API, while a verify started detached on the instance's primary (as
// the Backup controller starts one) retries the store that is gone, as
// verifies of removed instances did for 12-14 minutes before their
// removal stopped them: once the instance is gone no process names the
// stanza's directory or the stanza.
func nothingOutlives(t *testing.T, env *testenv.Env, store *s3test.Server, di *enginev1alpha1.DatabaseInstance, stanza *pgbackrest.Stanza) {
	t.Helper()
	ctx := context.Background()
	if err := store.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := stanza.StartVerify(ctx, time.Hour); err != nil {
		t.Fatalf("StartVerify: %v", err)
	}
	dir, name := stanza.ConfigPath(), "--stanza="+stanza.Name
	if len(testproc.Naming(dir)) == 0 {
		t.Fatal("a verify was started, but no process names the stanza's directory: the assertion below would hold for nothing")
	}
	if err := env.Client.Delete(ctx, di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "DatabaseInstance "+di.Name+" deleted", func() (bool, string) {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(di), &enginev1alpha1.DatabaseInstance{})
		if err == nil {
			return false, "still there"
		}
		return client.IgnoreNotFound(err) == nil, err.Error()
	})
	if left := append(testproc.Naming(dir), testproc.Naming(name)...); len(left) > 0 {
		t.Errorf("processes of the removed instance's stanza left: %q", left)
	}
}
