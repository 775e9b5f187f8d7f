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

	"k8s.io/utils/ptr"

	"github.com/dbaas-io/dbaas/apis/common"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// maxScheduleNameLength is the longest name a BackupSchedule may have (its
// CRD's rule): its Backups are named after it with a timestamp.
const maxScheduleNameLength = 63

const (
	msgNoBackupStoreFmt = "tier %s backs up its databases (schedule %q, kept %d days), but environment %s names no backupStore: " +
		"this Database gets no backups and cannot be restored; the platform team sets backupStore of environment %s " +
		"in the catalog to the name of a ClusterBackupStore"
	msgScheduleNameFmt = "tier %s backs up its databases, but this Database's BackupSchedule would be named %s, %d characters, " +
		"more than the %d a BackupSchedule may have: this Database gets no backups; a Database (or the composite of a claim) " +
		"named with at most %d characters is backed up"
)

// A backupPlan is what a tier's backup policy becomes in an environment.
type backupPlan struct {
	// Policy is the tier's policy when it is composed; nil when nothing is.
	Policy *v1beta1.BackupPolicy

	// Store is the environment's ClusterBackupStore.
	Store string

	// Warning says why a tier's policy is not composed; empty where it is,
	// or where the tier has none.
	Warning string
}

// planBackup decides whether a claim's database is backed up: only a tier
// with a backup policy, in an environment that names the store, is. The
// store is always the environment's ClusterBackupStore, never a store of
// the claim's namespace: the platform owns where backups go and the
// Secrets that reach it. A tier whose policy cannot be composed gets no
// backup and a warning rather than a Fatal, so that the database itself
// is still composed and kept up to date.
func planBackup(t target, s selection) backupPlan {
	b := s.Tier.Backup
	switch {
	case b == nil || s.Tier.Topology == v1beta1.TopologyShared:
		// The shared server is backed up by its owners; the catalog
		// check refuses a policy on a shared tier.
		return backupPlan{}
	case s.Environment.BackupStore == "":
		return backupPlan{Warning: fmt.Sprintf(msgNoBackupStoreFmt, s.Tier.Name, b.Schedule, b.RetentionDays, s.Environment.Name, s.Environment.Name)}
	}
	if name := t.name(nameBackupSchedule); len(name) > maxScheduleNameLength {
		return backupPlan{Warning: fmt.Sprintf(msgScheduleNameFmt, s.Tier.Name, name, len(name), maxScheduleNameLength,
			maxScheduleNameLength-(len(name)-len(t.XRName)))}
	}
	return backupPlan{Policy: b, Store: s.Environment.BackupStore}
}

// instanceBackup is the instance's spec.forProvider.backup of a plan, nil
// when the plan composes none. WAL archiving and its timeout keep the
// provider's defaults: a Backup needs WAL archived, and the policy's
// point-in-time window needs every segment.
//
// RetentionDays is the retention's fullDays (pgBackRest's
// repo-retention-full-type time): the oldest full backup kept is at least
// that old, and pgBackRest keeps the WAL of every backup it keeps, so the
// database can be restored to any second since. The retention has no
// separate setting for WAL (repo-retention-archive), so PITRWindowDays
// cannot keep WAL for less time than the backups; the catalog check makes
// sure it asks for no more.
func instanceBackup(p backupPlan) *enginev1alpha1.InstanceBackupParameters {
	if p.Policy == nil {
		return nil
	}
	return &enginev1alpha1.InstanceBackupParameters{
		Store:     p.Store,
		StoreKind: enginev1alpha1.StoreKindClusterBackupStore,
		Retention: &common.BackupRetention{FullDays: ptr.To(p.Policy.RetentionDays)},
	}
}

// composeBackupSchedule returns the schedule of the instance's full
// backups, or nil when the plan composes none. It takes one backup as
// soon as it is made, so that a new database, or one whose backups were
// just turned on, can be restored before the first scheduled time; that
// backup waits until the instance archives WAL. The schedule is read in
// UTC, its default.
func composeBackupSchedule(t target, p backupPlan) *opsv1alpha1.BackupSchedule {
	if p.Policy == nil {
		return nil
	}
	return &opsv1alpha1.BackupSchedule{
		ObjectMeta: t.meta(nameBackupSchedule),
		Spec: opsv1alpha1.BackupScheduleSpec{
			Instance:  t.name(nameInstance),
			Schedule:  p.Policy.Schedule,
			Type:      opsv1alpha1.BackupFull,
			Immediate: true,
		},
	}
}
