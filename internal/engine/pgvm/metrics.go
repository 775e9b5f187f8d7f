// This file holds the provisioning step of instances that export metrics:
// Debian's prometheus-postgres-exporter, which the provider runs beside
// each member (package pgexporter).

package pgvm

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

// Steps of an instance that exports metrics.
const (
	StepInstallMetrics = "install prometheus-postgres-exporter"
	StepFindMetrics    = "find prometheus-postgres-exporter"
)

const (
	// exporterBin is where Debian's package installs the exporter
	// (pgexporter.Binary, which this package does not import).
	exporterBin = "/usr/bin/prometheus-postgres-exporter"

	errNoExporter = "prometheus-postgres-exporter is not installed on the machine: %s is missing; install the package prometheus-postgres-exporter"
)

// metricsStep installs the exporter, or finds it where the image put it.
// Debian's package starts an exporter of its own on :9187 that knows no
// server: it is stopped and disabled once, right after the install, so
// that it neither holds the port nor reports a server that is down.
func metricsStep(o Options) steps.Step {
	s := packageStep(o, "prometheus-postgres-exporter", exporterBin, StepInstallMetrics, StepFindMetrics, errNoExporter)
	if !o.InstallPackages {
		return s
	}
	apply := s.Apply
	s.Apply = func(ctx context.Context, e executor.Executor) error {
		if err := apply(ctx, e); err != nil {
			return err
		}
		_, err := run(ctx, e, "disabling Debian's own exporter", "systemctl disable --now prometheus-postgres-exporter.service >/dev/null 2>&1 || true")
		return err
	}
	return s
}
