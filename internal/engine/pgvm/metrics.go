// This file holds the provisioning steps of instances that export metrics:
// Debian's prometheus-postgres-exporter and prometheus-node-exporter,
// which the provider runs beside each member (packages pgexporter and
// nodeexporter).

package pgvm

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

// Steps of an instance that exports metrics.
const (
	StepInstallMetrics     = "install prometheus-postgres-exporter"
	StepFindMetrics        = "find prometheus-postgres-exporter"
	StepInstallNodeMetrics = "install prometheus-node-exporter"
	StepFindNodeMetrics    = "find prometheus-node-exporter"
)

const (
	// exporterBin and nodeExporterBin are where Debian's packages install
	// the exporters (pgexporter.Binary and nodeexporter.Binary, which this
	// package does not import).
	exporterBin     = "/usr/bin/prometheus-postgres-exporter"
	nodeExporterBin = "/usr/bin/prometheus-node-exporter"

	errNoExporter     = "prometheus-postgres-exporter is not installed on the machine: %s is missing; install the package prometheus-postgres-exporter"
	errNoNodeExporter = "prometheus-node-exporter is not installed on the machine: %s is missing; install the package prometheus-node-exporter"
)

// metricsStep installs the PostgreSQL exporter, or finds it where the
// image put it. Debian's package starts an exporter of its own on :9187
// that knows no server.
func metricsStep(o Options) steps.Step {
	s := packageStep(o, "prometheus-postgres-exporter", exporterBin, StepInstallMetrics, StepFindMetrics, errNoExporter)
	return withoutDebianService(o, s, "prometheus-postgres-exporter.service")
}

// nodeMetricsStep installs node_exporter, or finds it. Debian's package
// starts one of its own on :9100 of every address, with its default
// collectors, that no member's removal would stop: the provider runs its
// own per member instead (nodeexporter), on the member's address and the
// spec's port.
func nodeMetricsStep(o Options) steps.Step {
	s := packageStep(o, "prometheus-node-exporter", nodeExporterBin, StepInstallNodeMetrics, StepFindNodeMetrics, errNoNodeExporter)
	return withoutDebianService(o, s, "prometheus-node-exporter.service")
}

// withoutDebianService stops and disables the package's own service once,
// right after s installs it, so that it neither holds the port the
// provider's exporter listens on nor reports what nobody asked for.
// Preinstalled packages are the image's business: nothing is disabled.
func withoutDebianService(o Options, s steps.Step, service string) steps.Step {
	if !o.InstallPackages {
		return s
	}
	apply := s.Apply
	s.Apply = func(ctx context.Context, e executor.Executor) error {
		if err := apply(ctx, e); err != nil {
			return err
		}
		_, err := run(ctx, e, "disabling Debian's own "+service, executor.ShellCommand("systemctl", "disable", "--now", service)+" >/dev/null 2>&1 || true")
		return err
	}
	return s
}
