package postgresql

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func TestBuildEnv(t *testing.T) {
	cases := map[string]struct {
		reason string
		parent []string
		want   []string
	}{
		"Empty": {
			reason: "without a PATH the engine gets the usual one",
			want:   []string{"PATH=" + defaultPath, "LC_ALL=C"},
		},
		"KeepsPathLocaleAndZone": {
			reason: "PATH, LANG, LC_* and TZ are what the engine needs",
			parent: []string{"PATH=/opt/bin:/usr/bin", "LANG=de_DE.UTF-8", "LC_CTYPE=C.UTF-8", "TZ=Europe/Berlin"},
			want:   []string{"PATH=/opt/bin:/usr/bin", "LANG=de_DE.UTF-8", "LC_CTYPE=C.UTF-8", "TZ=Europe/Berlin", "LC_ALL=C"},
		},
		"DropsCredentials": {
			reason: "cloud credentials and anything else of the provider's stay with the provider",
			parent: []string{"AWS_SECRET_ACCESS_KEY=x", "AZURE_CLIENT_SECRET=y", "GOOGLE_APPLICATION_CREDENTIALS=/k.json", "VSPHERE_PASSWORD=z", "KUBECONFIG=/k", "HOME=/root", "PGPASSWORD=p", "PATH=/usr/bin"},
			want:   []string{"PATH=/usr/bin", "LC_ALL=C"},
		},
		"OwnLCAll": {
			reason: "the provider's LC_ALL is replaced by C, so messages stay in English",
			parent: []string{"LC_ALL=fr_FR.UTF-8"},
			want:   []string{"PATH=" + defaultPath, "LC_ALL=C"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, buildEnv(tc.parent)); diff != "" {
				t.Errorf("%s\nbuildEnv(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPostmasterEnvironment starts a real server with a credential in the
// provider's environment and reads the postmaster's environment from /proc:
// the credential must not be there.
func TestPostmasterEnvironment(t *testing.T) {
	const secret = "AKIA-dbaas-test-not-a-real-key"
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("DBAAS_PROVIDER_ONLY", secret)
	ctx := context.Background()
	i := NewInstance(executor.Local{}, testenv.SharedDir(t), "env", "15", freePort(t), "admin")
	stopOnCleanup(t, i)
	if err := i.Init(ctx, "pw"); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if _, err := i.Configure(ctx, i.Settings(nil, nil, nil)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := i.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pid := pidOf(t, i)
	if pid == 0 {
		t.Fatal("Start: no postmaster PID")
	}
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatalf("cannot read the postmaster's environment: %v", err)
	}
	if bytes.Contains(environ, []byte(secret)) {
		t.Errorf("postmaster %d inherited the provider's credential: %q", pid, environ)
	}
	vars := map[string]bool{}
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if n, _, ok := bytes.Cut(kv, []byte("=")); ok {
			vars[string(n)] = true
		}
	}
	for _, n := range []string{"AWS_SECRET_ACCESS_KEY", "DBAAS_PROVIDER_ONLY", "HOME", "KUBECONFIG"} {
		if vars[n] {
			t.Errorf("postmaster %d has %s in its environment", pid, n)
		}
	}
	if !vars["PATH"] || !vars["LC_ALL"] {
		t.Errorf("postmaster %d: want PATH and LC_ALL in its environment, got %q", pid, environ)
	}
}
