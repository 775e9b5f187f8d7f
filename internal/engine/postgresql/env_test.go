package postgresql

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// providerCredential is what withProviderCredential puts in the
// provider's environment, which no postmaster may inherit.
const providerCredential = "AKIA-dbaas-test-not-a-real-key"

// withProviderCredential puts a credential in the environment of the test
// process, the provider here, for the rest of the test.
func withProviderCredential(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", providerCredential)
	t.Setenv("DBAAS_PROVIDER_ONLY", providerCredential)
}

// postmasterKeepsNoCredential reads the environment of the postmaster pid,
// started after withProviderCredential, from /proc: the credential must
// not be there, nor the provider's HOME or KUBECONFIG; PATH and LC_ALL
// must.
func postmasterKeepsNoCredential(t *testing.T, pid int) {
	t.Helper()
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatalf("cannot read the postmaster's environment: %v", err)
	}
	if bytes.Contains(environ, []byte(providerCredential)) {
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
