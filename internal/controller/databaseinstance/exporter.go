package databaseinstance

import (
	"context"
	"net/http"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/nodeexporter"
	"github.com/dbaas-io/dbaas/internal/engine/pgexporter"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errEnsureExporter = "cannot run the %s on %s"
	errStopExporter   = "cannot stop the %s on %s"

	// scrapeTimeout bounds the provider's own scrape of an exporter,
	// which says whether it answers: an exporter that does not answer
	// within it is not named in the status.
	scrapeTimeout = 5 * time.Second
)

// metricsEnabled reports whether spec.forProvider.metrics asks for an
// exporter beside each member.
func metricsEnabled(p v1alpha1.DatabaseInstanceParameters) bool {
	return p.Metrics != nil && (p.Metrics.Enabled == nil || *p.Metrics.Enabled)
}

// nodeMetricsEnabled reports whether it asks for node_exporter too: on
// with metrics unless metrics.node.enabled is false.
func nodeMetricsEnabled(p v1alpha1.DatabaseInstanceParameters) bool {
	return metricsEnabled(p) && (p.Metrics.Node == nil || p.Metrics.Node.Enabled == nil || *p.Metrics.Node.Enabled)
}

// An exporter is a program the provider runs beside a member to export
// metrics (pgexporter.Exporter, nodeexporter.Exporter).
type exporter interface {
	Steps() []steps.Step
	Stop(ctx context.Context, e executor.Executor) error
	Endpoint() string
}

// An exporterKind is one of the exporters each member runs while the spec
// asks for it.
type exporterKind struct {
	// name says which in errors.
	name string
	// on reports whether the spec asks for it.
	on func(p v1alpha1.DatabaseInstanceParameters) bool
	// of is the exporter of member m, whose role is role. A stop reads
	// only the member's directory and unit, so stops pass an empty
	// instance and role.
	of func(cr *v1alpha1.DatabaseInstance, m member, role string) exporter
	// endpoint is the member's status field that names where it answers.
	endpoint func(s *v1alpha1.Member) *string
}

// exporterKinds are the exporters beside each member, in the order they
// start.
var exporterKinds = []exporterKind{
	{
		name: "metrics exporter", on: metricsEnabled,
		of:       func(cr *v1alpha1.DatabaseInstance, m member, role string) exporter { return pgExporterOf(cr, m, role) },
		endpoint: func(s *v1alpha1.Member) *string { return &s.MetricsEndpoint },
	},
	{
		name: "node exporter", on: nodeMetricsEnabled,
		of:       func(cr *v1alpha1.DatabaseInstance, m member, _ string) exporter { return nodeExporterOf(cr, m) },
		endpoint: func(s *v1alpha1.Member) *string { return &s.NodeMetricsEndpoint },
	},
}

// exporterPort is the port a member's exporter listens on. A local
// backend's machines share one host, each with a range of ports of its
// own that the server takes the first of: the exporter takes the next.
// On a VM it is the spec's port, or the exporter's registered one.
func exporterPort(p v1alpha1.DatabaseInstanceParameters, localBackend bool, serverPort int32) int32 {
	switch {
	case localBackend:
		return serverPort + 1
	case p.Metrics != nil && p.Metrics.Port != 0:
		return p.Metrics.Port
	default:
		return pgexporter.DefaultPort
	}
}

// nodeExporterPort is the port a member's node_exporter listens on: the
// one after the exporter's in a local machine's range, else the spec's or
// its registered one.
func nodeExporterPort(p v1alpha1.DatabaseInstanceParameters, localBackend bool, serverPort int32) int32 {
	switch {
	case localBackend:
		return serverPort + 2
	case p.Metrics != nil && p.Metrics.Node != nil && p.Metrics.Node.Port != 0:
		return p.Metrics.Node.Port
	default:
		return nodeexporter.DefaultPort
	}
}

// pgExporterOf is the PostgreSQL exporter of member m, whose role is role.
func pgExporterOf(cr *v1alpha1.DatabaseInstance, m member, role string) pgexporter.Exporter {
	x := pgexporter.Exporter{
		Namespace: cr.GetNamespace(), Instance: cr.GetName(), Member: m.vm, Role: role,
		Dir: m.inst.Dir, SocketDir: m.inst.SocketDir(), Port: m.inst.Port,
		Host: memberHost(m.inst), ListenPort: exporterPort(cr.Spec.ForProvider, !m.systemd, m.inst.Port),
		OSUser: playSuperuser,
	}
	if m.systemd {
		x.Unit = pgexporter.UnitName(unitMember(m.inst))
	}
	return x
}

// nodeExporterOf is the node_exporter of member m.
func nodeExporterOf(cr *v1alpha1.DatabaseInstance, m member) nodeexporter.Exporter {
	x := nodeexporter.Exporter{
		Namespace: cr.GetNamespace(), Instance: cr.GetName(), Member: m.vm, Dir: m.inst.Dir,
		Host: memberHost(m.inst), ListenPort: nodeExporterPort(cr.Spec.ForProvider, !m.systemd, m.inst.Port),
		OSUser: playSuperuser,
	}
	if m.systemd {
		x.Unit = nodeexporter.UnitName(unitMember(m.inst))
	}
	return x
}

// exporterCurrent reports whether x runs as installed: every step's check
// passes.
func exporterCurrent(ctx context.Context, e executor.Executor, x exporter) bool {
	for _, s := range x.Steps() {
		if ok, err := s.Check(ctx, e); err != nil || !ok {
			return false
		}
	}
	return true
}

// scrapeClient asks exporters directly, as Prometheus does: never through
// a proxy the environment names.
var scrapeClient = &http.Client{Transport: &http.Transport{Proxy: nil}}

// answers reports whether endpoint serves metrics to the provider.
func answers(ctx context.Context, endpoint string) bool {
	ctx, cancel := context.WithTimeout(ctx, scrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return false
	}
	resp, err := scrapeClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// exporterWanted reports whether a member whose status is s gets the
// exporter of kind k: the spec asks for it and its server runs. One that
// stops later keeps its exporters; the PostgreSQL one reports pg_up 0.
func exporterWanted(k exporterKind, p v1alpha1.DatabaseInstanceParameters, s v1alpha1.Member, m member) bool {
	return k.on(p) && s.Running && m.inst != nil && m.off == ""
}

// A memberExporter is one exporter of a member, and its kind.
type memberExporter struct {
	kind exporterKind
	x    exporter
}

// wantedExporters are the exporters a member whose status is s runs, in
// the order of exporterKinds.
func wantedExporters(cr *v1alpha1.DatabaseInstance, s v1alpha1.Member, m member) []memberExporter {
	var out []memberExporter
	for _, kind := range exporterKinds {
		if exporterWanted(kind, cr.Spec.ForProvider, s, m) {
			out = append(out, memberExporter{kind: kind, x: kind.of(cr, m, s.Role)})
		}
	}
	return out
}

// exportersShown reports, for each of exporterKinds, whether the status
// names any member's endpoint of it.
func exportersShown(ap v1alpha1.DatabaseInstanceObservation) []bool {
	shown := make([]bool, len(exporterKinds))
	for n := range ap.Members {
		for k, kind := range exporterKinds {
			shown[k] = shown[k] || *kind.endpoint(&ap.Members[n]) != ""
		}
	}
	return shown
}

// observeExporters names in the status the endpoint of each exporter of
// each member that answers, and says the instance is not up to date while
// one that should run does not as installed (a new member, a new role
// label after a failover or switchover, a new port), or while exporters
// run that the spec no longer wants (had: the status named one of that
// kind before this look).
func (e *external) observeExporters(ctx context.Context, cr *v1alpha1.DatabaseInstance, had []bool, o *managed.ExternalObservation) {
	p := cr.Spec.ForProvider
	e.stopExporters = nil
	for k, kind := range exporterKinds {
		if !kind.on(p) && had[k] {
			e.stopExporters = append(e.stopExporters, kind)
			o.ResourceUpToDate = false
		}
	}
	for n := range cr.Status.AtProvider.Members {
		s := &cr.Status.AtProvider.Members[n]
		m, ok := e.memberOn(s.VirtualMachine)
		if !ok {
			continue
		}
		for _, w := range wantedExporters(cr, *s, m) {
			if !exporterCurrent(ctx, m.inst.Exec, w.x) {
				o.ResourceUpToDate = false
				continue
			}
			if answers(ctx, w.x.Endpoint()) {
				*w.kind.endpoint(s) = w.x.Endpoint()
			}
		}
	}
}

// memberOn is the member on vm, departing ones aside.
func (e *external) memberOn(vm string) (member, bool) {
	for _, m := range e.members {
		if m.vm == vm {
			return m, true
		}
	}
	return member{}, false
}

// ensureExporters stops the exporters this reconcile's Observe found the
// spec no longer wants, and runs each wanted one of each member, with the
// role Observe saw.
func (e *external) ensureExporters(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	for _, m := range e.present() {
		if err := stopExporters(ctx, m, e.stopExporters...); err != nil {
			return err
		}
	}
	var errs []error
	for _, s := range cr.Status.AtProvider.Members {
		m, ok := e.memberOn(s.VirtualMachine)
		if !ok {
			continue
		}
		for _, w := range wantedExporters(cr, s, m) {
			if _, err := steps.Run(ctx, m.inst.Exec, w.x.Steps(), nil); err != nil {
				errs = append(errs, errors.Wrapf(err, errEnsureExporter, w.kind.name, m.vm))
			}
		}
	}
	return errors.Join(errs...)
}

// stopExporters stops the member's exporters of kinds, those that run:
// all of them before its directory goes (a member removed, the instance
// deleted), or those the spec turned off. The role and ports do not
// matter to a stop.
func stopExporters(ctx context.Context, m member, kinds ...exporterKind) error {
	if m.inst == nil || m.cut {
		return nil
	}
	for _, kind := range kinds {
		if err := kind.of(&v1alpha1.DatabaseInstance{}, m, "").Stop(ctx, m.inst.Exec); err != nil {
			return errors.Wrapf(err, errStopExporter, kind.name, m.vm)
		}
	}
	return nil
}
