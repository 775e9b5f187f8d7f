package databaseinstance

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func TestLeftBehind(t *testing.T) {
	vm := func(address, workDir string) *computev1alpha1.VirtualMachine {
		v := &computev1alpha1.VirtualMachine{}
		v.Status.AtProvider.Address, v.Status.AtProvider.WorkDir = address, workDir
		return v
	}
	cases := map[string]struct {
		reason string
		vms    []string
		found  map[string]*computev1alpha1.VirtualMachine
		want   string
	}{
		"LocalMachine": {
			reason: "a local machine keeps the data below its work directory",
			vms:    []string{"vm"},
			found:  map[string]*computev1alpha1.VirtualMachine{"vm": vm("127.0.0.1", "/m/vm")},
			want:   "the PostgreSQL 15 server of instance pg and its data on VirtualMachine vm (127.0.0.1, data directory below /m/vm)",
		},
		"VM": {
			reason: "a VM keeps it in the instance's directory below /var/lib/postgresql/dbaas",
			vms:    []string{"vm"},
			found:  map[string]*computev1alpha1.VirtualMachine{"vm": vm("10.0.0.5", "")},
			want:   "the PostgreSQL 15 server of instance pg and its data on VirtualMachine vm (10.0.0.5, data directory /var/lib/postgresql/dbaas/ns-pg/data)",
		},
		"Members": {
			reason: "every member's machine is named, a VirtualMachine that is gone too",
			vms:    []string{"vm-b", "vm-a"},
			found:  map[string]*computev1alpha1.VirtualMachine{"vm-a": vm("10.0.0.5", "")},
			want:   "the PostgreSQL 15 server of instance pg and its data on VirtualMachine vm-a (10.0.0.5, data directory /var/lib/postgresql/dbaas/ns-pg/data), VirtualMachine vm-b (gone)",
		},
		"NoMachines": {
			reason: "an instance whose machines were never resolved left nothing it knows of",
			want:   "nothing that the instance knows of",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := &v1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg"}}
			meta.SetExternalName(cr, "pg")
			cr.Spec.ForProvider.Version = "15"
			cr.Spec.ForProvider.VirtualMachines = tc.vms
			if got := leftBehind(cr, tc.found); got != tc.want {
				t.Errorf("%s\nleftBehind(...):\nwant %q\n got %q", tc.reason, tc.want, got)
			}
		})
	}
}
