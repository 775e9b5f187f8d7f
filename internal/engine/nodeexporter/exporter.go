package nodeexporter

import (
	"context"
	"net"
	"path"
	"strconv"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
)

const (
	// Binary is where Debian's package installs node_exporter.
	Binary = "/usr/bin/prometheus-node-exporter"
	// Package is Debian's package of it.
	Package = "prometheus-node-exporter"

	// DefaultPort is node_exporter's registered port, which a VM's
	// listens on unless the spec says otherwise.
	DefaultPort = 9100

	// dir is the directory below a member's directory that holds its
	// node_exporter's web configuration, PID and log.
	dir = "node-exporter"

	// webConfig is node_exporter's web configuration (TLS, basic auth):
	// none yet. It is the member's own file, so its path on the command
	// line tells this member's node_exporter from another's on the same
	// machine, whatever its port.
	webConfig = "# Written by the dbaas provider: no TLS and no authentication yet.\n{}\n"
)

// Collectors are the only ones node_exporter runs: the file systems the
// disk alert reads, and CPU, memory and load, which read a few files of
// /proc each. The defaults add some forty more (network, disks' I/O,
// systemd, ...) that nothing here reads.
var Collectors = []string{
	"--collector.disable-defaults",
	"--collector.filesystem",
	"--collector.cpu",
	"--collector.meminfo",
	"--collector.loadavg",
}

// Names of its steps.
const (
	StepDir    = "node exporter directory"
	StepConfig = "node exporter web config"
	StepStart  = "start node exporter"
	StepUnit   = "write node exporter unit"
)

// An Exporter is the node_exporter beside one member.
type Exporter struct {
	// Namespace, Instance and Member name it in its unit's description:
	// the DatabaseInstance's namespace and name and the member's
	// VirtualMachine.
	Namespace, Instance, Member string
	// Dir is the member's directory (postgresql.Instance.Dir).
	Dir string
	// Host and ListenPort are where it serves /metrics.
	Host       string
	ListenPort int32
	// OSUser is who it runs as: the engine's OS user. It needs no
	// privilege to read /proc and statfs the mounts.
	OSUser string
	// Unit names its systemd unit on a VM; empty where it runs detached.
	Unit string
}

// UnitName is the systemd unit of the node_exporter of the member called
// member.
func UnitName(member string) string { return "dbaas-node-exporter-" + member + ".service" }

// Endpoint is the URL Prometheus scrapes.
func (x Exporter) Endpoint() string {
	return "http://" + net.JoinHostPort(x.Host, strconv.Itoa(int(x.ListenPort))) + "/metrics"
}

func (x Exporter) dir() string { return path.Join(x.Dir, dir) }

// Daemon is node_exporter as install runs it.
func (x Exporter) Daemon() install.Daemon {
	c := "--web.config.file=" + path.Join(x.dir(), "web.yml")
	return install.Daemon{
		What:        "the node exporter",
		Description: "dbaas node exporter (" + x.Namespace + "/" + x.Instance + " on " + x.Member + ")",
		Args: append([]string{
			Binary,
			"--web.listen-address=" + net.JoinHostPort(x.Host, strconv.Itoa(int(x.ListenPort))),
			c,
		}, Collectors...),
		Mark:    c,
		OSUser:  x.OSUser,
		PIDFile: path.Join(x.dir(), "node-exporter.pid"),
		LogFile: path.Join(x.dir(), "node-exporter.log"),
	}
}

// Steps run node_exporter: its directory, owned by OSUser, its web
// configuration, then the program, detached or as a systemd unit. The
// package must be installed (on a VM, pgvm.Provision with NodeMetrics
// does it).
func (x Exporter) Steps() []steps.Step {
	d := steps.Directory(x.dir(), x.OSUser, 0o700)
	d.Name = StepDir
	f := steps.File(path.Join(x.dir(), "web.yml"), []byte(webConfig), 0o644)
	f.Name = StepConfig
	return append([]steps.Step{d, f}, install.RunSteps(x.Unit, install.StepNames{Start: StepStart, Unit: StepUnit}, x.Daemon())...)
}

// Stop stops it, if it runs, and removes its unit: for a member removed,
// an instance deleted or metrics turned off. Its directory goes with the
// member's.
func (x Exporter) Stop(ctx context.Context, e executor.Executor) error {
	return install.StopRun(ctx, e, x.Unit, x.Daemon())
}
