package databaseinstance

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/scram"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestAdminPasswordRotation changes the admin password Secret of a running
// instance: the superuser takes the new password and dbaas_admin the one
// derived from it, the connection secret publishes dbaas_admin's, the old
// ones stop working, and the instance stays Ready throughout.
func TestAdminPasswordRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-rotate")
	logs := &syncBuffer{}
	startManagerWithLogger(t, env, hooks{}, funcr.New(func(prefix, args string) {
		logs.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 1}))

	di := f.instance("pg", 20)
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	rotateAdminPassword(t, f, di, filepath.Join(f.machineDir(t), "postgresql", "pg"))
	assertNoPassword(t, c, f.ns, rotatedPassword)
	for _, pw := range []string{rotatedPassword, pgroles.Password(rotatedPassword, pgroles.Admin)} {
		if strings.Contains(logs.String(), pw) {
			t.Errorf("a new password appears in the provider's logs: %q", pw)
		}
	}
}

// rotatedPassword is the admin password the rotation tests change to: a
// quote and a backslash, so that quoting is tested too.
const rotatedPassword = "n3w-'admin\\-password"

// rotateAdminPassword writes a row, changes the instance's admin password
// Secret and checks that the connection secret publishes dbaas_admin with
// the password derived from the new one, which works and finds the row,
// that the old one no longer works, that the superuser takes the new admin
// password and not the old (read over the member's socket in instanceDir)
// and is refused over TCP with either, and that the instance stayed Ready
// throughout.
func rotateAdminPassword(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance, instanceDir string) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	conn := f.connect(t, di)
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	oldPW := string(mustSecret(t, c, f.ns, "pg-conn").Data["password"])
	oldAdminPW := string(mustSecret(t, c, f.ns, "pg-admin").Data["password"])
	if u := string(mustSecret(t, c, f.ns, "pg-conn").Data["username"]); u != pgroles.Admin || oldPW != pgroles.Password(oldAdminPW, pgroles.Admin) {
		t.Errorf("the connection secret: user %q with the password derived from the admin password %v; want %q, true",
			u, oldPW == pgroles.Password(oldAdminPW, pgroles.Admin), pgroles.Admin)
	}

	// Watch Ready from now on.
	var mu sync.Mutex
	var notReady []string
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			cur := &v1alpha1.DatabaseInstance{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(di), cur); err != nil {
				continue
			}
			if r := cur.GetCondition(xpv2.TypeReady); r.Status != corev1.ConditionTrue {
				mu.Lock()
				notReady = append(notReady, string(r.Reason)+": "+r.Message)
				mu.Unlock()
			}
		}
	}()

	adm := mustSecret(t, c, f.ns, "pg-admin")
	adm.Data["password"] = []byte(rotatedPassword)
	if err := c.Update(ctx, adm); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "connection secret publishes the new password", func() (bool, string) {
		s := mustSecret(t, c, f.ns, "pg-conn")
		return string(s.Data["password"]) == pgroles.Password(rotatedPassword, pgroles.Admin), "still the old one"
	})
	// The published credentials work, with the data of before.
	conn = f.connect(t, di)
	var v string
	if err := conn.QueryRow(ctx, "SELECT string_agg(v, ',') FROM kept").Scan(&v); err != nil || v != "before" {
		t.Errorf("with the new password: want the row of before, got %q, %v", v, err)
	}
	_ = conn.Close(ctx)
	// The old one no longer does.
	s := mustSecret(t, c, f.ns, "pg-conn")
	s.Data["password"] = []byte(oldPW)
	if _, err := connectWith(ctx, s); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("old password: want refused, got %v", err)
	}
	// The superuser, which the provider reaches over the socket, took the
	// Secret's new password too (its verifier, read over the socket,
	// matches the new one and not the old), and neither opens anything
	// over TCP: PostgreSQL refuses the superuser there.
	sc := adminSocket(t, instanceDir, superuserOf(di))
	var verifier string
	if err := sc.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = current_user").Scan(&verifier); err != nil {
		t.Fatal(err)
	}
	_ = sc.Close(ctx)
	if !scram.Matches(verifier, rotatedPassword) || scram.Matches(verifier, oldAdminPW) {
		t.Errorf("the superuser's verifier: matches the new admin password %v, the old %v; want true, false",
			scram.Matches(verifier, rotatedPassword), scram.Matches(verifier, oldAdminPW))
	}
	admin := mustSecret(t, c, f.ns, "pg-conn")
	admin.Data["username"] = []byte(superuserOf(di))
	for _, pw := range []string{rotatedPassword, oldAdminPW} {
		admin.Data["password"] = []byte(pw)
		if _, err := connectWith(ctx, admin); !rejectedByHBA(err) {
			t.Errorf("the superuser over TCP: err = %v; want PostgreSQL's refusal (28000, pg_hba.conf rejects connection)", err)
		}
	}
	// The instance settles Synced and Ready with the new password.
	wait.For(t, timeout, "Synced and Ready after the rotation", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		return di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue && di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue,
			di.GetCondition(xpv2.TypeSynced).Message
	})
	close(done)
	wg.Wait()
	if len(notReady) > 0 {
		t.Errorf("the instance was not Ready during the rotation: %v", notReady)
	}
}

// connectWith connects with a connection secret and closes at once.
func connectWith(ctx context.Context, s *corev1.Secret) (*pgx.Conn, error) {
	c, err := connectSecret(ctx, s)
	if err == nil {
		_ = c.Close(ctx)
	}
	return c, err
}

// TestAdminPasswordRotationOverSSH is the rotation on a machine configured
// over SSH: the play's password step gives the superuser the new password.
func TestAdminPasswordRotationOverSSH(t *testing.T) {
	t.Parallel()
	needRoot(t)
	env := testenv.Shared(t)
	f := newSSHFixture(t, env, "di-rotate-ssh")
	startSSHManager(t, env)
	f.machine(t, "vm", pcGood)
	di := f.sshInstance(t, "pg", "vm", pcGood)
	f.waitReady(t, di)
	vm := &computev1alpha1.VirtualMachine{}
	if err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: "vm"}, vm); err != nil {
		t.Fatal(err)
	}
	rotateAdminPassword(t, f.fixture, di, filepath.Dir(sshDataDir(vm, f.ns, "pg")))
	assertNoPassword(t, f.env.Client, f.ns, rotatedPassword)
}
