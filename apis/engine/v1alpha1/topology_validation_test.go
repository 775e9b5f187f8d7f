package v1alpha1_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/common"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func instance(mod func(p *v1alpha1.DatabaseInstanceParameters)) *v1alpha1.DatabaseInstance {
	i := &v1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "i-"},
		Spec: v1alpha1.DatabaseInstanceSpec{ForProvider: v1alpha1.DatabaseInstanceParameters{
			Engine:                 v1alpha1.EnginePostgreSQL,
			Version:                "15",
			StorageGB:              10,
			AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "admin"}, Key: "password"},
		}},
	}
	if mod != nil {
		mod(&i.Spec.ForProvider)
	}
	return i
}

func primary(replicas int32, vms ...string) func(p *v1alpha1.DatabaseInstanceParameters) {
	return func(p *v1alpha1.DatabaseInstanceParameters) {
		p.Topology = v1alpha1.TopologyPrimary
		p.Replicas = ptr.To(replicas)
		p.VirtualMachines = vms
	}
}

func restore(b *v1alpha1.BackupReference, s *v1alpha1.RecoverySource, tg v1alpha1.RecoveryTarget) func(p *v1alpha1.DatabaseInstanceParameters) {
	return func(p *v1alpha1.DatabaseInstanceParameters) {
		p.Bootstrap = &v1alpha1.BootstrapParameters{Recovery: v1alpha1.RecoveryParameters{BackupRef: b, Source: s, Target: tg}}
	}
}

// TestTopologyValidation checks that the API server refuses topologies that
// cannot run, with a message that says why, and accepts those that can.
func TestTopologyValidation(t *testing.T) {
	env := testenv.Start(t)
	ctx := context.Background()

	cases := map[string]struct {
		reason string
		mod    func(p *v1alpha1.DatabaseInstanceParameters)
		want   string // empty: must be accepted
	}{
		"SingleByDefault": {
			reason: "an instance without a topology is a single one",
		},
		"DataDevice": {
			reason: "a data disk named by its device path is accepted",
			mod:    func(p *v1alpha1.DatabaseInstanceParameters) { p.DataDevice = "/dev/disk/azure/scsi1/lun0" },
		},
		"DataDeviceNotADevice": {
			reason: "a data disk must be a device path, which the play's shell commands can carry",
			mod:    func(p *v1alpha1.DatabaseInstanceParameters) { p.DataDevice = "/dev/sdb; rm -rf /" },
			want:   "spec.forProvider.dataDevice",
		},
		"TuningParameters": {
			reason: "tuning parameters of the allow-list are accepted",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Parameters = map[string]string{"work_mem": "8MB", "max_wal_size": "2GB", "autovacuum_naptime": "30s"}
			},
		},
		"Extensions": {
			reason: "extensions of the allow-list are accepted",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Extensions = []string{"postgis", "vector", "uuid-ossp"}
			},
		},
		"ExtensionNotAllowed": {
			reason: "an untrusted language runs any code as the engine's OS user: not in the allow-list",
			mod:    func(p *v1alpha1.DatabaseInstanceParameters) { p.Extensions = []string{"postgis", "plpython3u"} },
			want:   "extension plpython3u is not in the allow-list of extensions",
		},
		"ArchiveCommand": {
			reason: "archive_command runs a command as the engine's OS user: not in the allow-list",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Parameters = map[string]string{"work_mem": "8MB", "archive_command": "sh -c id"}
			},
			want: "parameter archive_command is not in the allow-list",
		},
		"PreloadLibraries": {
			reason: "a preloaded library runs its code in the server: not in the allow-list",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Parameters = map[string]string{"shared_preload_libraries": "evil"}
			},
			want: "parameter shared_preload_libraries is not in the allow-list",
		},
		"PrimaryWithReplicas": {
			reason: "a primary with two replicas on three machines is accepted",
			mod:    primary(2, "a", "b", "c"),
		},
		"PrimaryByReference": {
			reason: "machines that are still to be resolved are not counted",
			mod:    primary(2),
		},
		"PrimaryWithoutReplicas": {
			reason: "a primary topology needs replicas",
			mod:    func(p *v1alpha1.DatabaseInstanceParameters) { p.Topology = v1alpha1.TopologyPrimary },
			want:   "topology primary needs replicas",
		},
		"TooFewMachines": {
			reason: "every member needs its own machine",
			mod:    primary(2, "a", "b"),
			want:   "virtualMachines must list replicas + 1 machines",
		},
		"TooManyReplicas": {
			reason: "at most five replicas",
			mod:    primary(6),
			want:   "spec.forProvider.replicas",
		},
		"ReplicasOnSingle": {
			reason: "a single instance has no replicas",
			mod:    func(p *v1alpha1.DatabaseInstanceParameters) { p.Replicas = ptr.To[int32](1) },
			want:   "replicas is only valid with topology primary",
		},
		"ReplicationOnSingle": {
			reason: "a single instance does not replicate",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync}
			},
			want: "replication is only valid with topology primary",
		},
		"SyncQuorum": {
			reason: "ANY 2 of two replicas is accepted",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(2)(p)
				p.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr.To[int32](2)}
			},
		},
		"QuorumAboveReplicas": {
			reason: "a quorum larger than the replicas could never commit",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr.To[int32](2)}
			},
			want: "replication.syncQuorum cannot exceed replicas",
		},
		"QuorumInAsync": {
			reason: "a quorum means nothing without sync mode",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(2)(p)
				p.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationAsync, SyncQuorum: ptr.To[int32](1)}
			},
			want: "syncQuorum is only valid with mode sync",
		},
		"NamedPrimary": {
			reason: "the primary may be any of the machines",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(2, "a", "b", "c")(p)
				p.Primary = "b"
			},
		},
		"PrimaryNotAMachine": {
			reason: "the primary must run on one of the instance's machines",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(2, "a", "b", "c")(p)
				p.Primary = "d"
			},
			want: "primary must be one of virtualMachines",
		},
		"PrimaryOnSingle": {
			reason: "a single instance has nothing to switch over to",
			mod:    func(p *v1alpha1.DatabaseInstanceParameters) { p.Primary = "a" },
			want:   "primary is only valid with topology primary",
		},
		"FailoverOnSingle": {
			reason: "a single instance has nothing to fail over to",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Failover = &v1alpha1.FailoverParameters{Enabled: ptr.To(true)}
			},
			want: "failover is only valid with topology primary",
		},
		"FailoverAfter": {
			reason: "a failover after 2.5s is accepted",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: 2500 * time.Millisecond}}
			},
		},
		"FailoverTooSoon": {
			reason: "a primary that misses one second of answers is not failed over",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: time.Second}}
			},
			want: "failover.after must be at least 2s",
		},
		"FenceAfterBelowAfter": {
			reason: "a primary that fences itself after 2s may be replaced after 8s: more than 2s plus the 5s margin",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: 8 * time.Second}, FenceAfter: &metav1.Duration{Duration: 2 * time.Second}}
			},
		},
		"FenceAfterTooClose": {
			reason: "failover.after must leave the partitioned primary fenceAfter plus the safety margin to fence itself",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: 10 * time.Second}, FenceAfter: &metav1.Duration{Duration: 5 * time.Second}}
			},
			want: "failover.after must exceed failover.fenceAfter plus the safety margin selfFenceMargin (5s)",
		},
		"FenceAfterWithDefaultAfter": {
			reason: "the default failover.after (10s) does not leave a fenceAfter of 6s plus the margin",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Failover = &v1alpha1.FailoverParameters{FenceAfter: &metav1.Duration{Duration: 6 * time.Second}}
			},
			want: "failover.after must exceed failover.fenceAfter",
		},
		"FenceAfterTooSoon": {
			reason: "a watchdog that fences after one second fences primaries that are only slow",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: 30 * time.Second}, FenceAfter: &metav1.Duration{Duration: time.Second}}
			},
			want: "failover.fenceAfter must be at least 2s",
		},
		"UnknownMode": {
			reason: "modes are async or sync",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				primary(1)(p)
				p.Replication = &v1alpha1.ReplicationParameters{Mode: "semi"}
			},
			want: "spec.forProvider.replication.mode",
		},
		"RestoreToATime": {
			reason: "a restore of a Backup to a time, to the microsecond, is accepted",
			mod:    restore(&v1alpha1.BackupReference{Name: "full-1"}, nil, v1alpha1.RecoveryTarget{Time: "2026-12-07T02:31:59.135581Z"}),
		},
		"RestoreOfAGoneInstance": {
			reason: "a restore names an instance, which may be gone, and its store",
			mod:    restore(nil, &v1alpha1.RecoverySource{Instance: "orders", Store: "s3"}, v1alpha1.RecoveryTarget{Name: "before-migration"}),
		},
		"BackupIntoAClusterBackupStore": {
			reason: "an instance may back up into a store the platform owns, with a retention of its own",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Backup = &v1alpha1.InstanceBackupParameters{Store: "platform", StoreKind: v1alpha1.StoreKindClusterBackupStore,
					Retention: &common.BackupRetention{FullDays: ptr.To[int32](7)}}
			},
		},
		"BackupIntoAnUnknownKindOfStore": {
			reason: "a store is a BackupStore or a ClusterBackupStore",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Backup = &v1alpha1.InstanceBackupParameters{Store: "platform", StoreKind: "Bucket"}
			},
			want: "spec.forProvider.backup.storeKind",
		},
		"BackupRetentionOfCountAndDays": {
			reason: "an instance's retention keeps a count or days of full backups, not both",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				p.Backup = &v1alpha1.InstanceBackupParameters{Store: "s3",
					Retention: &common.BackupRetention{FullCount: ptr.To[int32](2), FullDays: ptr.To[int32](7)}}
			},
			want: "set fullCount or fullDays, not both",
		},
		"RestoreFromAClusterBackupStore": {
			reason: "a restore reads an instance's backups from a ClusterBackupStore too",
			mod: restore(nil, &v1alpha1.RecoverySource{Instance: "orders", Store: "platform", StoreKind: v1alpha1.StoreKindClusterBackupStore},
				v1alpha1.RecoveryTarget{Immediate: ptr.To(true)}),
		},
		"RestoreFromBoth": {
			reason: "a restore reads from a Backup or from an instance's backups, not both",
			mod: restore(&v1alpha1.BackupReference{Name: "full-1"}, &v1alpha1.RecoverySource{Instance: "orders", Store: "s3"},
				v1alpha1.RecoveryTarget{LSN: "0/3000028"}),
			want: "recovery needs exactly one of backupRef and source",
		},
		"RestoreFromNothing": {
			reason: "a restore must say what it reads from",
			mod:    restore(nil, nil, v1alpha1.RecoveryTarget{LSN: "0/3000028"}),
			want:   "recovery needs exactly one of backupRef and source",
		},
		"RestoreToTwoTargets": {
			reason: "a restore has one target",
			mod:    restore(&v1alpha1.BackupReference{Name: "full-1"}, nil, v1alpha1.RecoveryTarget{LSN: "0/3000028", XID: "742"}),
			want:   "target needs exactly one of time, lsn, xid, name and immediate",
		},
		"RestoreWithoutTarget": {
			reason: "a restore has one target",
			mod:    restore(&v1alpha1.BackupReference{Name: "full-1"}, nil, v1alpha1.RecoveryTarget{}),
			want:   "target needs exactly one of time, lsn, xid, name and immediate",
		},
		"RestoreToNotATime": {
			reason: "a target time is an RFC 3339 time",
			mod:    restore(&v1alpha1.BackupReference{Name: "full-1"}, nil, v1alpha1.RecoveryTarget{Time: "yesterday"}),
			want:   "spec.forProvider.bootstrap.recovery.target.time",
		},
		"RestoreExclusiveName": {
			reason: "only a time, lsn or xid target can be exclusive",
			mod: func(p *v1alpha1.DatabaseInstanceParameters) {
				restore(&v1alpha1.BackupReference{Name: "full-1"}, nil, v1alpha1.RecoveryTarget{Name: "x"})(p)
				p.Bootstrap.Recovery.Exclusive = ptr.To(true)
			},
			want: "exclusive applies to a time, lsn or xid target only",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := env.Client.Create(ctx, instance(tc.mod))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s: refused: %v", tc.reason, err)
			case tc.want != "" && err == nil:
				t.Errorf("%s: accepted", tc.reason)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s: the error should say %q: %v", tc.reason, tc.want, err)
			}
		})
	}

	t.Run("DefaultsApplied", func(t *testing.T) {
		i := instance(func(p *v1alpha1.DatabaseInstanceParameters) {
			primary(1)(p)
			p.Replication = &v1alpha1.ReplicationParameters{}
		})
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		r := i.Spec.ForProvider.Replication
		if r.Mode != v1alpha1.ReplicationAsync || r.Slots == nil || !*r.Slots {
			t.Errorf("want mode async and slots on by default, got %+v", r)
		}
	})

	t.Run("FailoverDefaults", func(t *testing.T) {
		i := instance(func(p *v1alpha1.DatabaseInstanceParameters) {
			primary(1)(p)
			p.Failover = &v1alpha1.FailoverParameters{}
		})
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		f := i.Spec.ForProvider.Failover
		if f.Enabled == nil || !*f.Enabled || f.After == nil || f.After.Duration != 10*time.Second {
			t.Errorf("want failover enabled after 10s by default, got %+v", f)
		}
	})

	for name, mod := range map[string]func(p *v1alpha1.DatabaseInstanceParameters){
		"topology can only change from single to primary": func(p *v1alpha1.DatabaseInstanceParameters) {
			p.Topology, p.Replicas = v1alpha1.TopologySingle, nil
		},
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			i := instance(primary(2))
			if err := env.Client.Create(ctx, i); err != nil {
				t.Fatal(err)
			}
			mod(&i.Spec.ForProvider)
			err := env.Client.Update(ctx, i)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("want the change refused with %q, got: %v", name, err)
			}
		})
	}

	// A single instance becomes primary by adding replicas.
	t.Run("SingleToPrimary", func(t *testing.T) {
		i := instance(func(p *v1alpha1.DatabaseInstanceParameters) { p.VirtualMachines = []string{"a"} })
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		primary(1, "a", "b")(&i.Spec.ForProvider)
		if err := env.Client.Update(ctx, i); err != nil {
			t.Errorf("single to primary should be accepted: %v", err)
		}
	})

	// Replicas are added and removed on a live instance, together with
	// their machines; the count must still match the machines.
	t.Run("ReplicasAreMutable", func(t *testing.T) {
		i := instance(primary(2, "a", "b", "c"))
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		i.Spec.ForProvider.Replicas, i.Spec.ForProvider.VirtualMachines = ptr.To[int32](3), []string{"a", "b", "c", "d"}
		if err := env.Client.Update(ctx, i); err != nil {
			t.Errorf("adding a replica with its machine should be accepted: %v", err)
		}
		i.Spec.ForProvider.Replicas, i.Spec.ForProvider.VirtualMachines = ptr.To[int32](1), []string{"a", "b"}
		if err := env.Client.Update(ctx, i); err != nil {
			t.Errorf("removing two replicas with their machines should be accepted: %v", err)
		}
		i.Spec.ForProvider.Replicas = ptr.To[int32](2)
		if err := env.Client.Update(ctx, i); err == nil || !strings.Contains(err.Error(), "virtualMachines must list replicas + 1 machines") {
			t.Errorf("replicas without their machine: want refused, got %v", err)
		}
	})

	// An instance made before storeKind existed, or without it, keeps
	// naming a BackupStore of its namespace.
	t.Run("StoreKindDefaultsToBackupStore", func(t *testing.T) {
		i := instance(func(p *v1alpha1.DatabaseInstanceParameters) {
			p.Backup = &v1alpha1.InstanceBackupParameters{Store: "s3"}
		})
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		if got := i.Spec.ForProvider.Backup.StoreKind; got != v1alpha1.StoreKindBackupStore {
			t.Errorf("storeKind: want %s by default, got %q", v1alpha1.StoreKindBackupStore, got)
		}
	})

	// A restore only applies when the instance is created: bootstrap can
	// be neither added, changed nor removed afterwards.
	t.Run("BootstrapIsImmutable", func(t *testing.T) {
		i := instance(restore(&v1alpha1.BackupReference{Name: "full-1"}, nil, v1alpha1.RecoveryTarget{Immediate: ptr.To(true)}))
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		i.Spec.ForProvider.Bootstrap.Recovery.BackupRef.Name = "full-2"
		if err := env.Client.Update(ctx, i); err == nil || !strings.Contains(err.Error(), "bootstrap is immutable") {
			t.Errorf("changing bootstrap: want refused, got %v", err)
		}
		i.Spec.ForProvider.Bootstrap = nil
		if err := env.Client.Update(ctx, i); err == nil || !strings.Contains(err.Error(), "bootstrap can be neither added to nor removed") {
			t.Errorf("removing bootstrap: want refused, got %v", err)
		}
		j := instance(nil)
		if err := env.Client.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		restore(&v1alpha1.BackupReference{Name: "full-1"}, nil, v1alpha1.RecoveryTarget{Immediate: ptr.To(true)})(&j.Spec.ForProvider)
		if err := env.Client.Update(ctx, j); err == nil || !strings.Contains(err.Error(), "bootstrap can be neither added to nor removed") {
			t.Errorf("adding bootstrap to an instance that exists: want refused, got %v", err)
		}
	})

	t.Run("ModeIsMutable", func(t *testing.T) {
		i := instance(primary(2))
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		i.Spec.ForProvider.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr.To[int32](1)}
		if err := env.Client.Update(ctx, i); err != nil {
			t.Errorf("switching async to sync should be accepted: %v", err)
		}
	})
}
