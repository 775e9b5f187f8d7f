package databaseinstance

import (
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

func boolPtr(b bool) *bool { return &b }

func TestCheckTopology(t *testing.T) {
	cases := map[string]struct {
		reason string
		p      v1alpha1.DatabaseInstanceParameters
		want   error
	}{
		"Single": {
			reason: "a single instance runs on one machine",
			p:      v1alpha1.DatabaseInstanceParameters{VirtualMachines: []string{"a"}},
		},
		"SingleOnTwo": {
			reason: "a single instance on two machines is refused",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologySingle, VirtualMachines: []string{"a", "b"}},
			want:   errors.Errorf(errTopology, v1alpha1.TopologySingle, 1, 2),
		},
		"Primary": {
			reason: "a primary and two replicas run on three machines",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: ptr(2), VirtualMachines: []string{"a", "b", "c"}},
		},
		"PrimaryShort": {
			reason: "every member needs its own machine",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: ptr(2), VirtualMachines: []string{"a", "b"}},
			want:   errors.Errorf(errTopology, v1alpha1.TopologyPrimary, 3, 2),
		},
		"PrimaryNoReplicas": {
			reason: "a primary topology without replicas is refused",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, VirtualMachines: []string{"a"}},
			want:   errors.Errorf(errReplicas, v1alpha1.TopologyPrimary, maxReplicas),
		},
		"TooManyReplicas": {
			reason: "at most five replicas",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: ptr(6), VirtualMachines: make([]string, 7)},
			want:   errors.Errorf(errReplicas, v1alpha1.TopologyPrimary, maxReplicas),
		},
		"QuorumTooLarge": {
			reason: "a quorum larger than the replicas could never commit",
			p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: ptr(1), VirtualMachines: []string{"a", "b"},
				Replication: &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr(2)}},
			want: errors.Errorf(errQuorum, 2, 1),
		},
		"NamedPrimary": {
			reason: "any of the machines may run the primary",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: ptr(1), VirtualMachines: []string{"a", "b"}, Primary: "b"},
		},
		"PrimaryElsewhere": {
			reason: "the primary must run on one of the instance's machines",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: ptr(1), VirtualMachines: []string{"a", "b"}, Primary: "c"},
			want:   errors.Errorf(errPrimaryNotVM, "c"),
		},
		"Unknown": {
			reason: "unknown topologies are refused",
			p:      v1alpha1.DatabaseInstanceParameters{Topology: "ring", VirtualMachines: []string{"a"}},
			want:   errors.Errorf(errUnknownTopo, "ring"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, checkTopology(tc.p), test.EquateErrors()); diff != "" {
				t.Errorf("%s\ncheckTopology(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestMemberSettings(t *testing.T) {
	m := func(vm string, port int32) member {
		return member{vm: vm, inst: postgresql.NewInstance(executor.Local{}, "/m/"+vm, "pg", "15", port, "admin")}
	}
	primary, replicas := m("vm", 25000), []member{m("vm-1", 25010), m("vm-2", 25020)}
	sync := &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync}
	cases := map[string]struct {
		reason      string
		repl        *v1alpha1.ReplicationParameters
		wantPrimary []string
		wantReplica []string
		notReplica  []string
	}{
		"Async": {
			reason:      "async by default: no standby names, replicas stream through their slots",
			wantPrimary: []string{"cluster_name = 'vm'\n", "synchronous_standby_names = ''\n", "port = 25000\n"},
			wantReplica: []string{"cluster_name = 'vm-1'\n", "primary_slot_name = 'dbaas_vm_1'\n", "port=''25000''", "application_name=''vm-1''", "passfile=''/m/vm-1/postgresql/pg/replication.pgpass''", "port = 25010\n"},
			notReplica:  []string{"wal_keep_size"},
		},
		"SyncDefaultQuorum": {
			reason:      "sync mode without a quorum is ANY 1 of the replicas",
			repl:        sync,
			wantPrimary: []string{`synchronous_standby_names = 'ANY 1 ("vm-1", "vm-2")'` + "\n"},
		},
		"SyncQuorumTwo": {
			reason:      "the quorum is the spec's",
			repl:        &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr(2)},
			wantPrimary: []string{`synchronous_standby_names = 'ANY 2 ("vm-1", "vm-2")'` + "\n"},
		},
		"NoSlots": {
			reason:      "without slots replicas name none and the primary keeps WAL",
			repl:        &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationAsync, Slots: boolPtr(false)},
			wantPrimary: []string{"wal_keep_size = '512MB'\n"},
			notReplica:  []string{"primary_slot_name"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: ptr(2), Replication: tc.repl}
			ps, err := postgresql.Render(primarySettings(primary, replicas, p))
			if err != nil {
				t.Fatal(err)
			}
			rs, err := postgresql.Render(replicaSettings(replicas[0], primary, p))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.wantPrimary {
				if !strings.Contains(ps, w) {
					t.Errorf("%s: primary's file lacks %q:\n%s", tc.reason, w, ps)
				}
			}
			if strings.Contains(ps, "primary_conninfo") {
				t.Errorf("%s: the primary must not follow anyone:\n%s", tc.reason, ps)
			}
			for _, w := range tc.wantReplica {
				if !strings.Contains(rs, w) {
					t.Errorf("%s: replica's file lacks %q:\n%s", tc.reason, w, rs)
				}
			}
			for _, w := range tc.notReplica {
				if strings.Contains(rs, w) {
					t.Errorf("%s: replica's file should not have %q:\n%s", tc.reason, w, rs)
				}
			}
			if diff := cmp.Diff(map[bool]string{true: "quorum", false: "async"}[tc.repl != nil && tc.repl.Mode == v1alpha1.ReplicationSync], wantSyncState(p)); diff != "" {
				t.Errorf("%s: wantSyncState: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPrimaryFirst(t *testing.T) {
	cases := map[string]struct {
		primary string
		want    []string
	}{
		"Unset":   {want: []string{"a", "b", "c"}},
		"First":   {primary: "a", want: []string{"a", "b", "c"}},
		"Middle":  {primary: "b", want: []string{"b", "a", "c"}},
		"Unknown": {primary: "z", want: []string{"a", "b", "c"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := primaryFirst(v1alpha1.DatabaseInstanceParameters{VirtualMachines: []string{"a", "b", "c"}, Primary: tc.primary})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("primaryFirst(%q): -want, +got:\n%s", tc.primary, diff)
			}
		})
	}
}
