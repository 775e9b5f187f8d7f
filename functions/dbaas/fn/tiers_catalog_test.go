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
	"k8s.io/utils/ptr"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// tiersCatalog is a catalog with every tier, and an environment on every
// backend: local, which offers every tier, and vsphere, azure, gcp and
// terraform, with their machine settings, zones, data devices, firewalls,
// allowed tiers, shared servers and prices. Local, azure and gcp name a
// backup store; vsphere and terraform do not, so their tiers with a backup
// policy get none, and a warning.
func tiersCatalog() *v1beta1.Catalog {
	return &v1beta1.Catalog{
		Engines: []v1beta1.Engine{{Name: "postgresql", Versions: []string{"15"}, DefaultVersion: "15", DefaultFlavor: "plain"}},
		Tiers: []v1beta1.Tier{
			{Name: "dev", Topology: v1beta1.TopologySingle, Members: 1},
			{
				Name: "standard", Topology: v1beta1.TopologyPrimary, Members: 2, Replication: v1beta1.ReplicationAsync, Failover: true,
				Backup: &v1beta1.BackupPolicy{Schedule: "0 1 * * *", RetentionDays: 7},
			},
			{
				Name: "ha", Topology: v1beta1.TopologyPrimary, Members: 3, Replication: v1beta1.ReplicationSync, SyncQuorum: 1, Failover: true,
				Backup: &v1beta1.BackupPolicy{Schedule: "0 1 * * *", RetentionDays: 14, PITRWindowDays: 7},
			},
			{Name: "shared", Topology: v1beta1.TopologyShared},
		},
		SKUs: []v1beta1.SKU{
			{Name: "small", CPU: 1, MemoryMiB: 1024, MaxConnections: ptr.To[int32](50)},
			{Name: "medium", CPU: 2, MemoryMiB: 4096},
		},
		Flavors: []v1beta1.Flavor{
			{Name: "plain", Engine: "postgresql"},
			{Name: "postgis", Engine: "postgresql", Extensions: []string{"postgis", "postgis_topology"}},
			{Name: "vector", Engine: "postgresql", Extensions: []string{"vector"}},
		},
		Environments: []v1beta1.Environment{
			{
				Name:              "local",
				ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "local"},
				SharedServer: &v1beta1.SharedServer{
					ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "shared-local"},
					DatabaseClass:     "postgresql-dba",
				},
				BackupStore: "local-backups",
			},
			{
				Name:              "vsphere",
				ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "vsphere"},
				Image:             "ubuntu-22.04-cloudinit",
				Network:           "db-portgroup",
				Machine: &computev1alpha1.VirtualMachineParameters{
					VSphere: &computev1alpha1.VSphereMachineParameters{Datacenter: "dc1", Cluster: "cluster1", Datastore: "ssd1", Folder: "dbaas"},
				},
				DataDevice:   "/dev/sdb",
				Firewall:     &v1beta1.Firewall{SourceCIDRs: []string{"10.20.0.0/16"}, VSphere: &computev1alpha1.VSphereFirewallRuleParameters{Datacenter: "dc1"}},
				AllowedTiers: []string{"dev", "standard", "ha"},
				Pricing:      &v1beta1.Pricing{Currency: "EUR", SKUs: map[string]v1beta1.Price{"small": "20", "medium": "45.50"}, StorageGB: "0.10"},
			},
			{
				Name:              "azure",
				ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "azure"},
				Image:             "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
				Network:           "/subscriptions/s/resourceGroups/db/providers/Microsoft.Network/virtualNetworks/db/subnets/db",
				Zones:             []string{"1", "2", "3"},
				Machine: &computev1alpha1.VirtualMachineParameters{
					Tags:  map[string]string{"cost-center": "platform"},
					Azure: &computev1alpha1.AzureMachineParameters{ResourceGroup: "db", Location: "westeurope"},
				},
				DataDevice:   "/dev/disk/azure/scsi1/lun0",
				Firewall:     &v1beta1.Firewall{SourceCIDRs: []string{"10.1.0.0/16", "10.2.0.0/16"}, Azure: &computev1alpha1.AzureFirewallRuleParameters{NetworkSecurityGroup: "db-nsg"}},
				AllowedTiers: []string{"standard", "ha", "shared"},
				SharedServer: &v1beta1.SharedServer{ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "azure-flexible"}},
				Pricing:      &v1beta1.Pricing{Currency: "USD", SKUs: map[string]v1beta1.Price{"small": "31.025", "medium": "62.05"}, StorageGB: "0.115"},
				BackupStore:  "azure-westeurope-backups",
			},
			{
				Name:              "gcp",
				ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "gcp"},
				Image:             "projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts",
				Network:           "db",
				Zones:             []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"},
				Machine: &computev1alpha1.VirtualMachineParameters{
					GCP: &computev1alpha1.GCPMachineParameters{Subnetwork: "db-europe-west1"},
				},
				DataDevice:   "/dev/disk/by-id/google-data",
				Firewall:     &v1beta1.Firewall{SourceCIDRs: []string{"10.132.0.0/20"}, SourceTags: []string{"orders-app"}},
				AllowedTiers: []string{"standard", "ha", "shared"},
				Pricing:      &v1beta1.Pricing{Currency: "EUR", SKUs: map[string]v1beta1.Price{"small": "24.30", "medium": "48.60"}, StorageGB: "0.17"},
				BackupStore:  "gcp-backups",
			},
			{
				Name:              "terraform",
				ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "terraform"},
				Image:             "ubuntu-22.04",
				Network:           "db",
				Zones:             []string{"a", "b"},
				Machine: &computev1alpha1.VirtualMachineParameters{
					Terraform: &computev1alpha1.TerraformMachineParameters{Variables: map[string]string{"flavor": "m1.small"}},
				},
				DataDevice: "/dev/vdb",
				Firewall:   &v1beta1.Firewall{SourceCIDRs: []string{"192.168.10.0/24"}},
				SharedServer: &v1beta1.SharedServer{
					ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ProviderConfig", Name: "pg-shared"},
				},
			},
		},
	}
}
