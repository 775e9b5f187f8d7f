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
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// condition is a condition of an observed composed resource.
func condition(typ, status, reason, message string) any {
	c := map[string]any{"type": typ, "status": status, "reason": reason, "lastTransitionTime": "2026-01-01T00:00:00Z"}
	if message != "" {
		c["message"] = message
	}
	return c
}

// The conditions of a resource that is Ready, and of one being created.
var (
	isAvailable = []any{condition("Synced", "True", "ReconcileSuccess", ""), condition("Ready", "True", "Available", "")}
	isCreating  = []any{condition("Synced", "True", "ReconcileSuccess", ""), condition("Ready", "False", "Creating", "")}
)

// seen is a composed resource of claim team-a/orders as Crossplane observes
// it, with only what the status is made from.
func seen(kind, suffix string, conditions []any, atProvider map[string]any, details map[string][]byte) *fnv1.Resource {
	status := map[string]any{"conditions": conditions}
	if atProvider != nil {
		status["atProvider"] = atProvider
	}
	s, err := structpb.NewStruct(map[string]any{
		"apiVersion": "example.dbaas.io/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"name": "orders-x7k2p-" + suffix, "namespace": "team-a"},
		"status":     status,
	})
	if err != nil {
		panic(err)
	}
	return &fnv1.Resource{Resource: s, ConnectionDetails: details}
}

// haMachines are the observed machines of an ha database, all Ready.
func haMachines() map[string]*fnv1.Resource {
	return map[string]*fnv1.Resource{
		"vm":   seen("VirtualMachine", "vm", isAvailable, nil, nil),
		"vm-2": seen("VirtualMachine", "vm-2", isAvailable, nil, nil),
		"vm-3": seen("VirtualMachine", "vm-3", isAvailable, nil, nil),
	}
}

// with adds resources to a set of observed resources.
func with(base map[string]*fnv1.Resource, more map[string]*fnv1.Resource) map[string]*fnv1.Resource {
	for k, v := range more {
		base[k] = v
	}
	return base
}

// haMembers is what a DatabaseInstance of three members reports after its
// primary failed over from vm to vm-2.
var haMembers = map[string]any{
	"endpoint":          "10.132.0.12",
	"port":              5432,
	"primary":           "orders-x7k2p-vm-2",
	"readOnlyEndpoints": []any{"10.132.0.11:5432", "10.132.0.13:5432"},
	"lastFailoverTime":  "2026-01-02T03:04:05Z",
	"members": []any{
		map[string]any{"virtualMachine": "orders-x7k2p-vm", "role": "replica", "running": false, "address": "10.132.0.11", "port": 5432},
		map[string]any{"virtualMachine": "orders-x7k2p-vm-2", "role": "primary", "running": true, "address": "10.132.0.12", "port": 5432},
		map[string]any{"virtualMachine": "orders-x7k2p-vm-3", "role": "replica", "running": true, "address": "10.132.0.13", "port": 5432},
	},
}

// haMembersStatus is the status of the ha database of haMembers on gcp,
// but for its phase and message.
const haMembersStatus = `"endpoint": "10.132.0.12", "port": 5432,
	"primary": "orders-x7k2p-vm-2",
	"readOnlyEndpoints": ["10.132.0.11:5432", "10.132.0.13:5432"],
	"lastFailoverTime": "2026-01-02T03:04:05Z",
	"members": [
		{"name": "orders-x7k2p-vm", "role": "replica", "running": false},
		{"name": "orders-x7k2p-vm-2", "role": "primary", "running": true},
		{"name": "orders-x7k2p-vm-3", "role": "replica", "running": true}
	],
	"estimatedMonthlyCost": {"amount": "83.10", "currency": "EUR"}`

// TestStatus checks the status a Database reports as its composed resources
// progress: its members and primary, where it is reached, why it is not
// ready, and what it costs.
func TestStatus(t *testing.T) {
	type args struct {
		tier, env string
		observed  map[string]*fnv1.Resource
	}
	type want struct {
		status string
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"NothingObserved": {
			reason: "Before anything exists the first machine should be named as not created, and the cost shown.",
			args:   args{tier: "ha", env: "gcp"},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"message": "VirtualMachine orders-x7k2p-vm: not created yet",
				"estimatedMonthlyCost": {"amount": "83.10", "currency": "EUR"}}`},
		},
		"MachineQuota": {
			reason: "A machine's error should reach the status, ahead of a later machine's and the instance's.",
			args: args{tier: "ha", env: "gcp", observed: map[string]*fnv1.Resource{
				"vm": seen("VirtualMachine", "vm", isAvailable, nil, nil),
				"vm-2": seen("VirtualMachine", "vm-2", []any{
					condition("Synced", "False", "ReconcileError", "gcp quota exceeded for CPUS in europe-west1"),
					condition("Ready", "False", "Creating", ""),
				}, nil, nil),
				"vm-3":     seen("VirtualMachine", "vm-3", isCreating, nil, nil),
				"instance": seen("DatabaseInstance", "instance", isCreating, nil, nil),
			}},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"message": "VirtualMachine orders-x7k2p-vm-2: gcp quota exceeded for CPUS in europe-west1",
				"estimatedMonthlyCost": {"amount": "83.10", "currency": "EUR"}}`},
		},
		"InstanceSaysWhy": {
			reason: "Once the machines are Ready, the instance's Ready message should reach the status, with the members it reports.",
			args: args{tier: "ha", env: "gcp", observed: with(haMachines(), map[string]*fnv1.Resource{
				"instance": seen("DatabaseInstance", "instance", []any{
					condition("Synced", "True", "ReconcileSuccess", ""),
					condition("Ready", "False", "Unavailable", "replica orders-x7k2p-vm-3 is catching up"),
				}, haMembers, nil),
			})},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"message": "DatabaseInstance orders-x7k2p-instance: replica orders-x7k2p-vm-3 is catching up",
				` + haMembersStatus + `}`},
		},
		"FirewallCreating": {
			reason: "A resource whose conditions say only that it is being created should be named with its Ready reason.",
			args: args{tier: "ha", env: "gcp", observed: with(haMachines(), map[string]*fnv1.Resource{
				"instance": seen("DatabaseInstance", "instance", isAvailable, nil, nil),
				"firewall": seen("FirewallRule", "firewall", isCreating, nil, nil),
				"user":     seen("User", "user", isCreating, nil, nil),
			})},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"message": "FirewallRule orders-x7k2p-firewall: not ready (Creating)",
				"estimatedMonthlyCost": {"amount": "83.10", "currency": "EUR"}}`},
		},
		"NoConditions": {
			reason: "A resource observed without conditions yet should say so.",
			args: args{tier: "dev", env: "local", observed: map[string]*fnv1.Resource{
				"vm": seen("VirtualMachine", "vm", []any{}, nil, nil),
			}},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"message": "VirtualMachine orders-x7k2p-vm: not ready (no Ready condition)"}`},
		},
		"ReadyAfterFailover": {
			reason: "A Ready database should report no message, and the primary the failover chose.",
			args: args{tier: "ha", env: "gcp", observed: with(haMachines(), map[string]*fnv1.Resource{
				"instance": seen("DatabaseInstance", "instance", isAvailable, haMembers, nil),
				"firewall": seen("FirewallRule", "firewall", isAvailable, nil, nil),
				"user":     seen("User", "user", isAvailable, nil, nil),
				"database": seen("Database", "database", isAvailable, nil, nil),
				"backup":   seen("BackupSchedule", "backup", isAvailable, nil, nil),
			})},
			want: want{status: `{"database": "orders", "phase": "Ready",
				` + haMembersStatus + `}`},
		},
		"BackupScheduleNotCreated": {
			reason: "A tier that backs up should not be Ready before its backup schedule exists, and should say so, after the resources it depends on.",
			args: args{tier: "ha", env: "gcp", observed: with(haMachines(), map[string]*fnv1.Resource{
				"instance": seen("DatabaseInstance", "instance", isAvailable, haMembers, nil),
				"firewall": seen("FirewallRule", "firewall", isAvailable, nil, nil),
				"user":     seen("User", "user", isAvailable, nil, nil),
				"database": seen("Database", "database", isAvailable, nil, nil),
			})},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"message": "BackupSchedule orders-x7k2p-backup: not created yet",
				` + haMembersStatus + `}`},
		},
		"BackupFailedStaysReady": {
			reason: "A backup schedule whose last backup failed should not make the database not Ready: the application can still use it.",
			args: args{tier: "ha", env: "gcp", observed: with(haMachines(), map[string]*fnv1.Resource{
				"instance": seen("DatabaseInstance", "instance", isAvailable, haMembers, nil),
				"firewall": seen("FirewallRule", "firewall", isAvailable, nil, nil),
				"user":     seen("User", "user", isAvailable, nil, nil),
				"database": seen("Database", "database", isAvailable, nil, nil),
				"backup": seen("BackupSchedule", "backup", []any{
					condition("Synced", "True", "ReconcileSuccess", ""),
					condition("Ready", "False", "Unavailable", "the last Backup orders-x7k2p-backup-20260102010000 failed: store unreachable"),
				}, nil, nil),
			})},
			want: want{status: `{"database": "orders", "phase": "Ready",
				` + haMembersStatus + `}`},
		},
		"UserAheadOfBackupSchedule": {
			reason: "A backup schedule that exists should never be what the message names: the user, which the application needs, is.",
			args: args{tier: "ha", env: "gcp", observed: with(haMachines(), map[string]*fnv1.Resource{
				"instance": seen("DatabaseInstance", "instance", isAvailable, haMembers, nil),
				"firewall": seen("FirewallRule", "firewall", isAvailable, nil, nil),
				"user":     seen("User", "user", isCreating, nil, nil),
				"database": seen("Database", "database", isCreating, nil, nil),
				"backup":   seen("BackupSchedule", "backup", isCreating, nil, nil),
			})},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"message": "User orders-x7k2p-user: not ready (Creating)",
				` + haMembersStatus + `}`},
		},
		"SharedReady": {
			reason: "A shared database should be reached where its user's connection details say, and cost its storage only.",
			args: args{tier: "shared", env: "azure", observed: map[string]*fnv1.Resource{
				"user": seen("User", "user", isAvailable, nil, map[string][]byte{
					"endpoint": []byte("pg.db.example.com"), "port": []byte("5432"), "password": []byte("s3cret"),
				}),
				"database": seen("Database", "database", isAvailable, nil, nil),
			}},
			want: want{status: `{"database": "orders", "phase": "Ready",
				"endpoint": "pg.db.example.com", "port": 5432,
				"estimatedMonthlyCost": {"amount": "2.300", "currency": "USD"}}`},
		},
		"SharedThroughClass": {
			reason: "A database the DBAs' class makes should be reached where its connection details say, when the class returns it.",
			args: args{tier: "shared", env: "local", observed: map[string]*fnv1.Resource{
				"database": seen("Database", "database", []any{
					condition("Synced", "False", "ReconcileError", `cannot call the procedures of DatabaseClass "postgresql-dba": permission denied`),
					condition("Ready", "False", "Creating", ""),
				}, nil, map[string][]byte{"endpoint": []byte("127.0.0.1"), "port": []byte("40100")}),
			}},
			want: want{status: `{"database": "orders", "phase": "Provisioning",
				"endpoint": "127.0.0.1", "port": 40100,
				"message": "Database orders-x7k2p-database: cannot call the procedures of DatabaseClass \"postgresql-dba\": permission denied"}`},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := runTiers(t, tiersCatalog(), tierXR(tc.args.tier, tc.args.env, ""), tc.args.observed)
			if len(rsp.GetResults()) > 0 {
				t.Fatalf("%s\nf.RunFunction(...): unexpected results %v", tc.reason, rsp.GetResults())
			}
			want := resource.MustStructJSON(`{"status": ` + tc.want.status + `}`).GetFields()["status"]
			got := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"]
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want status, +got status:\n%s", tc.reason, diff)
			}
		})
	}
}
