package postgresql

import (
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/engine/pgparams"
)

const header = "# Managed by the dbaas provider. Changes are overwritten.\n"

func TestRenderReplication(t *testing.T) {
	base := "listen_addresses = '127.0.0.1'\nport = 20000\nunix_socket_directories = '/m/run'\n" +
		"wal_level = 'replica'\nmax_wal_senders = 10\nmax_replication_slots = 10\nhot_standby = on\nwal_log_hints = on\nwal_retrieve_retry_interval = '1s'\n"
	timeouts := "wal_sender_timeout = '5s'\nwal_receiver_timeout = '5s'\n"
	type want struct {
		out string
		err error
	}
	cases := map[string]struct {
		reason string
		r      Replication
		params map[string]string
		want   want
	}{
		"AsyncPrimary": {
			reason: "An async primary has an empty synchronous_standby_names and no replica settings.",
			r:      Replication{Member: "vm-0"},
			want: want{out: header + base + timeouts +
				"cluster_name = 'vm-0'\nsynchronous_standby_names = ''\n"},
		},
		"SyncPrimary": {
			reason: "A sync primary names its quorum.",
			r:      Replication{Member: "vm-0", SynchronousStandbyNames: SyncStandbyNames(1, []string{"vm-1", "vm-2"})},
			want: want{out: header + base + timeouts +
				"cluster_name = 'vm-0'\nsynchronous_standby_names = 'ANY 1 (\"vm-1\", \"vm-2\")'\n"},
		},
		"Replica": {
			reason: "A replica streams from the primary through its slot, its password in a file.",
			r: Replication{Member: "vm-1", PrimaryConnInfo: ConnInfo(Address, 20010, "vm-1", "/m/it's/replication.pgpass", ""),
				PrimarySlotName: SlotName("vm-1")},
			want: want{out: header + base + timeouts +
				"cluster_name = 'vm-1'\nsynchronous_standby_names = ''\n" +
				`primary_conninfo = 'host=''127.0.0.1'' port=''20010'' user=''dbaas_replication'' application_name=''vm-1'' passfile=''/m/it\\''s/replication.pgpass'' sslmode=''disable'''` + "\n" +
				"primary_slot_name = 'dbaas_vm_1'\n"},
		},
		"ReplicaTLS": {
			reason: "A replica of an instance that serves TLS verifies the primary against the instance's CA.",
			r:      Replication{Member: "vm-1", PrimaryConnInfo: ConnInfo(Address, 20010, "vm-1", "/m/replication.pgpass", "/m/tls/ca.crt")},
			want: want{out: header + base + timeouts +
				"cluster_name = 'vm-1'\nsynchronous_standby_names = ''\n" +
				`primary_conninfo = 'host=''127.0.0.1'' port=''20010'' user=''dbaas_replication'' application_name=''vm-1'' passfile=''/m/replication.pgpass'' sslmode=''verify-full'' sslrootcert=''/m/tls/ca.crt'' sslcert=''/m/tls/no-client-certificate'' sslkey=''/m/tls/no-client-certificate'''` + "\n"},
		},
		"NoSlots": {
			reason: "Without slots the primary keeps a fixed amount of WAL.",
			r:      Replication{Member: "vm-0", KeepWAL: true},
			want: want{out: header + base + timeouts + "wal_keep_size = '512MB'\n" +
				"cluster_name = 'vm-0'\nsynchronous_standby_names = ''\n"},
		},
		"SpecTimeoutKept": {
			reason: "A stream timeout the spec sets replaces the provider's, which is not written after it.",
			r:      Replication{Member: "vm-1"},
			params: map[string]string{"wal_receiver_timeout": "4s"},
			want: want{out: header + "wal_receiver_timeout = '4s'\n" + base + "wal_sender_timeout = '5s'\n" +
				"cluster_name = 'vm-1'\nsynchronous_standby_names = ''\n"},
		},
		"OwnedRefused": {
			reason: "A parameter cannot undo the replication settings of a replicated member.",
			r:      Replication{Member: "vm-0"},
			params: map[string]string{"synchronous_standby_names": "*"},
			want:   want{err: pgparams.Check("15", map[string]string{"synchronous_standby_names": ""})},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := tc.r
			got, err := Render(Settings{Version: "15", Port: 20000, SocketDir: "/m/run", Parameters: tc.params, Replication: &r})
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nRender(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.out, got); diff != "" {
				t.Errorf("%s\nRender(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReplicationParametersOnSingle(t *testing.T) {
	// What a replicated instance relies on is not in the allow-list, so a
	// single instance cannot set it either: wal_level minimal would keep
	// it from ever getting a replica or a backup.
	if _, err := Render(Settings{Version: "15", Port: 1, SocketDir: "/s", Parameters: map[string]string{"wal_level": "minimal"}}); err == nil {
		t.Errorf("Render(single with wal_level): want refused, got nil error")
	}
}

func TestSyncStandbyNames(t *testing.T) {
	cases := map[string]struct {
		k     int32
		names []string
		want  string
	}{
		"Async":      {k: 0, names: []string{"a"}, want: ""},
		"NoReplicas": {k: 1, want: ""},
		"AnyOne":     {k: 1, names: []string{"vm-1", "vm-2"}, want: `ANY 1 ("vm-1", "vm-2")`},
		"AnyTwo":     {k: 2, names: []string{"a.b", "c"}, want: `ANY 2 ("a.b", "c")`},
		"Quoted":     {k: 1, names: []string{`x"y`}, want: `ANY 1 ("x""y")`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SyncStandbyNames(tc.k, tc.names)); diff != "" {
				t.Errorf("SyncStandbyNames(%d, %v): -want, +got:\n%s", tc.k, tc.names, diff)
			}
		})
	}
}

func TestSlotName(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"Plain":  {in: "vm1", want: "dbaas_vm1"},
		"Dashes": {in: "db-vm.a", want: "dbaas_db_vm_a"},
		"Upper":  {in: "VM", want: "dbaas_vm"},
		"Long":   {in: strings.Repeat("a", 70), want: "dbaas_" + strings.Repeat("a", 57)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SlotName(tc.in)); diff != "" {
				t.Errorf("SlotName(%q): -want, +got:\n%s", tc.in, diff)
			}
		})
	}
}

func TestPgpassLine(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"Plain":  {in: "abc", want: "*:*:*:dbaas_replication:abc\n"},
		"Colon":  {in: "a:b", want: `*:*:*:dbaas_replication:a\:b` + "\n"},
		"Escape": {in: `a\b`, want: `*:*:*:dbaas_replication:a\\b` + "\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, pgpassLine(tc.in)); diff != "" {
				t.Errorf("pgpassLine(%q): -want, +got:\n%s", tc.in, diff)
			}
		})
	}
}
