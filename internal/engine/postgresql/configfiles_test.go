package postgresql

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

func TestStaleAndChangedSettings(t *testing.T) {
	tls := configFile{path: "/m/tls/server.crt", content: []byte("cert"), setting: "ssl_cert_file"}
	key := configFile{path: "/m/tls/server.key", content: []byte("key"), setting: "ssl_cert_file"}
	hba := configFile{path: "/m/data/pg_hba.conf", content: []byte("hba")}
	conf := configFile{path: "/m/data/dbaas.conf", content: []byte("port = 5433\n"), own: true}
	all := []configFile{tls, key, hba, conf}
	sums := func(fs ...configFile) map[string]string {
		m := map[string]string{}
		for _, f := range fs {
			m[f.path] = checksum(f.content)
		}
		return m
	}
	cases := map[string]struct {
		reason    string
		sums      map[string]string
		have      string
		wantStale []string
		wantNames []string
	}{
		"Current": {
			reason: "Files whose checksums match change nothing.",
			sums:   sums(all...),
		},
		"NothingThere": {
			reason:    "A machine that holds none of the files gets all of them; a new provider's file changes each of its settings.",
			sums:      map[string]string{},
			wantStale: []string{tls.path, key.path, hba.path, conf.path},
			wantNames: []string{"port", "ssl_cert_file"},
		},
		"OnlyConf": {
			reason:    "A changed setting is named once, and the files that did not change are not written.",
			sums:      sums(tls, key, hba),
			have:      "port = 5432\n",
			wantStale: []string{conf.path},
			wantNames: []string{"port"},
		},
		"OnlyRules": {
			reason:    "New pg_hba.conf rules name no setting: a reload takes them up, and a name of a postmaster setting would have Reload restart the server.",
			sums:      sums(tls, key, conf),
			wantStale: []string{hba.path},
		},
		"CertificateAndKey": {
			reason:    "A new certificate and key count as one change of ssl_cert_file.",
			sums:      sums(hba, conf),
			wantStale: []string{tls.path, key.path},
			wantNames: []string{"ssl_cert_file"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := stale(all, tc.sums)
			var paths []string
			for _, f := range st {
				paths = append(paths, f.path)
			}
			if diff := cmp.Diff(tc.wantStale, paths); diff != "" {
				t.Errorf("%s\nstale: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantNames, changedSettings(st, tc.have, string(conf.content))); diff != "" {
				t.Errorf("%s\nchangedSettings: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestParseConfigState(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	cases := map[string]struct {
		reason   string
		out      string
		wantSums map[string]string
		wantConf string
		err      bool
	}{
		"Conf": {
			reason:   "Checksums by path, and the provider's file decoded from its base64 lines.",
			out:      "sum " + sum + "  /m/data/dbaas.conf\nconf-begin\ncG9ydCA9\nIDU0MzIK\nconf-end\n",
			wantSums: map[string]string{"/m/data/dbaas.conf": sum},
			wantConf: "port = 5432\n",
		},
		"NoConf": {
			reason:   "No provider's file yet: no checksum and an empty file.",
			out:      "conf-begin\nconf-end\n",
			wantSums: map[string]string{},
		},
		"CutShort": {
			reason: "Output without the file's end is an error.",
			out:    "sum " + sum + "  /m/data/dbaas.conf\nconf-begin\ncG9ydCA9\n",
			err:    true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sums, conf, err := parseConfigState(tc.out)
			if (err != nil) != tc.err {
				t.Fatalf("%s\nparseConfigState: error %v, want error %v", tc.reason, err, tc.err)
			}
			if diff := cmp.Diff(tc.wantSums, sums); diff != "" && !tc.err {
				t.Errorf("%s\nsums: -want, +got:\n%s", tc.reason, diff)
			}
			if conf != tc.wantConf {
				t.Errorf("%s\nconf: want %q, got %q", tc.reason, tc.wantConf, conf)
			}
		})
	}
}

func TestWriteFilesScriptKeepsContentOffCommandLines(t *testing.T) {
	key := configFile{path: "/m/tls/server.key", content: []byte("-----BEGIN PRIVATE KEY-----\nsecret\n"), mode: 0o600}
	s := writeFilesScript("/m", "/m/tls", []configFile{key})
	if strings.Contains(s, "secret") {
		t.Error("the script holds the key in clear; want it only base64, in a here-document")
	}
	if !strings.Contains(s, "mkdir -p -- /m/tls") {
		t.Errorf("want the certificate directory made before its files, got:\n%s", s)
	}
}

// TestMemberChangeNamesNoRestart takes the files as configFiles makes them
// for a member whose peers changed (a replica removed): new rules, the
// provider's file as it was. No setting is named, so Reload does not
// restart the server: a scale-down had restarted every replica, and rolled
// the primary over to one when its rules were written here.
func TestMemberChangeNamesNoRestart(t *testing.T) {
	const conf = "port = 5432\n"
	i := NewInstance(executor.Local{}, t.TempDir(), "pg", "15", 5432, "postgres")
	i.TLS = &TLS{Cert: []byte("cert"), Key: []byte("key"), CA: []byte("ca")}
	i.Peers = []string{"10.0.0.2", "10.0.0.3"}
	before, err := i.configFiles(conf)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, f := range before {
		sums[f.path] = checksum(f.content)
	}
	i.Peers = []string{"10.0.0.2"}
	after, err := i.configFiles(conf)
	if err != nil {
		t.Fatal(err)
	}
	st := stale(after, sums)
	if len(st) != 1 || st[0].path != i.hbaPath() {
		t.Fatalf("stale: want only %s, got %v", i.hbaPath(), st)
	}
	if names := changedSettings(st, conf, conf); len(names) != 0 {
		t.Errorf("changedSettings: want none (a reload takes the rules up), got %v", names)
	}
}
