/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/utils/ptr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dbaas-io/dbaas/apis/common"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// planned is what a backup plan composes.
type planned struct {
	backup   *enginev1alpha1.InstanceBackupParameters
	schedule *opsv1alpha1.BackupSchedule
	warning  string
}

func TestPlanBackup(t *testing.T) {
	daily := &v1beta1.BackupPolicy{Schedule: "0 1 * * *", RetentionDays: 14, PITRWindowDays: 7}
	primary := v1beta1.Tier{Name: "ha", Topology: v1beta1.TopologyPrimary, Members: 3, Backup: daily}
	withStore := v1beta1.Environment{Name: "gcp", BackupStore: "platform-backups"}
	noStore := v1beta1.Environment{Name: "vsphere"}
	orders := target{XRName: "orders", Namespace: "team-a"}

	// backedUp is what a tier backed up daily, kept 14 days, into the
	// environment's store composes for a target.
	backedUp := func(tg target) planned {
		return planned{
			backup: &enginev1alpha1.InstanceBackupParameters{
				Store: "platform-backups", StoreKind: enginev1alpha1.StoreKindClusterBackupStore,
				Retention: &common.BackupRetention{FullDays: ptr.To[int32](14)},
			},
			schedule: &opsv1alpha1.BackupSchedule{
				ObjectMeta: tg.meta(nameBackupSchedule),
				Spec: opsv1alpha1.BackupScheduleSpec{
					Instance: tg.name(nameInstance), Schedule: "0 1 * * *", Type: opsv1alpha1.BackupFull, Immediate: true,
				},
			},
		}
	}
	cases := map[string]struct {
		reason string
		target target
		sel    selection
		want   planned
	}{
		"TierWithPolicyAndStore": {
			reason: "A tier with a policy in an environment with a store should archive into that ClusterBackupStore, keep full backups retentionDays, and take full backups on the tier's schedule, one at once.",
			target: orders,
			sel:    selection{Tier: primary, Environment: withStore},
			want:   backedUp(orders),
		},
		"TierWithoutPolicy": {
			reason: "A tier without a policy should get no backup and no warning, even where the environment has a store.",
			target: orders,
			sel:    selection{Tier: v1beta1.Tier{Name: "dev", Topology: v1beta1.TopologySingle, Members: 1}, Environment: withStore},
		},
		"SharedTier": {
			reason: "A shared tier should get nothing: its server is backed up by its owners.",
			target: orders,
			sel:    selection{Tier: v1beta1.Tier{Name: "shared", Topology: v1beta1.TopologyShared, Backup: daily}, Environment: withStore},
		},
		"EnvironmentWithoutStore": {
			reason: "A tier with a policy where the environment names no store should get no backup, and a warning naming the environment and what to set.",
			target: orders,
			sel:    selection{Tier: primary, Environment: noStore},
			want: planned{warning: `tier ha backs up its databases (schedule "0 1 * * *", kept 14 days), but environment vsphere names no backupStore: ` +
				`this Database gets no backups and cannot be restored; the platform team sets backupStore of environment vsphere ` +
				`in the catalog to the name of a ClusterBackupStore`},
		},
		"LongestName": {
			reason: "A composite named with 56 characters should be backed up: its schedule's name has the 63 a BackupSchedule may have.",
			target: target{XRName: strings.Repeat("a", 56), Namespace: "team-a"},
			sel:    selection{Tier: primary, Environment: withStore},
			want:   backedUp(target{XRName: strings.Repeat("a", 56), Namespace: "team-a"}),
		},
		"NameTooLong": {
			reason: "A composite whose schedule's name would pass 63 characters should get no backup, and a warning saying how long a name may be.",
			target: target{XRName: strings.Repeat("a", 57), Namespace: "team-a"},
			sel:    selection{Tier: primary, Environment: withStore},
			want: planned{warning: "tier ha backs up its databases, but this Database's BackupSchedule would be named " + strings.Repeat("a", 57) + "-backup, " +
				"64 characters, more than the 63 a BackupSchedule may have: this Database gets no backups; " +
				"a Database (or the composite of a claim) named with at most 56 characters is backed up"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := planBackup(tc.target, tc.sel)
			got := planned{backup: instanceBackup(p), schedule: composeBackupSchedule(tc.target, p), warning: p.Warning}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(planned{})); diff != "" {
				t.Errorf("%s\nplanBackup(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// liveBackedUp is the observed DatabaseInstance of a live standard database on
// local that archives into store, or into none when store is empty.
func liveBackedUp(store string) *fnv1.Resource {
	in := liveInstance("primary", 2, "15", 20, "local")
	if store == "" {
		return in
	}
	fp := in.GetResource().GetFields()["spec"].GetStructValue().GetFields()["forProvider"].GetStructValue()
	fp.Fields["backup"] = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		"store":     structpb.NewStringValue(store),
		"storeKind": structpb.NewStringValue("ClusterBackupStore"),
	}})
	return in
}

// TestBackupChanges checks what a change of the tier or of the environment's
// store does to a live database's backups: each is composed, none refused.
func TestBackupChanges(t *testing.T) {
	type args struct {
		catalog  func(c *v1beta1.Catalog)
		xr       *structpb.Struct
		observed map[string]*fnv1.Resource
	}
	type want struct {
		// store is the instance's desired spec.forProvider.backup.store;
		// empty when it has no backup.
		store    string
		schedule bool
		warnings []string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"DevToStandardTurnsBackupOn": {
			reason: "A live dev database moving to standard should gain backups into the environment's store and a schedule.",
			args: args{
				xr:       tierXR("standard", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("single", 1, "15", 20, "local")},
			},
			want: want{store: "local-backups", schedule: true},
		},
		"StoreAddedToEnvironment": {
			reason: "A live standard database that has no backup, in an environment that now names a store, should gain backups there: turning backups on is allowed.",
			args: args{
				xr:       tierXR("standard", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveBackedUp("")},
			},
			want: want{store: "local-backups", schedule: true},
		},
		"StoreOfEnvironmentChanged": {
			reason: "A live database archiving into the environment's former store should follow the environment to its new store.",
			args: args{
				xr:       tierXR("standard", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveBackedUp("old-backups")},
			},
			want: want{store: "local-backups", schedule: true},
		},
		"StoreRemovedFromEnvironment": {
			reason: "A live database whose environment no longer names a store should lose its backups, with a warning that says why.",
			args: args{
				catalog:  func(c *v1beta1.Catalog) { c.Environments[0].BackupStore = "" },
				xr:       tierXR("ha", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveBackedUp("local-backups")},
			},
			want: want{warnings: []string{`tier ha backs up its databases (schedule "0 1 * * *", kept 14 days), but environment local names no backupStore: ` +
				`this Database gets no backups and cannot be restored; the platform team sets backupStore of environment local ` +
				`in the catalog to the name of a ClusterBackupStore`}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := tiersCatalog()
			if tc.args.catalog != nil {
				tc.args.catalog(c)
			}
			rsp := runTiers(t, c, tc.args.xr, tc.args.observed)
			var warnings []string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() != fnv1.Severity_SEVERITY_WARNING || r.GetTarget() != fnv1.Target_TARGET_COMPOSITE_AND_CLAIM {
					t.Fatalf("%s\nf.RunFunction(...): want only warnings to the composite and claim, got %v", tc.reason, r)
				}
				warnings = append(warnings, r.GetMessage())
			}
			res := rsp.GetDesired().GetResources()
			in, ok := res[string(nameInstance)]
			if !ok {
				t.Fatalf("%s\nf.RunFunction(...): no instance composed; results %v", tc.reason, rsp.GetResults())
			}
			store, _ := fieldpath.Pave(in.GetResource().AsMap()).GetString("spec.forProvider.backup.store")
			_, schedule := res[string(nameBackupSchedule)]
			got := want{store: store, schedule: schedule, warnings: warnings}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
