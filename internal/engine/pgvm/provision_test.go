package pgvm

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

func vmOptions() Options {
	return Options{
		DataDisk:        "/dev/disk/by-id/data",
		Port:            5433,
		InstallPackages: true,
	}
}

func stepNames(s []steps.Step) []string {
	out := make([]string, len(s))
	for n := range s {
		out[n] = s[n].Name
	}
	return out
}

// TestProvisionSteps shows which steps prepare a machine, in order: the
// first ones of the single-instance play's TestPlanSteps, which the
// engine's member code follows with its own stages.
func TestProvisionSteps(t *testing.T) {
	cases := map[string]struct {
		o    Options
		want []string
	}{
		"PackagesWithDataDisk": {
			o:    vmOptions(),
			want: []string{"install postgresql-15", "mount data disk", "grow data file system"},
		},
		"PackagesWithoutDataDisk": {
			o:    func() Options { o := vmOptions(); o.DataDisk = ""; return o }(),
			want: []string{"install postgresql-15"},
		},
		"PreinstalledWithoutDataDisk": {
			o:    func() Options { o := vmOptions(); o.DataDisk, o.InstallPackages = "", false; return o }(),
			want: []string{"find postgresql-15 binaries"},
		},
		"PackagesWithExtensions": {
			o: func() Options {
				o := vmOptions()
				o.DataDisk, o.Extensions = "", []string{"postgis", "vector"}
				return o
			}(),
			want: []string{"install postgresql-15", "install extension packages"},
		},
		"PreinstalledExtensions": {
			o: func() Options {
				o := vmOptions()
				o.DataDisk, o.InstallPackages, o.Extensions = "", false, []string{"pg_trgm"}
				return o
			}(),
			want: []string{"find postgresql-15 binaries", "find extensions"},
		},
		"PreinstalledWithDataDisk": {
			o:    func() Options { o := vmOptions(); o.InstallPackages = false; return o }(),
			want: []string{"find postgresql-15 binaries", "mount data disk", "grow data file system"},
		},
		"PackagesWithBackup": {
			o:    func() Options { o := vmOptions(); o.DataDisk, o.Backup = "", true; return o }(),
			want: []string{"install postgresql-15", "install pgbackrest"},
		},
		"PreinstalledWithBackup": {
			o:    func() Options { o := vmOptions(); o.DataDisk, o.InstallPackages, o.Backup = "", false, true; return o }(),
			want: []string{"find postgresql-15 binaries", "find pgbackrest"},
		},
		"PackagesWithMetrics": {
			o:    func() Options { o := vmOptions(); o.DataDisk, o.Backup, o.Metrics = "", true, true; return o }(),
			want: []string{"install postgresql-15", "install pgbackrest", "install prometheus-postgres-exporter"},
		},
		"PreinstalledWithMetrics": {
			o:    func() Options { o := vmOptions(); o.DataDisk, o.InstallPackages, o.Metrics = "", false, true; return o }(),
			want: []string{"find postgresql-15 binaries", "find prometheus-postgres-exporter"},
		},
		"PackagesWithNodeMetrics": {
			o: func() Options {
				o := vmOptions()
				o.DataDisk, o.Metrics, o.NodeMetrics = "", true, true
				return o
			}(),
			want: []string{"install postgresql-15", "install prometheus-postgres-exporter", "install prometheus-node-exporter"},
		},
		"PreinstalledWithNodeMetrics": {
			o: func() Options {
				o := vmOptions()
				o.DataDisk, o.InstallPackages, o.Metrics, o.NodeMetrics = "", false, true, true
				return o
			}(),
			want: []string{"find postgresql-15 binaries", "find prometheus-postgres-exporter", "find prometheus-node-exporter"},
		},
		"XFSIsNotGrown": {
			o:    func() Options { o := vmOptions(); o.FSType = "xfs"; return o }(),
			want: []string{"install postgresql-15", "mount data disk"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			plan, err := Provision(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, stepNames(plan)); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

// TestProvisionRefuses keeps the refusals of the single-instance play's
// TestPlanRefuses that concern provisioning: what reaches a command line,
// fstab or a path is checked before anything runs.
func TestProvisionRefuses(t *testing.T) {
	cases := map[string]struct {
		change func(o *Options)
		want   string
	}{
		"Version":           {func(o *Options) { o.Version = "15; rm" }, "invalid PostgreSQL version"},
		"PortOutOfRange":    {func(o *Options) { o.Port = 70000 }, "invalid port"},
		"DataDiskRelative":  {func(o *Options) { o.DataDisk = "sdb" }, "invalid data disk"},
		"DataDiskQuote":     {func(o *Options) { o.DataDisk = "/dev/sd'b" }, "invalid data disk"},
		"RootRelative":      {func(o *Options) { o.Root = "tmp" }, "invalid root"},
		"MountPointUnclean": {func(o *Options) { o.MountPoint = "/var/lib/../x" }, "invalid mount point"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := vmOptions()
			tc.change(&o)
			if _, err := Provision(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error saying %q, got %v", tc.want, err)
			}
		})
	}
}

// TestPlayCauses: a machine without the binaries fails the step that looks
// for them, named, with the cause. (The play's other case, a data
// directory owned by another user, went with the play's data directory
// stage: the engine keeps each member in a directory of its own.)
func TestPlayCauses(t *testing.T) {
	o := Options{BinRoot: t.TempDir()}
	plan, err := Provision(o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := steps.Run(context.Background(), executor.Local{}, plan, nil)
	if err == nil {
		t.Fatal("provisioning succeeded")
	}
	const step = "find postgresql-15 binaries"
	if r.Failed != step || !strings.HasPrefix(err.Error(), `step "`+step+`"`) {
		t.Errorf("failed step %q (%v), want %q", r.Failed, err, step)
	}
	if !strings.Contains(err.Error(), "PostgreSQL 15 is not installed on the machine: ") {
		t.Errorf("error %q does not name the cause", err)
	}
}
