package pgvm

import (
	"context"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// scripts records the commands a step runs and answers each with exit 0.
type scripts struct {
	executor.Executor
	ran []string
}

func (s *scripts) Run(_ context.Context, cmd string, _ io.Reader) (executor.Result, error) {
	s.ran = append(s.ran, cmd)
	return executor.Result{}, nil
}

func (s *scripts) WriteFile(context.Context, string, []byte, fs.FileMode) error { return nil }

// TestExporterPackagesDisableDebianServices: installing either exporter's
// package stops and disables the service Debian's package starts, which
// would hold the port the provider's own exporter listens on; a
// preinstalled one is only looked for.
func TestExporterPackagesDisableDebianServices(t *testing.T) {
	cases := map[string]struct {
		install     bool
		step        func(Options) func(context.Context, executor.Executor) error
		wantPackage string
		wantDisable string
	}{
		"PostgresExporter": {
			install: true, step: func(o Options) func(context.Context, executor.Executor) error { return metricsStep(o).Apply },
			wantPackage: "install -y prometheus-postgres-exporter", wantDisable: "systemctl disable --now prometheus-postgres-exporter.service",
		},
		"NodeExporter": {
			install: true, step: func(o Options) func(context.Context, executor.Executor) error { return nodeMetricsStep(o).Apply },
			wantPackage: "install -y prometheus-node-exporter", wantDisable: "systemctl disable --now prometheus-node-exporter.service",
		},
		"NodeExporterPreinstalled": {
			step:        func(o Options) func(context.Context, executor.Executor) error { return nodeMetricsStep(o).Apply },
			wantPackage: "[ -x /usr/bin/prometheus-node-exporter ]",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := vmOptions()
			o.InstallPackages = tc.install
			e := &scripts{}
			// The recorder's empty answers say a preinstalled binary is
			// missing: that step's error is expected, the scripts are what
			// is checked.
			_ = tc.step(o)(context.Background(), e)
			all := strings.Join(e.ran, "\n")
			pkg := strings.Index(all, tc.wantPackage)
			if pkg < 0 {
				t.Fatalf("no %q in:\n%s", tc.wantPackage, all)
			}
			disable := strings.Index(all, "systemctl disable")
			switch {
			case tc.wantDisable == "" && disable >= 0:
				t.Errorf("a preinstalled package's service was disabled:\n%s", all)
			case tc.wantDisable != "" && (strings.Index(all, tc.wantDisable) < pkg):
				t.Errorf("want %q after the install, got:\n%s", tc.wantDisable, all)
			}
		})
	}
}
