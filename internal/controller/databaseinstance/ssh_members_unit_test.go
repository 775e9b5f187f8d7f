package databaseinstance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/google/go-cmp/cmp"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// TestSSHProvisionOptions shows where a member's server lives on its
// machine: the distribution's layout and port on a VM, the machine's
// directory and first port on the local backend.
func TestSSHProvisionOptions(t *testing.T) {
	ssh := &apisv1alpha1.SSHConfig{Packages: apisv1alpha1.PackagesPreinstalled}
	vm := &computev1alpha1.VirtualMachine{}
	vm.Status.AtProvider.WorkDir, vm.Status.AtProvider.PortRangeStart = "/machines/vm", 40000
	p := v1alpha1.DatabaseInstanceParameters{Version: "15.4", DataDevice: "/dev/vdb"}
	cases := map[string]struct {
		pc       apisv1alpha1.ProviderConfigSpec
		wantRoot string
		wantPort int
	}{
		"VM":    {pc: apisv1alpha1.ProviderConfigSpec{Backend: "vsphere", SSH: ssh}, wantPort: pgvm.DefaultPort},
		"Local": {pc: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, SSH: ssh}, wantRoot: "/machines/vm", wantPort: 40000},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := sshProvisionOptions(&tc.pc, vm, p)
			if o.Root != tc.wantRoot || o.Port != tc.wantPort || o.Version != "15" || o.InstallPackages || o.DataDisk != "/dev/vdb" || o.MountPoint != pgvm.DefaultMountPoint {
				t.Errorf("sshProvisionOptions: unexpected %+v", o)
			}
			if _, err := pgvm.Provision(o); err != nil {
				t.Errorf("Provision: %v", err)
			}
		})
	}
}

// TestAppNetworks shows where applications come in from to a member over
// SSH (the rules the single-instance play wrote, now the engine's
// pg_hba.conf; TestRenderHBA shows the lines).
func TestAppNetworks(t *testing.T) {
	cases := map[string]struct {
		reason  string
		local   bool
		address string
		want    []string
	}{
		"VM": {
			reason:  "On a VM applications come in from anywhere, with TLS",
			address: "10.0.0.5",
			want:    []string{"0.0.0.0/0", "::/0"},
		},
		"LocalBackend": {
			reason:  "A local machine listens on loopback: applications come from the loopback network",
			local:   true,
			address: "127.0.0.1",
			want:    []string{"127.0.0.0/8"},
		},
		"TestHost": {
			reason:  "A local machine that is a host with its own network is reached at its address too",
			local:   true,
			address: "10.77.0.3",
			want:    []string{"127.0.0.0/8", "10.77.0.3"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, appNetworks(tc.local, tc.address)); diff != "" {
				t.Errorf("%s\nappNetworks: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestCheckLegacyPlay shows that a single instance the former play created
// is found where the play kept it, and refused rather than given an empty
// server beside it; anything else goes on.
func TestCheckLegacyPlay(t *testing.T) {
	cases := map[string]struct {
		reason   string
		topology v1alpha1.Topology
		created  bool
		oldData  bool
		marker   bool
		wantErr  bool
	}{
		"PlayMade": {
			reason:  "An instance that exists, whose member directory was never initialized, with the play's data directory on the machine",
			created: true, oldData: true, wantErr: true,
		},
		"New": {
			reason:  "A new instance on a machine that once ran the play's server is not that server's instance",
			oldData: true,
		},
		"Moved": {
			reason:  "Once the member's directory is initialized (moved there, as the README says) the old directory does not matter",
			created: true, oldData: true, marker: true,
		},
		"Replicated": {
			reason:   "The play never made replicated instances",
			topology: v1alpha1.TopologyPrimary, created: true, oldData: true,
		},
		"NoOldData": {
			reason:  "Nothing where the play kept its server",
			created: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			o := pgvm.Options{Version: "15", Root: root}
			i := &postgresql.Instance{Exec: executor.Local{}, Dir: filepath.Join(root, pgvm.DefaultMountPoint, sshEnginesDir, "ns-pg"), Version: "15"}
			if tc.oldData {
				mkfile(t, filepath.Join(legacyDataDir(o), "PG_VERSION"))
			}
			if tc.marker {
				mkfile(t, filepath.Join(i.Dir, "initialized"))
			}
			cr := &v1alpha1.DatabaseInstance{}
			cr.Spec.ForProvider.Topology = tc.topology
			if tc.created {
				meta.SetExternalCreateSucceeded(cr, time.Now())
			}
			err := checkLegacyPlay(context.Background(), cr, i, o, "vm")
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\ncheckLegacyPlay: %v, want error %v", tc.reason, err, tc.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), legacyDataDir(o)) || !strings.Contains(err.Error(), i.DataDir()) || !strings.Contains(err.Error(), "README")) {
				t.Errorf("%s\ncheckLegacyPlay: %q should name both directories and the README", tc.reason, err)
			}
		})
	}
}

func mkfile(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("15\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
