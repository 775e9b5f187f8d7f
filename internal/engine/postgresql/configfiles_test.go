package postgresql

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStaleAndChangedSettings(t *testing.T) {
	tls := configFile{path: "/m/tls/server.crt", content: []byte("cert"), setting: "ssl_cert_file"}
	key := configFile{path: "/m/tls/server.key", content: []byte("key"), setting: "ssl_cert_file"}
	hba := configFile{path: "/m/data/pg_hba.conf", content: []byte("hba"), setting: "hba_file"}
	conf := configFile{path: "/m/data/dbaas.conf", content: []byte("port = 5433\n")}
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
			wantNames: []string{"port", "ssl_cert_file", "hba_file"},
		},
		"OnlyConf": {
			reason:    "A changed setting is named once, and the files that did not change are not written.",
			sums:      sums(tls, key, hba),
			have:      "port = 5432\n",
			wantStale: []string{conf.path},
			wantNames: []string{"port"},
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
