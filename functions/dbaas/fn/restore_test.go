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
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// sourceInstance is the DatabaseInstance of Database team-a/orders as the
// function composed it for the ha tier and the provider reported it:
// archiving into the environment's ClusterBackupStore, its recovery window
// 10:00 to 11:00.
func sourceInstance(mod func(in *enginev1alpha1.DatabaseInstance)) enginev1alpha1.DatabaseInstance {
	at := func(s string) *metav1.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return &metav1.Time{Time: t}
	}
	in := enginev1alpha1.DatabaseInstance{
		TypeMeta: metav1.TypeMeta{APIVersion: enginev1alpha1.SchemeGroupVersion.String(), Kind: enginev1alpha1.DatabaseInstanceKind},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "team-a", Name: "orders-instance",
			Labels: map[string]string{labelComposite: "orders"},
		},
		Spec: enginev1alpha1.DatabaseInstanceSpec{ForProvider: enginev1alpha1.DatabaseInstanceParameters{
			Engine: enginev1alpha1.Engine("postgresql"), Version: "15",
			Backup: &enginev1alpha1.InstanceBackupParameters{Store: "local-backups", StoreKind: enginev1alpha1.StoreKindClusterBackupStore},
		}},
		Status: enginev1alpha1.DatabaseInstanceStatus{AtProvider: enginev1alpha1.DatabaseInstanceObservation{
			RecoveryWindow: &enginev1alpha1.RecoveryWindow{
				FirstRecoverabilityPoint: at("2026-12-07T10:00:00Z"),
				LastArchivedTime:         at("2026-12-07T11:00:00Z"),
				LastArchivedWAL:          "000000010000000000000007",
			},
		}},
	}
	if mod != nil {
		mod(&in)
	}
	return in
}

// sourceDatabase is the sql.dbaas.io Database composed on orders' instance,
// database "orders" in the engine.
func sourceDB(mod func(d *sqlv1alpha1.Database)) sqlv1alpha1.Database {
	d := sqlv1alpha1.Database{
		TypeMeta: metav1.TypeMeta{APIVersion: sqlv1alpha1.SchemeGroupVersion.String(), Kind: sqlv1alpha1.DatabaseKind},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "team-a", Name: "orders-database",
			Labels:      map[string]string{labelComposite: "orders"},
			Annotations: map[string]string{"crossplane.io/external-name": "orders"},
		},
		Spec: sqlv1alpha1.DatabaseSpec{ForProvider: sqlv1alpha1.DatabaseParameters{
			InstanceReference: sqlv1alpha1.InstanceReference{InstanceRef: &xpv2.NamespacedReference{Name: "orders-instance"}},
		}},
	}
	if mod != nil {
		mod(&d)
	}
	return d
}

// recoveredFrom is the bootstrap of a restore of orders-instance to a time.
func recoveredFrom(at string) *enginev1alpha1.BootstrapParameters {
	return &enginev1alpha1.BootstrapParameters{Recovery: enginev1alpha1.RecoveryParameters{
		Source: &enginev1alpha1.RecoverySource{Instance: "orders-instance", Store: "local-backups", StoreKind: enginev1alpha1.StoreKindClusterBackupStore},
		Target: enginev1alpha1.RecoveryTarget{Time: at},
	}}
}

// restored is the restore of orders-instance to a time, database orders.
func restored(at string) restore {
	return restore{Bootstrap: recoveredFrom(at), Database: "orders"}
}

func TestPlanRestore(t *testing.T) {
	ha := selection{Engine: v1beta1.Engine{Name: "postgresql"}, Version: "15", Tier: v1beta1.Tier{Name: "ha", Topology: v1beta1.TopologyPrimary}}
	shared := ha
	shared.Tier = v1beta1.Tier{Name: "shared", Topology: v1beta1.TopologyShared}
	v16 := ha
	v16.Version = "16"

	type args struct {
		r         restoreSpec
		dbName    string
		s         selection
		sources   []enginev1alpha1.DatabaseInstance
		databases []sqlv1alpha1.Database
	}
	type want struct {
		r   restore
		err string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"InWindow": {
			reason: "A time in the source's window restores its instance's stanza from its store to that time, as given.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00.123456Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{r: restored("2026-12-07T10:30:00.123456Z")},
		},
		"OffsetTime": {
			reason: "RFC 3339 with an offset is a time too.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T11:30:00+01:00"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{r: restored("2026-12-07T11:30:00+01:00")},
		},
		"SameDatabaseName": {
			reason: "A databaseName that is the source's is accepted.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, dbName: "orders", s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{r: restored("2026-12-07T10:30:00Z")},
		},
		"OtherDatabaseName": {
			reason: "The restored data keeps the source's database: another databaseName would be a new, empty one.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, dbName: "orders_copy", s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{err: "spec.restore.from names orders, whose database is orders, but this Database's spec.databaseName is orders_copy: the restored data keeps the source's database; leave databaseName unset or set it to orders"},
		},
		"NoSourceDatabase": {
			reason: "A source instance with no database composed on it has nothing to name.",
			args: args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)},
				databases: []sqlv1alpha1.Database{sourceDB(func(d *sqlv1alpha1.Database) { d.Spec.ForProvider.InstanceRef.Name = "other" })}},
			want: want{err: "spec.restore.from names orders, whose DatabaseInstance orders-instance has no Database (sql.dbaas.io) composed with it: there is no database to restore"},
		},
		"SourceDatabaseNotAnIdentifier": {
			reason: "A database name read from another object reaches SQL only when it is a plain identifier.",
			args: args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)},
				databases: []sqlv1alpha1.Database{sourceDB(func(d *sqlv1alpha1.Database) { d.Annotations["crossplane.io/external-name"] = `a"; drop` })}},
			want: want{err: `spec.restore.from names orders, whose database name "a\"; drop" is not a plain identifier: it cannot be restored by this Database`},
		},
		"NotATime": {
			reason: "A time that is not RFC 3339 is refused with the form to use (the XRD's pattern lets a 13th month through).",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-13-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{err: `spec.restore.toTime "2026-13-07T10:30:00Z" is not a time: give it in RFC 3339, such as 2026-12-07T11:30:00Z or 2026-12-07T12:30:00+01:00`},
		},
		"Itself": {
			reason: "A Database cannot restore its own backups into itself.",
			args:   args{r: restoreSpec{From: "orders-copy", ToTime: "2026-12-07T10:30:00Z"}, s: ha},
			want:   want{err: "spec.restore.from names this Database, orders-copy: name another Database of namespace team-a"},
		},
		"Shared": {
			reason: "A shared tier has no instance of its own to restore into.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: shared, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{err: "tier shared puts the database on a shared server, which a restore cannot start: choose a tier with an instance of its own to restore into"},
		},
		"NoSource": {
			reason: "A name with no instance in the namespace (no such Database, or a shared one) is refused.",
			args:   args{r: restoreSpec{From: "billing", ToTime: "2026-12-07T10:30:00Z"}, s: ha},
			want:   want{err: "spec.restore.from names billing, but namespace team-a has no Database billing with a DatabaseInstance: name a Database of this namespace whose tier runs an instance of its own (not shared)"},
		},
		"OtherNamespace": {
			reason: "An instance of another namespace is never restored from, whatever core answered.",
			args: args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{
				sourceInstance(func(in *enginev1alpha1.DatabaseInstance) { in.Namespace = "team-b" }),
			}},
			want: want{err: "spec.restore.from names orders, whose DatabaseInstance orders-instance is in namespace team-b: a Database restores only the backups of its own namespace, team-a"},
		},
		"Ambiguous": {
			reason: "Two instances labelled for the source leave the restore nothing it may pick.",
			args: args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{
				sourceInstance(nil), sourceInstance(func(in *enginev1alpha1.DatabaseInstance) { in.Name = "orders-other" }),
			}},
			want: want{err: "spec.restore.from names orders, but namespace team-a holds 2 DatabaseInstances composed for it: restore from one of them with a DatabaseInstance's spec.forProvider.bootstrap.recovery instead"},
		},
		"NoBackups": {
			reason: "A source whose instance has no backup store has nothing to restore.",
			args: args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{
				sourceInstance(func(in *enginev1alpha1.DatabaseInstance) { in.Spec.ForProvider.Backup = nil }),
			}},
			want: want{err: "spec.restore.from names orders, which has no backups (its tier or environment composes no backup policy): there is nothing to restore from"},
		},
		"NoBackupYet": {
			reason: "A source that archives but has no completed backup cannot be restored yet.",
			args: args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{
				sourceInstance(func(in *enginev1alpha1.DatabaseInstance) { in.Status.AtProvider.RecoveryWindow = nil }),
			}},
			want: want{err: "spec.restore.from names orders, which has no completed backup yet: a restore starts from one (kubectl dbaas backup orders); this Database is composed once there is one"},
		},
		"OtherVersion": {
			reason: "The restored instance runs the source's major version.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: v16, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{err: "spec.restore.from names orders, which runs postgresql 15, but this Database asks for postgresql 16: a restore runs the source's engine and major version; set spec.engine and spec.version to them"},
		},
		"BeforeWindow": {
			reason: "A time before the oldest backup's end cannot be reached.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T09:59:59Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{err: "spec.restore.toTime 2026-12-07T09:59:59Z is before the recovery window of orders, which starts at 2026-12-07T10:00:00Z (the end of the oldest backup in its store): give a later time"},
		},
		"AfterArchive": {
			reason: "A time past the archive waits for it rather than ending the replay short.",
			args:   args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T11:00:01Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}},
			want:   want{err: "spec.restore.toTime 2026-12-07T11:00:01Z is after the recovery window of orders, which ends at 2026-12-07T11:00:00Z (its last archived WAL, 000000010000000000000007): this Database is composed once the archive reaches that time"},
		},
		"NoArchivedTime": {
			reason: "A source whose window records no archived time refuses the time, saying so, as kubectl dbaas restore does (one rule, RecoveryWindow.Admits).",
			args: args{r: restoreSpec{From: "orders", ToTime: "2026-12-07T10:30:00Z"}, s: ha, sources: []enginev1alpha1.DatabaseInstance{
				sourceInstance(func(in *enginev1alpha1.DatabaseInstance) { in.Status.AtProvider.RecoveryWindow.LastArchivedTime = nil }),
			}},
			want: want{err: "spec.restore.toTime 2026-12-07T10:30:00Z cannot be placed in the recovery window of orders: no archived WAL is recorded yet (status.atProvider.recoveryWindow.lastArchivedTime is unset), and a restore to a time needs the archive to reach past it: this Database is composed once the archive reaches that time"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dbs := tc.args.databases
			if dbs == nil {
				dbs = []sqlv1alpha1.Database{sourceDB(nil)}
			}
			r, err := planRestore(tc.args.r, "orders-copy", "team-a", tc.args.dbName, tc.args.s, tc.args.sources, dbs)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want.err, got); diff != "" {
				t.Errorf("%s\nplanRestore(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.r, r); diff != "" {
				t.Errorf("%s\nplanRestore(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// restoringXR is Database team-a/orders-copy on the ha tier restoring
// orders to a time.
func restoringXR(toTime string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": databaseAPIVersion,
		"kind":       "Database",
		"metadata":   map[string]any{"name": "orders-copy", "namespace": "team-a"},
		"spec": map[string]any{
			"engine": "postgresql", "tier": "ha", "sku": "small", "environment": "local", "storageGB": int64(20), "flavor": "vector",
			"restore": map[string]any{"from": "orders", "toTime": toTime},
		},
	}}
}

// restoreRequest is the request core sends for a restoring Database:
// sources is its answer to the requirement for the source, nil before
// it answered.
func restoreRequest(t *testing.T, toTime string, sources []enginev1alpha1.DatabaseInstance, observed map[string]*fnv1.Resource) *fnv1.RunFunctionRequest {
	t.Helper()
	xr, err := resource.AsStruct(restoringXR(toTime))
	if err != nil {
		t.Fatal(err)
	}
	req := &fnv1.RunFunctionRequest{
		Meta:              &fnv1.RequestMeta{Tag: "hello"},
		Input:             input(),
		RequiredResources: required(tiersCatalog()),
		Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed},
	}
	if sources != nil {
		items := &fnv1.Resources{}
		for i := range sources {
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&sources[i])
			if err != nil {
				t.Fatal(err)
			}
			s, err := resource.AsStruct(&unstructured.Unstructured{Object: u})
			if err != nil {
				t.Fatal(err)
			}
			items.Items = append(items.Items, &fnv1.Resource{Resource: s})
		}
		req.RequiredResources[requiredRestoreSource] = items
		d := sourceDB(nil)
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&d)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := resource.AsStruct(&unstructured.Unstructured{Object: u})
		if err != nil {
			t.Fatal(err)
		}
		req.RequiredResources[requiredRestoreDatabase] = &fnv1.Resources{Items: []*fnv1.Resource{{Resource: ds}}}
	}
	return req
}

// wantRestoreRequirements are the catalog's and the source's.
func wantRestoreRequirements(claim bool, from, ns string) *fnv1.Requirements {
	rsp := &fnv1.RunFunctionResponse{Requirements: requirements()}
	restoreRequirements(rsp, from, ns, claim)
	return rsp.GetRequirements()
}

func TestRunFunctionRestore(t *testing.T) {
	run := func(t *testing.T, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
		t.Helper()
		rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("f.RunFunction(...): %v", err)
		}
		return rsp
	}

	t.Run("AsksForTheSource", func(t *testing.T) {
		// Nothing is composed before the source is known: an instance
		// initialized empty could not be restored into afterwards.
		rsp := run(t, restoreRequest(t, "2026-12-07T10:30:00Z", nil, nil))
		want := &fnv1.RunFunctionResponse{Meta: rspMeta(), Requirements: wantRestoreRequirements(false, "orders", "team-a")}
		if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
		sel := rsp.GetRequirements().GetResources()[requiredRestoreSource]
		if sel.GetNamespace() != "team-a" || sel.GetMatchLabels().GetLabels()[labelComposite] != "orders" {
			t.Errorf("the source is asked for outside the Database's namespace or by another name: %v", sel)
		}
	})

	t.Run("Composes", func(t *testing.T) {
		// The whole response, as the tiers' goldens: the instance restored
		// from orders' stanza, the rest as an ha Database composes it
		// (its own backups included). apis' TestCRDValidation/Composed
		// dry-runs it against the CRDs.
		rsp := run(t, restoreRequest(t, "2026-12-07T10:30:00.123456Z", []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}, nil))
		golden(t, filepath.Join("testdata", "compose", "restore-ha-local.yaml"), rsp)
	})

	t.Run("Refuses", func(t *testing.T) {
		rsp := run(t, restoreRequest(t, "2026-12-07T10:30:00Z", []enginev1alpha1.DatabaseInstance{
			sourceInstance(func(in *enginev1alpha1.DatabaseInstance) { in.Spec.ForProvider.Backup = nil }),
		}, nil))
		want := fatal("spec.restore.from names orders, which has no backups (its tier or environment composes no backup policy): there is nothing to restore from")
		want.Requirements = wantRestoreRequirements(false, "orders", "team-a")
		if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
	})

	t.Run("KeepsWhatItMade", func(t *testing.T) {
		// Once the instance exists its bootstrap stays what it was made
		// with, and the source is not asked for again: it may be gone.
		made := run(t, restoreRequest(t, "2026-12-07T10:30:00Z", []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}, nil))
		in := made.GetDesired().GetResources()["instance"]
		rsp := run(t, restoreRequest(t, "2026-12-07T10:30:00Z", nil, map[string]*fnv1.Resource{"instance": in}))
		if diff := cmp.Diff(requirements(), rsp.GetRequirements(), protocmp.Transform()); diff != "" {
			t.Errorf("the requirements once the instance exists: -want, +got:\n%s", diff)
		}
		got := rsp.GetDesired().GetResources()["instance"].GetResource().AsMap()["spec"].(map[string]any)["forProvider"].(map[string]any)["bootstrap"]
		want := in.GetResource().AsMap()["spec"].(map[string]any)["forProvider"].(map[string]any)["bootstrap"]
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" || got == nil {
			t.Errorf("the bootstrap once the instance exists: -want, +got:\n%s", diff)
		}
		db := rsp.GetDesired().GetResources()["database"].GetResource().AsMap()["metadata"].(map[string]any)["annotations"]
		if diff := cmp.Diff(map[string]any{"crossplane.io/external-name": "orders", "dbaas.io/import": "true"}, db); diff != "" {
			t.Errorf("the database once the instance exists: -want, +got:\n%s", diff)
		}
	})

	t.Run("InstanceMadeWithoutRestore", func(t *testing.T) {
		// A restore cannot reach an instance that was initialized empty;
		// the XRD refuses adding one, and this says why if one gets
		// through.
		made := run(t, restoreRequest(t, "2026-12-07T10:30:00Z", []enginev1alpha1.DatabaseInstance{sourceInstance(nil)}, nil))
		in := made.GetDesired().GetResources()["instance"].GetResource().AsMap()
		delete(in["spec"].(map[string]any)["forProvider"].(map[string]any), "bootstrap")
		s, err := resource.AsStruct(&unstructured.Unstructured{Object: in})
		if err != nil {
			t.Fatal(err)
		}
		rsp := run(t, restoreRequest(t, "2026-12-07T10:30:00Z", nil, map[string]*fnv1.Resource{"instance": {Resource: s}}))
		if r := rsp.GetResults(); len(r) != 1 || r[0].GetSeverity() != fnv1.Severity_SEVERITY_FATAL ||
			r[0].GetMessage() != "spec.restore is set, but this Database's DatabaseInstance orders-copy-instance was made without a restore: a restore applies only to a new Database" {
			t.Errorf("want a Fatal saying the restore applies only to a new Database, got %v", r)
		}
	})

	t.Run("Claim", func(t *testing.T) {
		// A claim's XR has a generated name: its source is found by the
		// claim's name and namespace.
		rsp := runTiers(t, tiersCatalog(), withSpec(map[string]any{"tier": "ha", "environment": "local", "restore": map[string]any{"from": "payments", "toTime": "2026-12-07T10:30:00Z"}}), nil)
		want := wantRestoreRequirements(true, "payments", "team-a")
		if diff := cmp.Diff(want, rsp.GetRequirements(), protocmp.Transform()); diff != "" || len(rsp.GetDesired().GetResources()) != 0 {
			t.Errorf("a claim's restore: requirements -want, +got:\n%s (desired %v)", diff, rsp.GetDesired())
		}
	})
}
