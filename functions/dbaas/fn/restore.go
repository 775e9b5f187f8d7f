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
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// The names under which the function asks core for the DatabaseInstance
// of the Database a restore names, and for its database (sql.dbaas.io),
// whose name in the engine the restored data keeps.
const (
	requiredRestoreSource   = "restore-source"
	requiredRestoreDatabase = "restore-source-database"
)

// annotationRestoredDatabase records on a restored instance the name of the
// database its data holds, the source's, so that later passes compose the
// same database without reading the source again.
const annotationRestoredDatabase = "dbaas.io/restored-database"

// A restore is what a restoring Database's instance and database become.
type restore struct {
	// Bootstrap is the instance's spec.forProvider.bootstrap.
	Bootstrap *enginev1alpha1.BootstrapParameters

	// Database is the source's database, which the restored data holds
	// with its role: the restored Database's User and Database import them.
	Database string
}

// labelComposite is the label core puts on every composed resource, naming
// the v2 XR that composed it.
const labelComposite = "crossplane.io/composite"

// restoreSpec is a Database's spec.restore.
type restoreSpec struct {
	From   string `json:"from"`
	ToTime string `json:"toTime"`
}

const (
	errRestoreTimeFmt        = "spec.restore.toTime %q is not a time: give it in RFC 3339, such as 2026-12-07T11:30:00Z or 2026-12-07T12:30:00+01:00"
	errRestoreItselfFmt      = "spec.restore.from names this Database, %s: name another Database of namespace %s"
	errRestoreSharedFmt      = "tier %s puts the database on a shared server, which a restore cannot start: choose a tier with an instance of its own to restore into"
	errRestoreNoSourceFmt    = "spec.restore.from names %s, but namespace %s has no Database %s with a DatabaseInstance: name a Database of this namespace whose tier runs an instance of its own (not shared)"
	errRestoreOtherNSFmt     = "spec.restore.from names %s, whose DatabaseInstance %s is in namespace %s: a Database restores only the backups of its own namespace, %s"
	errRestoreAmbiguousFmt   = "spec.restore.from names %s, but namespace %s holds %d DatabaseInstances composed for it: restore from one of them with a DatabaseInstance's spec.forProvider.bootstrap.recovery instead"
	errRestoreNoBackupsFmt   = "spec.restore.from names %s, which has no backups (its tier or environment composes no backup policy): there is nothing to restore from"
	errRestoreNoneYetFmt     = "spec.restore.from names %s, which has no completed backup yet: a restore starts from one (kubectl dbaas backup %s); this Database is composed once there is one"
	errRestoreVersionFmt     = "spec.restore.from names %s, which runs %s %s, but this Database asks for %s %s: a restore runs the source's engine and major version; set spec.engine and spec.version to them"
	errRestoreEarlyFmt       = "spec.restore.toTime %v: give a later time"
	errRestoreLateFmt        = "spec.restore.toTime %v: this Database is composed once the archive reaches that time"
	errRestoreNoBootstrapFmt = "spec.restore is set, but this Database's DatabaseInstance %s was made without a restore: a restore applies only to a new Database"
	errRestoreNoDatabaseFmt  = "spec.restore.from names %s, whose DatabaseInstance %s has no Database (sql.dbaas.io) composed with it: there is no database to restore"
	errRestoreDBNameFmt      = "spec.restore.from names %s, whose database is %s, but this Database's spec.databaseName is %s: the restored data keeps the source's database; leave databaseName unset or set it to %s"
	errRestoreBadDBFmt       = "spec.restore.from names %s, whose database name %q is not a plain identifier: it cannot be restored by this Database"
	errRestoreNoDBNoteFmt    = "this Database's DatabaseInstance %s has no %s annotation: it was not made by a restore of this function"
	errRestoreGetBootstrap   = "cannot read the observed DatabaseInstance's spec.forProvider.bootstrap"
	errRestoreGetSource      = "cannot read the restore's source DatabaseInstance"
	errRestoreGetDatabase    = "cannot read the restore's source Database (sql.dbaas.io)"
)

// plainIdentifier is what a database name may be: the XRD's databaseName
// pattern, since the name reaches SQL.
var plainIdentifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// restoreSourceSelector asks core for the resources of a kind composed for
// the Database (or claim) named from, in the namespace ns only: a restore
// never reads another namespace's. A v2 XR's composed resources carry its
// name in labelComposite; a claim's carry the claim's name and namespace,
// its XR having a generated name.
func restoreSourceSelector(apiVersion, kind, from, ns string, claim bool) *fnv1.ResourceSelector {
	match := map[string]string{labelComposite: from}
	if claim {
		match = map[string]string{labelClaimName: from, labelClaimNamespace: ns}
	}
	return &fnv1.ResourceSelector{
		ApiVersion: apiVersion,
		Kind:       kind,
		Match:      &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{Labels: match}},
		Namespace:  &ns,
	}
}

// restoreRequirements adds the requirements for a restore's source to rsp.
func restoreRequirements(rsp *fnv1.RunFunctionResponse, from, ns string, claim bool) {
	if rsp.Requirements == nil {
		rsp.Requirements = &fnv1.Requirements{}
	}
	if rsp.Requirements.Resources == nil {
		rsp.Requirements.Resources = map[string]*fnv1.ResourceSelector{}
	}
	rsp.Requirements.Resources[requiredRestoreSource] = restoreSourceSelector(
		enginev1alpha1.SchemeGroupVersion.String(), enginev1alpha1.DatabaseInstanceKind, from, ns, claim)
	rsp.Requirements.Resources[requiredRestoreDatabase] = restoreSourceSelector(
		sqlv1alpha1.SchemeGroupVersion.String(), sqlv1alpha1.DatabaseKind, from, ns, claim)
}

// observedRestore is the restore a DatabaseInstance was made with. Once
// the instance exists its bootstrap is what it was made with (immutable),
// and the source is not read again: it may since have been deleted, or its
// recovery window moved on.
func observedRestore(o resource.ObservedComposed) (restore, error) {
	b := &enginev1alpha1.BootstrapParameters{}
	err := o.Resource.GetValueInto("spec.forProvider.bootstrap", b)
	switch {
	case fieldpath.IsNotFound(err):
		return restore{}, errors.Errorf(errRestoreNoBootstrapFmt, o.Resource.GetName())
	case err != nil:
		return restore{}, errors.Wrap(err, errRestoreGetBootstrap)
	}
	db := o.Resource.GetAnnotations()[annotationRestoredDatabase]
	if !plainIdentifier.MatchString(db) {
		return restore{}, errors.Errorf(errRestoreNoDBNoteFmt, o.Resource.GetName(), annotationRestoredDatabase)
	}
	return restore{Bootstrap: b, Database: db}, nil
}

// decodeAll decodes core's answer to a requirement into typed objects.
func decodeAll[T any](items []*fnv1.Resource, what string) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		var o T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(it.GetResource().AsMap(), &o); err != nil {
			return nil, errors.Wrap(err, what)
		}
		out = append(out, o)
	}
	return out, nil
}

// planRestore decides what a restoring Database composes: its instance
// bootstrapped from the backups of the source's instance, from its store,
// replayed to the restore's time, and the source's database. owner and ns
// are the restored Database's name and namespace, dbName its
// spec.databaseName (empty when unset); sources and databases are what
// core found for the restore's from. Every refusal says what to change, or
// that the Database waits.
func planRestore(r restoreSpec, owner, ns, dbName string, s selection, sources []enginev1alpha1.DatabaseInstance, databases []sqlv1alpha1.Database) (restore, error) {
	at, err := time.Parse(time.RFC3339Nano, r.ToTime)
	if err != nil {
		return restore{}, errors.Errorf(errRestoreTimeFmt, r.ToTime)
	}
	if r.From == owner {
		return restore{}, errors.Errorf(errRestoreItselfFmt, owner, ns)
	}
	if s.Tier.Topology == v1beta1.TopologyShared {
		return restore{}, errors.Errorf(errRestoreSharedFmt, s.Tier.Name)
	}

	// Core was asked for this namespace only; an instance of another one
	// is refused all the same, should it ever be answered.
	var mine []enginev1alpha1.DatabaseInstance
	for _, in := range sources {
		if in.Namespace != ns {
			return restore{}, errors.Errorf(errRestoreOtherNSFmt, r.From, in.Name, in.Namespace, ns)
		}
		mine = append(mine, in)
	}
	switch {
	case len(mine) == 0:
		return restore{}, errors.Errorf(errRestoreNoSourceFmt, r.From, ns, r.From)
	case len(mine) > 1:
		return restore{}, errors.Errorf(errRestoreAmbiguousFmt, r.From, ns, len(mine))
	}
	src := mine[0]
	p := src.Spec.ForProvider
	if string(p.Engine) != s.Engine.Name || p.Version != s.Version {
		return restore{}, errors.Errorf(errRestoreVersionFmt, r.From, p.Engine, p.Version, s.Engine.Name, s.Version)
	}
	if p.Backup == nil {
		return restore{}, errors.Errorf(errRestoreNoBackupsFmt, r.From)
	}
	switch err := src.Status.AtProvider.RecoveryWindow.Admits(at, r.From); {
	case err == nil:
	case errors.Is(err, enginev1alpha1.ErrNoBackupYet):
		return restore{}, errors.Errorf(errRestoreNoneYetFmt, r.From, r.From)
	case errors.Is(err, enginev1alpha1.ErrBeforeWindow):
		return restore{}, errors.Errorf(errRestoreEarlyFmt, err)
	default:
		// The source still archives: a time past its archive (or before
		// it records one) is reached later, and replaying to it now would
		// end short of it. Replay stops at the first commit after the
		// time, so the archive must also hold one: that is left to the
		// provider, which reports RecoveryTargetUnreachable when it does
		// not.
		return restore{}, errors.Errorf(errRestoreLateFmt, err)
	}

	db, err := sourceDatabase(r.From, src.Name, databases)
	if err != nil {
		return restore{}, err
	}
	if dbName != "" && dbName != db {
		return restore{}, errors.Errorf(errRestoreDBNameFmt, r.From, db, dbName, db)
	}

	return restore{
		Bootstrap: &enginev1alpha1.BootstrapParameters{Recovery: enginev1alpha1.RecoveryParameters{
			Source: &enginev1alpha1.RecoverySource{Instance: src.Name, Store: p.Backup.Store, StoreKind: p.Backup.StoreKind},
			Target: enginev1alpha1.RecoveryTarget{Time: r.ToTime},
		}},
		Database: db,
	}, nil
}

// sourceDatabase is the name in the engine of the database composed on the
// source's instance: its external name.
func sourceDatabase(from, instance string, databases []sqlv1alpha1.Database) (string, error) {
	for _, d := range databases {
		if ref := d.Spec.ForProvider.InstanceRef; ref == nil || ref.Name != instance {
			continue
		}
		name := meta.GetExternalName(&d)
		if !plainIdentifier.MatchString(name) {
			return "", errors.Errorf(errRestoreBadDBFmt, from, name)
		}
		return name, nil
	}
	return "", errors.Errorf(errRestoreNoDatabaseFmt, from, instance)
}

// recovery returns what a restoring Database composes, or nil for a
// Database that restores nothing. It reports pending before core has
// answered the requirements for the source; an error is for a Fatal
// result. The requirements are carried until the instance exists, for the
// reason loadCatalog carries the catalog's.
func recovery(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, sp spec, p placement, claim bool,
	s selection, observed map[resource.Name]resource.ObservedComposed,
) (rs *restore, pending bool, err error) {
	if sp.Restore == nil {
		return nil, false, nil
	}
	if o, ok := observed[nameInstance]; ok {
		r, err := observedRestore(o)
		return &r, false, err
	}
	restoreRequirements(rsp, sp.Restore.From, p.Namespace, claim)
	instances, answered := req.GetRequiredResources()[requiredRestoreSource]
	databases, answeredDB := req.GetRequiredResources()[requiredRestoreDatabase]
	if !answered || !answeredDB {
		return nil, true, nil
	}
	sources, err := decodeAll[enginev1alpha1.DatabaseInstance](instances.GetItems(), errRestoreGetSource)
	if err != nil {
		return nil, false, err
	}
	dbs, err := decodeAll[sqlv1alpha1.Database](databases.GetItems(), errRestoreGetDatabase)
	if err != nil {
		return nil, false, err
	}
	r, err := planRestore(*sp.Restore, p.Owner, p.Namespace, sp.DatabaseName, s, sources, dbs)
	return &r, false, err
}
