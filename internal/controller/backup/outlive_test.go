package backup_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
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

// leftWait bounds the wait for the instance's processes to end once it is
// removed: a command the controllers ran synchronously ends with its
// context (30 s); a detached verify, bound at an hour, would not.
const leftWait = 2 * time.Minute

// nothingOutlives removes the test's instance through the API, and then
// its store, while a verify started detached on the instance's primary
// (as the Backup controller starts one) retries a store that is not
// there, as verifies of removed instances did for 12-14 minutes before
// their removal stopped them; then no process names the instance's
// pgBackRest directory or its stanza. The verify is of a probe stanza
// beside the instance's, whose repository is a port that accepts and never
// answers, so that the verify waits there (pgBackRest's io-timeout, a
// minute, per try) rather than ending at once as on a refused port: one of
// the real stanza would end in a second, with the store up, and with the
// store down first the instance's shutdown waits on its archiver. The
// instance's removal stops every stanza's runs alike.
func nothingOutlives(t *testing.T, env *testenv.Env, store *s3test.Server, di *enginev1alpha1.DatabaseInstance, stanza *pgbackrest.Stanza) {
	t.Helper()
	ctx := context.Background()
	dead := silentPort(t, store.Host)
	probe := pgbackrest.New(stanza.Instance, "probe", pgbackrest.Repo{
		Type: pgbackrest.RepoS3, Path: "/probe",
		S3: &pgbackrest.S3{
			Endpoint: store.Endpoint, Port: int32(dead), Bucket: store.Bucket, Region: store.Region,
			URIStyle: pgbackrest.URIStylePath, CAFile: store.CAFile, AccessKey: store.AccessKey, SecretKey: store.SecretKey,
		},
	})
	if err := probe.WriteConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if err := probe.StartVerify(ctx, time.Hour); err != nil {
		t.Fatalf("StartVerify: %v", err)
	}
	dir, name := filepath.Dir(stanza.ConfigPath()), "--stanza="+stanza.Name
	// The assertion below would hold for nothing without a verify running.
	wait.For(t, time.Minute, "the probe stanza's detached verify running", func() (bool, string) {
		return len(testproc.Naming(probe.ConfigPath())) > 0, "no process names " + probe.ConfigPath()
	})
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
	if err := store.Stop(); err != nil {
		t.Fatal(err)
	}
	wait.For(t, leftWait, "no process of the removed instance's stanzas", func() (bool, string) {
		left := append(testproc.Naming(dir), testproc.Naming(name)...)
		return len(left) == 0, "left: " + strings.Join(left, "; ")
	})
}

// silentPort listens on host and holds every connection it accepts without
// a byte in answer until the test ends: a store that never answers.
func silentPort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case held <- c:
			default:
				_ = c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		for {
			select {
			case c := <-held:
				_ = c.Close()
			default:
				return
			}
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}
