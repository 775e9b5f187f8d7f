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
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// messages renders field errors as the Fatal shows them.
func messages(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestCheckEngine(t *testing.T) {
	flavors := []v1beta1.Flavor{
		{Name: "postgresql", Engine: "postgresql"},
		{Name: "postgis", Engine: "postgresql", Extensions: []string{"postgis"}},
		{Name: "maria", Engine: "mariadb"},
	}
	cases := map[string]struct {
		reason string
		engine v1beta1.Engine
		want   []string
	}{
		"Valid": {
			reason: "An engine whose defaults it offers should have no problem.",
			engine: v1beta1.Engine{Name: "postgresql", Versions: []string{"15", "16"}, DefaultVersion: "16", DefaultFlavor: "postgis"},
		},
		"NoDefaultFlavor": {
			reason: "An engine without a default flavor should have no problem: Databases then name one.",
			engine: v1beta1.Engine{Name: "postgresql", Versions: []string{"15"}, DefaultVersion: "15"},
		},
		"NoVersions": {
			reason: "An engine without versions should be refused.",
			engine: v1beta1.Engine{Name: "postgresql", DefaultVersion: "15"},
			want:   []string{`data.engines[postgresql].versions: Required value: list the versions Databases may ask for, for example ["15"]`},
		},
		"DefaultVersionNotOffered": {
			reason: "A default version the engine does not offer should be refused with its versions.",
			engine: v1beta1.Engine{Name: "postgresql", Versions: []string{"15", "16"}, DefaultVersion: "14"},
			want:   []string{`data.engines[postgresql].defaultVersion: Unsupported value: "14": supported values: "15", "16"`},
		},
		"DefaultFlavorOfAnotherEngine": {
			reason: "A default flavor of another engine should be refused with this engine's flavors.",
			engine: v1beta1.Engine{Name: "postgresql", Versions: []string{"15"}, DefaultVersion: "15", DefaultFlavor: "maria"},
			want: []string{`data.engines[postgresql].defaultFlavor: Invalid value: "maria": ` +
				`must be a flavor of engine postgresql: accepted values are postgis, postgresql`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := messages(checkEngine(tc.engine, flavors, catalogEntry(listEngines, tc.engine.Name)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckEngine(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheckTier(t *testing.T) {
	backup := &v1beta1.BackupPolicy{Schedule: "0 1 * * *", RetentionDays: 7}
	cases := map[string]struct {
		reason string
		tier   v1beta1.Tier
		want   []string
	}{
		"Dev": {
			reason: "A single tier of one member should have no problem.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle, Members: 1},
		},
		"Standard": {
			reason: "A primary tier of two members with async replication, failover and backups should have no problem.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyPrimary, Members: 2, Replication: v1beta1.ReplicationAsync, Failover: true, Backup: backup},
		},
		"HA": {
			reason: "A primary tier of three members with a sync quorum of 2 should have no problem.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyPrimary, Members: 3, Replication: v1beta1.ReplicationSync, SyncQuorum: 2, Failover: true},
		},
		"Shared": {
			reason: "A shared tier without members should have no problem.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyShared},
		},
		"UnknownTopology": {
			reason: "A topology that does not exist should be refused with the topologies.",
			tier:   v1beta1.Tier{Name: "t", Topology: "ring", Members: 3},
			want:   []string{`data.tiers[t].topology: Unsupported value: "ring": supported values: "single", "primary", "shared"`},
		},
		"SingleWithoutMembers": {
			reason: "A single tier must say it has one member.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle},
			want:   []string{`data.tiers[t].members: Invalid value: 0: a single tier has exactly 1 member`},
		},
		"PrimaryOfOne": {
			reason: "A primary tier of one member has no replica and should be refused.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyPrimary, Members: 1},
			want:   []string{`data.tiers[t].members: Invalid value: 1: a primary tier has from 2 members (a primary and a replica) to 6`},
		},
		"PrimaryOfSeven": {
			reason: "A primary tier above the members an instance may have should be refused.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyPrimary, Members: 7},
			want:   []string{`data.tiers[t].members: Invalid value: 7: a primary tier has from 2 members (a primary and a replica) to 6`},
		},
		"SharedWithMembers": {
			reason: "A shared tier has no machines, so members should be refused.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyShared, Members: 1},
			want: []string{`data.tiers[t].members: Forbidden: a shared tier has no members of its own: ` +
				`its databases live on the environment's sharedServer; remove members`},
		},
		"SyncQuorumOfEveryMember": {
			reason: "A sync quorum equal to the members counts the primary and should be refused.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyPrimary, Members: 2, Replication: v1beta1.ReplicationSync, SyncQuorum: 2},
			want:   []string{`data.tiers[t].syncQuorum: Invalid value: 2: must be from 1 to members - 1 (1): only replicas confirm a commit`},
		},
		"SyncOnShared": {
			reason: "Sync replication on a tier without replicas should be refused.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyShared, Replication: v1beta1.ReplicationSync},
			want: []string{`data.tiers[t].replication: Forbidden: only a tier with topology primary replicates: ` +
				`use topology primary, or remove replication`},
		},
		"UnknownReplication": {
			reason: "A replication mode that does not exist should be refused with the modes.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyPrimary, Members: 2, Replication: "semi"},
			want:   []string{`data.tiers[t].replication: Unsupported value: "semi": supported values: "async", "sync"`},
		},
		"FailoverOnSingle": {
			reason: "Failover on a tier without replicas should be refused.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle, Members: 1, Failover: true},
			want: []string{`data.tiers[t].failover: Forbidden: only a tier with topology primary has replicas to fail over to: ` +
				`use topology primary, or remove failover`},
		},
		"BackupWithoutScheduleOrRetention": {
			reason: "A backup policy without a schedule or retention should be refused field by field.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle, Members: 1, Backup: &v1beta1.BackupPolicy{PITRWindowDays: -1}},
			want: []string{
				`data.tiers[t].backup.schedule: Required value: a cron schedule of full backups, for example "0 1 * * *"`,
				`data.tiers[t].backup.retentionDays: Invalid value: 0: must be from 1 to 9999999`,
				`data.tiers[t].backup.pitrWindowDays: Invalid value: -1: must be 0 (restore to a backup only) or more`,
			},
		},
		"BackupWithPITRWindow": {
			reason: "A point-in-time window as long as the retention should have no problem.",
			tier: v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle, Members: 1,
				Backup: &v1beta1.BackupPolicy{Schedule: "@daily", RetentionDays: 7, PITRWindowDays: 7}},
		},
		"BackupScheduleNotCron": {
			reason: "A schedule the BackupSchedule controller cannot read should be refused with what is accepted, before it is composed.",
			tier: v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle, Members: 1,
				Backup: &v1beta1.BackupPolicy{Schedule: "0 25 * * *", RetentionDays: 7}},
			want: []string{`data.tiers[t].backup.schedule: Invalid value: "0 25 * * *": schedule "0 25 * * *" is not a cron schedule ` +
				`(5 fields: minute hour day-of-month month day-of-week; 6 with seconds first; or a descriptor such as @daily or @every 1h): ` +
				`end of range (25) above maximum (23): 25`},
		},
		"BackupScheduleWithTimeZone": {
			reason: "A schedule with a time zone prefix should be refused: the composed schedule is read in UTC.",
			tier: v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle, Members: 1,
				Backup: &v1beta1.BackupPolicy{Schedule: "TZ=Europe/Berlin 0 1 * * *", RetentionDays: 7}},
			want: []string{`data.tiers[t].backup.schedule: Invalid value: "TZ=Europe/Berlin 0 1 * * *": ` +
				`schedule "TZ=Europe/Berlin 0 1 * * *" has a time zone prefix: set spec.timeZone instead`},
		},
		"PITRWindowLongerThanRetention": {
			reason: "A point-in-time window longer than the backups are kept should be refused: a restore to a time needs a backup before it.",
			tier: v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyPrimary, Members: 2,
				Backup: &v1beta1.BackupPolicy{Schedule: "0 1 * * *", RetentionDays: 7, PITRWindowDays: 14}},
			want: []string{`data.tiers[t].backup.pitrWindowDays: Invalid value: 14: must not be more than retentionDays (7): ` +
				`a restore to a time starts from a backup taken before it; raise retentionDays or lower pitrWindowDays`},
		},
		"RetentionTooLong": {
			reason: "A retention beyond what the instance's retention accepts should be refused.",
			tier: v1beta1.Tier{Name: "t", Topology: v1beta1.TopologySingle, Members: 1,
				Backup: &v1beta1.BackupPolicy{Schedule: "0 1 * * *", RetentionDays: 10000000}},
			want: []string{`data.tiers[t].backup.retentionDays: Invalid value: 10000000: must be from 1 to 9999999`},
		},
		"SharedWithBackup": {
			reason: "A backup policy on a shared tier should be refused: the shared server is backed up by its owners.",
			tier:   v1beta1.Tier{Name: "t", Topology: v1beta1.TopologyShared, Backup: backup},
			want: []string{`data.tiers[t].backup: Forbidden: a shared tier's databases live on the environment's sharedServer, ` +
				`which its owners back up: remove backup`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := messages(checkTier(tc.tier, catalogEntry(listTiers, tc.tier.Name)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckTier(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheckSKU(t *testing.T) {
	cases := map[string]struct {
		reason string
		sku    v1beta1.SKU
		want   []string
	}{
		"Valid": {
			reason: "A SKU within every bound should have no problem.",
			sku:    v1beta1.SKU{Name: "s", CPU: 1, MemoryMiB: 256, MaxConnections: ptr.To[int32](5), SharedBuffersMB: ptr.To[int32](64)},
		},
		"NoCPU": {
			reason: "A SKU without CPUs should be refused.",
			sku:    v1beta1.SKU{Name: "s", CPU: 0, MemoryMiB: 1024},
			want:   []string{`data.skus[s].cpu: Invalid value: 0: must be 1 or more`},
		},
		"TooLittleMemory": {
			reason: "A SKU below 256 MiB should be refused.",
			sku:    v1beta1.SKU{Name: "s", CPU: 1, MemoryMiB: 255},
			want:   []string{`data.skus[s].memoryMiB: Invalid value: 255: must be 256 or more`},
		},
		"OverridesOutOfRange": {
			reason: "Overrides outside what the instance accepts should be refused.",
			sku:    v1beta1.SKU{Name: "s", CPU: 1, MemoryMiB: 1024, MaxConnections: ptr.To[int32](10001), SharedBuffersMB: ptr.To[int32](0)},
			want: []string{
				`data.skus[s].maxConnections: Invalid value: 10001: must be from 5 to 10000`,
				`data.skus[s].sharedBuffersMB: Invalid value: 0: must be from 1 to 1048576`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := messages(checkSKU(tc.sku, catalogEntry(listSKUs, tc.sku.Name)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckSKU(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheckFlavor(t *testing.T) {
	engines := []v1beta1.Engine{{Name: "postgresql"}, {Name: "mysql"}}
	cases := map[string]struct {
		reason string
		flavor v1beta1.Flavor
		want   []string
	}{
		"Plain": {
			reason: "A flavor without extensions should have no problem.",
			flavor: v1beta1.Flavor{Name: "f", Engine: "postgresql"},
		},
		"Vector": {
			reason: "A flavor with allowed extensions should have no problem.",
			flavor: v1beta1.Flavor{Name: "f", Engine: "postgresql", Extensions: []string{"vector", "pg_trgm"}},
		},
		"UnknownEngine": {
			reason: "A flavor of an engine the catalog does not offer should be refused with the engines.",
			flavor: v1beta1.Flavor{Name: "f", Engine: "oracle"},
			want:   []string{`data.flavors[f].engine: Invalid value: "oracle": must be an engine of the catalog: accepted values are mysql, postgresql`},
		},
		"ExtensionNotAllowed": {
			reason: "An extension outside the allow-list should be refused at its index.",
			flavor: v1beta1.Flavor{Name: "f", Engine: "postgresql", Extensions: []string{"vector", "plpython3u"}},
			want: []string{`data.flavors[f].extensions[1]: Invalid value: "plpython3u": must be in the allow-list of engine postgresql: ` +
				`accepted values are btree_gin, btree_gist, citext, cube, earthdistance, fuzzystrmatch, hstore, intarray, isn, ` +
				`ltree, pg_stat_statements, pg_trgm, pgcrypto, postgis, postgis_topology, tablefunc, unaccent, uuid-ossp, vector`},
		},
		"EngineWithoutExtensions": {
			reason: "Extensions of an engine without an allow-list should be refused.",
			flavor: v1beta1.Flavor{Name: "f", Engine: "mysql", Extensions: []string{"vector"}},
			want:   []string{`data.flavors[f].extensions: Forbidden: engine mysql allows no extensions`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := messages(checkFlavor(tc.flavor, engines, catalogEntry(listFlavors, tc.flavor.Name)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckFlavor(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheckEnvironment(t *testing.T) {
	tiers := []v1beta1.Tier{{Name: "dev"}, {Name: "ha"}}
	skus := []v1beta1.SKU{{Name: "small"}, {Name: "large"}}
	pc := v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "gcp"}
	cases := map[string]struct {
		reason string
		env    v1beta1.Environment
		want   []string
	}{
		"Valid": {
			reason: "An environment naming known tiers and SKUs, with decimal prices and a shared server, should have no problem.",
			env: v1beta1.Environment{
				Name: "e", ProviderConfigRef: pc, AllowedTiers: []string{"ha"},
				SharedServer: &v1beta1.SharedServer{ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "dbas"}},
				Pricing:      &v1beta1.Pricing{Currency: "EUR", SKUs: map[string]v1beta1.Price{"small": "12", "large": "99.50"}, StorageGB: "0.08"},
			},
		},
		"ProviderConfigRefIncomplete": {
			reason: "A provider config reference without a known kind or a name should be refused field by field.",
			env:    v1beta1.Environment{Name: "e", ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "Config"}},
			want: []string{
				`data.environments[e].providerConfigRef.kind: Unsupported value: "Config": supported values: "ClusterProviderConfig", "ProviderConfig"`,
				`data.environments[e].providerConfigRef.name: Required value: the name of the provider config`,
			},
		},
		"AllowedTierUnknown": {
			reason: "An allowed tier the catalog does not offer should be refused with the tiers.",
			env:    v1beta1.Environment{Name: "e", ProviderConfigRef: pc, AllowedTiers: []string{"ha", "gold"}},
			want:   []string{`data.environments[e].allowedTiers[1]: Invalid value: "gold": must be a tier of the catalog: accepted values are dev, ha`},
		},
		"SharedServerWithoutProviderConfig": {
			reason: "A shared server that names no provider config should be refused.",
			env:    v1beta1.Environment{Name: "e", ProviderConfigRef: pc, SharedServer: &v1beta1.SharedServer{DatabaseClass: "dba"}},
			want: []string{`data.environments[e].sharedServer.providerConfigRef: Required value: ` +
				`name the ClusterProviderConfig whose spec.server holds the shared tier's databases`},
		},
		"SharedServerWithoutName": {
			reason: "A shared server's provider config reference without a name should be refused.",
			env: v1beta1.Environment{Name: "e", ProviderConfigRef: pc,
				SharedServer: &v1beta1.SharedServer{ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig"}}},
			want: []string{`data.environments[e].sharedServer.providerConfigRef.name: Required value: the name of the provider config`},
		},
		"PricingProblems": {
			reason: "Pricing without a currency, of an unknown SKU, or with prices that are not non-negative decimals should be refused.",
			env: v1beta1.Environment{Name: "e", ProviderConfigRef: pc,
				Pricing: &v1beta1.Pricing{SKUs: map[string]v1beta1.Price{"small": "1e3", "huge": "10"}, StorageGB: "-0.1"}},
			want: []string{
				`data.environments[e].pricing.currency: Required value: the currency of every price, for example EUR`,
				`data.environments[e].pricing.skus[huge]: Invalid value: "huge": must be a SKU of the catalog: accepted values are large, small`,
				`data.environments[e].pricing.skus[small]: Invalid value: "1e3": must be a non-negative decimal in quotes, such as "12.50"`,
				`data.environments[e].pricing.storageGB: Invalid value: "-0.1": must be a non-negative decimal in quotes, such as "12.50"`,
			},
		},
		"BackupStore": {
			reason: "A backup store named as a ClusterBackupStore can be should have no problem.",
			env:    v1beta1.Environment{Name: "e", ProviderConfigRef: pc, BackupStore: "platform-backups.eu"},
		},
		"BackupStoreNotAName": {
			reason: "A backup store that cannot be the name of a ClusterBackupStore should be refused, saying what a name may hold.",
			env:    v1beta1.Environment{Name: "e", ProviderConfigRef: pc, BackupStore: "../Platform"},
			want: []string{`data.environments[e].backupStore: Invalid value: "../Platform": must be the name of a ClusterBackupStore: ` +
				`a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character ` +
				`(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := messages(checkEnvironment(tc.env, tiers, skus, catalogEntry(listEnvironments, tc.env.Name)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckEnvironment(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheckCatalog(t *testing.T) {
	from := origins{}
	from.set(listTiers, "dev", "tiers-ec")
	from.set(listSKUs, "small", "skus-ec")
	cases := map[string]struct {
		reason  string
		catalog *v1beta1.Catalog
		want    []string
	}{
		"NoProblem": {
			reason:  "A catalog with no problem should yield none.",
			catalog: catalog(),
		},
		"NamesTheEnvironmentConfig": {
			reason: "Each problem should name the EnvironmentConfig its entry came from.",
			catalog: &v1beta1.Catalog{
				Tiers: []v1beta1.Tier{{Name: "dev", Topology: v1beta1.TopologySingle, Members: 2}},
				SKUs:  []v1beta1.SKU{{Name: "small", CPU: 1, MemoryMiB: 1}},
			},
			want: []string{
				`EnvironmentConfig tiers-ec: data.tiers[dev].members: Invalid value: 2: a single tier has exactly 1 member`,
				`EnvironmentConfig skus-ec: data.skus[small].memoryMiB: Invalid value: 1: must be 256 or more`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := checkCatalog(tc.catalog, from)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckCatalog(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
