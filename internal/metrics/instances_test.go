package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func lag(n int64) *int64 { return &n }

func TestInstanceSamples(t *testing.T) {
	at := metav1.NewTime(time.Unix(1_800_000_000, 0))
	cases := map[string]struct {
		reason string
		status v1alpha1.DatabaseInstanceStatus
		want   []string
	}{
		"NewInstance": {
			reason: "An instance without members yet reports nothing, rather than a member that is down.",
			want:   nil,
		},
		"Single": {
			reason: "A single primary reports only that it is up: no replica gauges, no archiving without the condition.",
			status: v1alpha1.DatabaseInstanceStatus{AtProvider: v1alpha1.DatabaseInstanceObservation{
				Members: []v1alpha1.Member{{VirtualMachine: "vm-0", Role: v1alpha1.RolePrimary, Running: true}},
			}},
			want: []string{`dbaas_instance_member_up{ns,pg,vm-0,primary} 1`},
		},
		"Replicated": {
			reason: "Replicas report streaming and lag; a stopped replica is down and not streaming; archiving, backups and the failover are reported from the status.",
			status: v1alpha1.DatabaseInstanceStatus{
				ManagedResourceStatus: xpv2.ManagedResourceStatus{ConditionedStatus: xpv2.ConditionedStatus{Conditions: []xpv2.Condition{
					{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionFalse, Reason: "ArchiveFailed"},
				}}},
				AtProvider: v1alpha1.DatabaseInstanceObservation{
					FencingToken:     3,
					LastFailoverTime: &at,
					RecoveryWindow:   &v1alpha1.RecoveryWindow{LastSuccessfulBackupTime: &at},
					Members: []v1alpha1.Member{
						{VirtualMachine: "vm-0", Role: v1alpha1.RolePrimary, Running: true},
						{VirtualMachine: "vm-1", Role: v1alpha1.RoleReplica, Running: true, Streaming: "streaming", LagBytes: lag(4096)},
						{VirtualMachine: "vm-2", Role: v1alpha1.RoleReplica, Running: false},
					},
				},
			},
			want: []string{
				`dbaas_instance_member_up{ns,pg,vm-0,primary} 1`,
				`dbaas_instance_member_up{ns,pg,vm-1,replica} 1`,
				`dbaas_instance_member_streaming{ns,pg,vm-1} 1`,
				`dbaas_instance_member_lag_bytes{ns,pg,vm-1} 4096`,
				`dbaas_instance_member_up{ns,pg,vm-2,replica} 0`,
				`dbaas_instance_member_streaming{ns,pg,vm-2} 0`,
				`dbaas_instance_wal_archiving_ok{ns,pg} 0`,
				`dbaas_instance_last_backup_timestamp_seconds{ns,pg} 1.8e+09`,
				`dbaas_instance_last_failover_timestamp_seconds{ns,pg} 1.8e+09`,
				`dbaas_instance_fencing_token{ns,pg} 3`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			di := &v1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg"}, Status: tc.status}
			var got []string
			for _, s := range instanceSamples(di) {
				got = append(got, fmt.Sprintf("%s{%s} %v", metricName(s), strings.Join(s.labels, ","), s.value))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ninstanceSamples(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// metricName is a sample's metric name.
func metricName(s sample) string {
	return fqName(s.desc)
}

// TestWatchInstances scrapes the collector the way the manager's endpoint
// does: the gauges of what the reader lists, and none once stopped.
func TestWatchInstances(t *testing.T) {
	di := &v1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "orders"},
		Status: v1alpha1.DatabaseInstanceStatus{AtProvider: v1alpha1.DatabaseInstanceObservation{
			Members: []v1alpha1.Member{{VirtualMachine: "vm-0", Role: v1alpha1.RolePrimary, Running: true}},
		}},
	}
	s := newScheme(t)
	stop := WatchInstances(fake.NewClientBuilder().WithScheme(s).WithObjects(di).WithStatusSubresource(di).Build())
	want := `
# HELP dbaas_instance_member_up 1 when the member's server runs, as the DatabaseInstance status says; role is primary or replica.
# TYPE dbaas_instance_member_up gauge
dbaas_instance_member_up{database_instance="orders",member="vm-0",namespace="team-a",role="primary"} 1
`
	if err := testutil.CollectAndCompare(instanceCollector(), strings.NewReader(want), "dbaas_instance_member_up"); err != nil {
		t.Error(err)
	}
	stop()
	if n := testutil.CollectAndCount(instanceCollector()); n != 0 {
		t.Errorf("after stop: want no samples, got %d", n)
	}
}
