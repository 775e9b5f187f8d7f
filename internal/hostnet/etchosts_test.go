package hostnet

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHostsFile(t *testing.T) {
	gw := netip.MustParseAddr("10.200.3.1")
	cases := map[string]struct {
		reason  string
		base    string
		entries []HostsEntry
		want    string
		wantErr bool
	}{
		"BaseOnly": {
			reason: "Without aliases a host resolves what the provider's host does.",
			base:   "127.0.0.1\tlocalhost\n",
			want:   "127.0.0.1\tlocalhost\n",
		},
		"Aliases": {
			reason:  "Aliases follow the provider's host's entries, one line per address; a last line without its line break gets one.",
			base:    "127.0.0.1\tlocalhost",
			entries: []HostsEntry{{Addr: gw, Names: []string{"s3.dbaas.test", "store"}}},
			want:    "127.0.0.1\tlocalhost\n# The provider config's spec.local.network.hostAliases.\n10.200.3.1\ts3.dbaas.test store\n",
		},
		"LineBreak": {
			reason:  "A name that would start another line of the file is refused.",
			entries: []HostsEntry{{Addr: gw, Names: []string{"store\n10.0.0.1 bank.example"}}},
			wantErr: true,
		},
		"Space": {
			reason:  "A name that would add another name is refused.",
			entries: []HostsEntry{{Addr: gw, Names: []string{"store other"}}},
			wantErr: true,
		},
		"Localhost": {
			reason:  "localhost stays the host's own loopback.",
			entries: []HostsEntry{{Addr: gw, Names: []string{"localhost"}}},
			wantErr: true,
		},
		"NoNames": {
			reason:  "An address without names is no line.",
			entries: []HostsEntry{{Addr: gw}},
			wantErr: true,
		},
		"NoAddress": {
			reason:  "Names without an address are no line.",
			entries: []HostsEntry{{Names: []string{"store"}}},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := HostsFile([]byte(tc.base), tc.entries)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nHostsFile(...): error %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, string(got)); err == nil && diff != "" {
				t.Errorf("%s\nHostsFile(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestEtcDir(t *testing.T) {
	for _, ns := range []string{"", ".", "..", "a/b", "../../etc", "a-name-too-long-for-a-link"} {
		if d, err := etcDir(ns); err == nil {
			t.Errorf("etcDir(%q): got %q, want an error: only a plain namespace name names a directory of %s", ns, d, netnsEtc)
		}
	}
	if d, err := etcDir("dbvm0123456789a"); err != nil || d != "/etc/netns/dbvm0123456789a" {
		t.Errorf("etcDir(dbvm0123456789a): got %q, %v", d, err)
	}
}
