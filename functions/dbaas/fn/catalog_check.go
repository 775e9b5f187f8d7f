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
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
	"github.com/dbaas-io/dbaas/internal/cronexpr"
)

// Bounds of catalog entries, the same as the catalog types' markers and the
// managed resources' schemas they are composed into.
const (
	maxMembers           = 6
	minSKUCPU            = 1
	minSKUMemoryMiB      = 256
	minSKUMaxConnections = 5
	maxSKUMaxConnections = 10000
	maxSKUSharedBuffers  = 1048576
	maxRetentionDays     = 9999999
)

// providerConfigKinds are the kinds a providerConfigRef may name.
var providerConfigKinds = []string{"ClusterProviderConfig", "ProviderConfig"}

// decimal is a price: a non-negative decimal such as 12 or 12.50, written
// as a string so that YAML does not turn it into an imprecise float. Its
// group is the decimals, which the cost keeps (see parsePrice).
var decimal = regexp.MustCompile(`^[0-9]+(?:\.([0-9]+))?$`)

// checkCatalog returns every problem of a decoded catalog that its types
// cannot express: entries that contradict themselves or name entries the
// catalog does not hold. Each names the EnvironmentConfig, the entry and the
// field, and says what is accepted.
func checkCatalog(c *v1beta1.Catalog, from origins) []string {
	var problems []string
	report := func(list, name string, errs field.ErrorList) {
		for _, err := range errs {
			problems = append(problems, catalogProblem(from.of(list, name), err))
		}
	}
	for _, e := range c.Engines {
		report(listEngines, e.Name, checkEngine(e, c.Flavors, catalogEntry(listEngines, e.Name)))
	}
	for _, t := range c.Tiers {
		report(listTiers, t.Name, checkTier(t, catalogEntry(listTiers, t.Name)))
	}
	for _, s := range c.SKUs {
		report(listSKUs, s.Name, checkSKU(s, catalogEntry(listSKUs, s.Name)))
	}
	for _, f := range c.Flavors {
		report(listFlavors, f.Name, checkFlavor(f, c.Engines, catalogEntry(listFlavors, f.Name)))
	}
	for _, e := range c.Environments {
		report(listEnvironments, e.Name, checkEnvironment(e, c.Tiers, c.SKUs, catalogEntry(listEnvironments, e.Name)))
	}
	return problems
}

// catalogEntry is the path of a named entry in an EnvironmentConfig.
func catalogEntry(list, name string) *field.Path {
	return field.NewPath("data", list).Key(name)
}

// checkEngine checks that an engine's defaults are among what it offers.
func checkEngine(e v1beta1.Engine, flavors []v1beta1.Flavor, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(e.Versions) == 0 {
		errs = append(errs, field.Required(p.Child("versions"), "list the versions Databases may ask for, for example [\"15\"]"))
	} else if !slices.Contains(e.Versions, e.DefaultVersion) {
		errs = append(errs, field.NotSupported(p.Child("defaultVersion"), e.DefaultVersion, e.Versions))
	}
	if e.DefaultFlavor != "" {
		var mine []string
		for _, f := range flavors {
			if f.Engine == e.Name {
				mine = append(mine, f.Name)
			}
		}
		if !slices.Contains(mine, e.DefaultFlavor) {
			errs = append(errs, notOneOf(p.Child("defaultFlavor"), e.DefaultFlavor, "a flavor of engine "+e.Name, acceptedOf(mine)))
		}
	}
	return errs
}

// checkTier checks that a tier's members, replication and failover fit its
// topology.
func checkTier(t v1beta1.Tier, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	members := p.Child("members")
	switch t.Topology {
	case v1beta1.TopologySingle:
		if t.Members != 1 {
			errs = append(errs, field.Invalid(members, t.Members, "a single tier has exactly 1 member"))
		}
	case v1beta1.TopologyPrimary:
		if t.Members < 2 || t.Members > maxMembers {
			errs = append(errs, field.Invalid(members, t.Members,
				fmt.Sprintf("a primary tier has from 2 members (a primary and a replica) to %d", maxMembers)))
		}
	case v1beta1.TopologyShared:
		if t.Members != 0 {
			errs = append(errs, field.Forbidden(members,
				"a shared tier has no members of its own: its databases live on the environment's sharedServer; remove members"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("topology"), t.Topology,
			[]v1beta1.Topology{v1beta1.TopologySingle, v1beta1.TopologyPrimary, v1beta1.TopologyShared}))
	}

	switch t.Replication {
	case "", v1beta1.ReplicationAsync:
	case v1beta1.ReplicationSync:
		if t.Topology != v1beta1.TopologyPrimary {
			errs = append(errs, field.Forbidden(p.Child("replication"),
				"only a tier with topology primary replicates: use topology primary, or remove replication"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("replication"), t.Replication,
			[]v1beta1.ReplicationMode{v1beta1.ReplicationAsync, v1beta1.ReplicationSync}))
	}
	if t.SyncQuorum != 0 && (t.SyncQuorum < 1 || t.SyncQuorum >= t.Members) {
		errs = append(errs, field.Invalid(p.Child("syncQuorum"), t.SyncQuorum,
			fmt.Sprintf("must be from 1 to members - 1 (%d): only replicas confirm a commit", t.Members-1)))
	}
	if t.Failover && t.Topology != v1beta1.TopologyPrimary {
		errs = append(errs, field.Forbidden(p.Child("failover"),
			"only a tier with topology primary has replicas to fail over to: use topology primary, or remove failover"))
	}

	if t.Backup != nil {
		errs = append(errs, checkBackupPolicy(*t.Backup, t.Topology, p.Child("backup"))...)
	}
	return errs
}

// checkBackupPolicy checks that a tier's backup policy composes into a
// BackupSchedule and a retention the provider accepts, on a tier that has
// an instance to back up.
func checkBackupPolicy(b v1beta1.BackupPolicy, topology v1beta1.Topology, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if topology == v1beta1.TopologyShared {
		// The shared server is not the platform's instance: its backups
		// are its owners', and it has no stanza of the database's own.
		errs = append(errs, field.Forbidden(p,
			"a shared tier's databases live on the environment's sharedServer, which its owners back up: remove backup"))
	}
	switch _, err := cronexpr.Parse("schedule", b.Schedule); {
	case b.Schedule == "":
		errs = append(errs, field.Required(p.Child("schedule"), "a cron schedule of full backups, for example \"0 1 * * *\""))
	case err != nil:
		errs = append(errs, field.Invalid(p.Child("schedule"), b.Schedule, err.Error()))
	}
	if b.RetentionDays < 1 || b.RetentionDays > maxRetentionDays {
		errs = append(errs, field.Invalid(p.Child("retentionDays"), b.RetentionDays, fmt.Sprintf("must be from 1 to %d", maxRetentionDays)))
	}
	switch {
	case b.PITRWindowDays < 0:
		errs = append(errs, field.Invalid(p.Child("pitrWindowDays"), b.PITRWindowDays, "must be 0 (restore to a backup only) or more"))
	case b.PITRWindowDays > b.RetentionDays && b.RetentionDays >= 1:
		errs = append(errs, field.Invalid(p.Child("pitrWindowDays"), b.PITRWindowDays,
			fmt.Sprintf("must not be more than retentionDays (%d): a restore to a time starts from a backup taken before it; raise retentionDays or lower pitrWindowDays", b.RetentionDays)))
	}
	return errs
}

// checkSKU checks that a SKU sizes a machine the backends and the engine can
// run.
func checkSKU(s v1beta1.SKU, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.CPU < minSKUCPU {
		errs = append(errs, field.Invalid(p.Child("cpu"), s.CPU, fmt.Sprintf("must be %d or more", minSKUCPU)))
	}
	if s.MemoryMiB < minSKUMemoryMiB {
		errs = append(errs, field.Invalid(p.Child("memoryMiB"), s.MemoryMiB, fmt.Sprintf("must be %d or more", minSKUMemoryMiB)))
	}
	if m := s.MaxConnections; m != nil && (*m < minSKUMaxConnections || *m > maxSKUMaxConnections) {
		errs = append(errs, field.Invalid(p.Child("maxConnections"), *m,
			fmt.Sprintf("must be from %d to %d", minSKUMaxConnections, maxSKUMaxConnections)))
	}
	if b := s.SharedBuffersMB; b != nil && (*b < 1 || *b > maxSKUSharedBuffers) {
		errs = append(errs, field.Invalid(p.Child("sharedBuffersMB"), *b, fmt.Sprintf("must be from 1 to %d", maxSKUSharedBuffers)))
	}
	return errs
}

// checkFlavor checks that a flavor is of an engine the catalog offers and
// creates only extensions that engine allows.
func checkFlavor(f v1beta1.Flavor, engines []v1beta1.Engine, p *field.Path) field.ErrorList {
	if _, ok := find(engines, engineName, f.Engine); !ok {
		return field.ErrorList{notOneOf(p.Child("engine"), f.Engine, "an engine of the catalog", accepted(engines, engineName))}
	}
	allowed, ok := engineExtensions[f.Engine]
	if !ok && len(f.Extensions) > 0 {
		return field.ErrorList{field.Forbidden(p.Child("extensions"), "engine "+f.Engine+" allows no extensions")}
	}
	var errs field.ErrorList
	for i, x := range f.Extensions {
		if !slices.Contains(allowed, x) {
			errs = append(errs, notOneOf(p.Child("extensions").Index(i), x, "in the allow-list of engine "+f.Engine, acceptedOf(allowed)))
		}
	}
	return errs
}

// checkEnvironment checks that an environment names the tiers and SKUs of the
// catalog, prices with decimals, says where its shared tier lives, and names
// its backup store as a ClusterBackupStore can be named.
func checkEnvironment(e v1beta1.Environment, tiers []v1beta1.Tier, skus []v1beta1.SKU, p *field.Path) field.ErrorList {
	errs := checkProviderConfigRef(e.ProviderConfigRef, p.Child("providerConfigRef"))

	for i, t := range e.AllowedTiers {
		if _, ok := find(tiers, tierName, t); !ok {
			errs = append(errs, notOneOf(p.Child("allowedTiers").Index(i), t, "a tier of the catalog", accepted(tiers, tierName)))
		}
	}

	if s := e.SharedServer; s != nil {
		ref := p.Child("sharedServer", "providerConfigRef")
		if s.ProviderConfigRef == (v1beta1.ProviderConfigReference{}) {
			errs = append(errs, field.Required(ref,
				"name the ClusterProviderConfig whose spec.server holds the shared tier's databases"))
		} else {
			errs = append(errs, checkProviderConfigRef(s.ProviderConfigRef, ref)...)
		}
	}

	if e.BackupStore != "" {
		if msgs := validation.IsDNS1123Subdomain(e.BackupStore); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("backupStore"), e.BackupStore,
				"must be the name of a ClusterBackupStore: "+strings.Join(msgs, "; ")))
		}
	}

	if pr := e.Pricing; pr != nil {
		pp := p.Child("pricing")
		if pr.Currency == "" {
			errs = append(errs, field.Required(pp.Child("currency"), "the currency of every price, for example EUR"))
		}
		for _, sku := range slices.Sorted(maps.Keys(pr.SKUs)) {
			kp := pp.Child("skus").Key(sku)
			if _, ok := find(skus, skuName, sku); !ok {
				errs = append(errs, notOneOf(kp, sku, "a SKU of the catalog", accepted(skus, skuName)))
			}
			errs = append(errs, checkPrice(kp, pr.SKUs[sku])...)
		}
		if pr.StorageGB != "" {
			errs = append(errs, checkPrice(pp.Child("storageGB"), pr.StorageGB)...)
		}
	}
	return errs
}

func checkProviderConfigRef(r v1beta1.ProviderConfigReference, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !slices.Contains(providerConfigKinds, r.Kind) {
		errs = append(errs, field.NotSupported(p.Child("kind"), r.Kind, providerConfigKinds))
	}
	if r.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "the name of the provider config"))
	}
	return errs
}

func checkPrice(p *field.Path, price v1beta1.Price) field.ErrorList {
	if decimal.MatchString(string(price)) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, string(price),
		`must be a non-negative decimal in quotes, such as "12.50"`)}
}

// notOneOf reports a value that is not among the accepted ones.
func notOneOf(p *field.Path, v, what, accepted string) *field.Error {
	return field.Invalid(p, v, "must be "+what+": accepted values are "+accepted)
}
