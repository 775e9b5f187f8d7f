package pgexporter

import (
	"context"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
)

const (
	// Binary is where Debian's package installs the exporter.
	Binary = "/usr/bin/prometheus-postgres-exporter"
	// Package is Debian's package of it.
	Package = "prometheus-postgres-exporter"

	// DefaultPort is the exporter's registered port, which a VM's
	// exporter listens on unless the spec says otherwise.
	DefaultPort = 9187

	// dir is the directory below a member's directory that holds its
	// exporter's queries file, PID and log.
	dir = "exporter"

	// queries is the exporter's file of extra queries: none yet. It is
	// the member's own file, so its path on the command line tells this
	// member's exporter from another's on the same machine, whatever its
	// port or labels.
	queries = "# Written by the dbaas provider: no queries beyond the exporter's own.\n{}\n"
)

// Names of the exporter's steps.
const (
	StepDir     = "exporter directory"
	StepQueries = "exporter queries"
	StepStart   = "start exporter"
	StepUnit    = "write exporter unit"
)

// An Exporter is the exporter of one member.
type Exporter struct {
	// Namespace, Instance, Member and Role label every series: the
	// DatabaseInstance's namespace and name, the member's VirtualMachine
	// and its role (primary or replica). None holds a comma or an equals
	// sign: they are Kubernetes names and the API's roles.
	Namespace, Instance, Member, Role string
	// Dir is the member's directory (postgresql.Instance.Dir).
	Dir string
	// SocketDir and Port are where the server's unix socket is.
	SocketDir string
	Port      int32
	// Host and ListenPort are where the exporter serves /metrics.
	Host       string
	ListenPort int32
	// OSUser is who it runs as: the engine's OS user, whom pg_ident.conf
	// lets in over the socket as pgroles.Monitor.
	OSUser string
	// Unit names its systemd unit on a VM; empty where it runs detached
	// (the local backend and the test hosts have no systemd).
	Unit string
}

// UnitName is the systemd unit of the exporter of the member called
// member.
func UnitName(member string) string { return "dbaas-exporter-" + member + ".service" }

// Endpoint is the URL Prometheus scrapes.
func (x Exporter) Endpoint() string {
	return "http://" + net.JoinHostPort(x.Host, strconv.Itoa(int(x.ListenPort))) + "/metrics"
}

func (x Exporter) dir() string { return path.Join(x.Dir, dir) }

// Daemon is the exporter as install runs it. The connection string is in
// its environment (the exporter reads DATA_SOURCE_NAME); it holds no
// password: the role comes in by peer.
func (x Exporter) Daemon() install.Daemon {
	q := path.Join(x.dir(), "queries.yaml")
	return install.Daemon{
		What:        "the metrics exporter",
		Description: "dbaas PostgreSQL metrics exporter (" + x.Namespace + "/" + x.Instance + " on " + x.Member + ")",
		Args: []string{
			Binary,
			"--web.listen-address=" + net.JoinHostPort(x.Host, strconv.Itoa(int(x.ListenPort))),
			"--extend.query-path=" + q,
			"--constantLabels=" + strings.Join([]string{
				"namespace=" + x.Namespace, "database_instance=" + x.Instance, "member=" + x.Member, "role=" + x.Role,
			}, ","),
		},
		Mark:   "--extend.query-path=" + q,
		OSUser: x.OSUser,
		Env: []string{"DATA_SOURCE_NAME=host=" + connValue(x.SocketDir) + " port=" + strconv.Itoa(int(x.Port)) +
			" user=" + pgroles.Monitor + " dbname=postgres sslmode=disable"},
		PIDFile: path.Join(x.dir(), "exporter.pid"),
		LogFile: path.Join(x.dir(), "exporter.log"),
	}
}

// Steps run the exporter: its directory, owned by OSUser, its queries
// file, then the exporter, detached or as a systemd unit. The package
// must be installed (on a VM, pgvm.Provision with Metrics does it).
func (x Exporter) Steps() []steps.Step {
	d := steps.Directory(x.dir(), x.OSUser, 0o700)
	d.Name = StepDir
	f := steps.File(path.Join(x.dir(), "queries.yaml"), []byte(queries), 0o644)
	f.Name = StepQueries
	return append([]steps.Step{d, f}, install.RunSteps(x.Unit, install.StepNames{Start: StepStart, Unit: StepUnit}, x.Daemon())...)
}

// Stop stops the exporter, if it runs, and removes its unit: for a member
// removed, an instance deleted or metrics turned off. Its directory goes
// with the member's.
func (x Exporter) Stop(ctx context.Context, e executor.Executor) error {
	return install.StopRun(ctx, e, x.Unit, x.Daemon())
}

// connValue quotes a libpq connection string value: in single quotes,
// with backslashes and single quotes escaped.
func connValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
