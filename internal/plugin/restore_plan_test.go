package plugin

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/google/go-cmp/cmp"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func planFixture(mutate func(*enginev1alpha1.DatabaseInstance)) (database, *enginev1alpha1.DatabaseInstance) {
	d := asDatabase(&unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"namespace": "team-a", "name": "orders"},
		"spec": map[string]any{
			"engine": "postgresql", "version": "15", "flavor": "vector", "tier": "standard", "sku": "small", "environment": "local",
			"storageGB": int64(10), "databaseName": "orders_db",
			"writeConnectionSecretToRef": map[string]any{"name": "orders-db"},
		},
	}})
	at := func(s string) *metav1.Time {
		t, _ := time.Parse(time.RFC3339, s)
		return &metav1.Time{Time: t}
	}
	in := &enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "orders"}}
	in.Spec.ForProvider = enginev1alpha1.DatabaseInstanceParameters{
		Engine: enginev1alpha1.EnginePostgreSQL, Version: "15", StorageGB: 10,
		Backup: &enginev1alpha1.InstanceBackupParameters{Store: "s3"},
	}
	in.Status.AtProvider.RecoveryWindow = &enginev1alpha1.RecoveryWindow{
		FirstRecoverabilityPoint: at("2026-12-01T00:00:00Z"), LastArchivedTime: at("2026-12-07T12:00:00Z"), LastArchivedWAL: "00000001000000000000000A",
	}
	if mutate != nil {
		mutate(in)
	}
	return d, in
}

func TestPlanRestore(t *testing.T) {
	cases := map[string]struct {
		reason  string
		mutate  func(*enginev1alpha1.DatabaseInstance)
		as, at  string
		wantErr string
	}{
		"InWindow":   {reason: "A time in the recovery window plans a restore.", as: "copy", at: "2026-12-07T11:00:00.123456Z"},
		"OffsetTime": {reason: "A time with a UTC offset is a time.", as: "copy", at: "2026-12-07T12:30:00+01:00"},
		"NotATime": {
			reason: "A time not in RFC 3339 is refused with an example.", as: "copy", at: "2026-12-07 11:00",
			wantErr: `--to-time "2026-12-07 11:00" is not a time: give it in RFC 3339`,
		},
		"BeforeWindow": {
			reason: "A time before the oldest backup's end cannot be reached.", as: "copy", at: "2026-11-30T00:00:00Z",
			wantErr: "is before the recovery window of team-a/orders, which starts at 2026-12-01T00:00:00Z",
		},
		"AfterWindow": {
			reason: "A time after the last archived WAL cannot be reached.", as: "copy", at: "2026-12-07T12:00:01Z",
			wantErr: "is after the recovery window of team-a/orders, which ends at 2026-12-07T12:00:00Z",
		},
		"NoArchivedTime": {
			reason: "A window with no archived time refuses the time, saying so, as the composition function does.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) {
				in.Status.AtProvider.RecoveryWindow.LastArchivedTime = nil
			},
			as: "copy", at: "2026-12-07T11:00:00Z",
			wantErr: "--to-time 2026-12-07T11:00:00Z cannot be placed in the recovery window of team-a/orders: no archived WAL is recorded yet",
		},
		"NoStore": {
			reason: "An instance without backup settings has nothing to restore.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) { in.Spec.ForProvider.Backup = nil },
			as:     "copy", at: "2026-12-07T11:00:00Z",
			wantErr: "has no backup store",
		},
		"NoBackupYet": {
			reason: "An instance with no completed backup has no window.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) {
				in.Status.AtProvider.RecoveryWindow.FirstRecoverabilityPoint = nil
			},
			as: "copy", at: "2026-12-07T11:00:00Z",
			wantErr: "has no completed backup yet",
		},
		"BadName": {
			reason: "A name that cannot name what the Database composes is refused.", as: "Copy_1", at: "2026-12-07T11:00:00Z",
			wantErr: `--into "Copy_1" cannot name the restored Database`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, in := planFixture(tc.mutate)
			got, err := planRestore(d, in, tc.as, tc.at)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nplanRestore(...): error %v, want one holding %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nplanRestore(...): %v", tc.reason, err)
			}
			want := map[string]any{
				"apiVersion": "platform.dbaas.io/v1alpha1",
				"kind":       "Database",
				"metadata":   map[string]any{"namespace": "team-a", "name": tc.as},
				"spec": map[string]any{
					"engine": "postgresql", "version": "15", "flavor": "vector", "tier": "standard", "sku": "small", "environment": "local",
					"storageGB": int64(10), "databaseName": "orders_db",
					"restore": map[string]any{"from": "orders", "toTime": tc.at},
				},
			}
			if diff := cmp.Diff(want, got.Object); diff != "" {
				t.Errorf("%s\nplanRestore(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPlanBackup(t *testing.T) {
	now := time.Date(2026, 12, 7, 19, 0, 1, 0, time.FixedZone("CET", 3600))
	cases := map[string]struct {
		reason   string
		mutate   func(*enginev1alpha1.DatabaseInstance)
		typ      string
		wantName string
		wantErr  string
	}{
		"Full":    {reason: "A Backup is named after the Database, its type and the time in UTC.", typ: "full", wantName: "orders-full-20261207-180001"},
		"Incr":    {reason: "Every pgBackRest type is taken.", typ: "incr", wantName: "orders-incr-20261207-180001"},
		"BadType": {reason: "A type pgBackRest has not is refused, listing those it has.", typ: "weekly", wantErr: `--type "weekly" is not a backup type: use one of full, diff, incr`},
		"NoStore": {
			reason: "An instance without backup settings is refused, saying where they come from.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) { in.Spec.ForProvider.Backup = nil },
			typ:    "full", wantErr: "has no backup store: its tier (standard) or its environment (local) composes no backups",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, in := planFixture(tc.mutate)
			b, err := planBackup(d, in, tc.typ, now)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nplanBackup(...): error %v, want one holding %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nplanBackup(...): %v", tc.reason, err)
			}
			if b.Name != tc.wantName || b.Namespace != "team-a" || b.Spec.ForProvider.Instance != "orders" || string(b.Spec.ForProvider.Type) != tc.typ {
				t.Errorf("%s\nplanBackup(...) = %s/%s %+v", tc.reason, b.Namespace, b.Name, b.Spec.ForProvider)
			}
		})
	}
}
