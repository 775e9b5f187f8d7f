package databaseinstance

import (
	"context"
	"net/http"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgexporter"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errEnsureExporter = "cannot run the metrics exporter on %s"
	errStopExporter   = "cannot stop the metrics exporter on %s"

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

// exporterOf is the exporter of member m, whose role is role.
func exporterOf(cr *v1alpha1.DatabaseInstance, m member, role string) pgexporter.Exporter {
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

// exporterCurrent reports whether x runs as installed: every step's check
// passes.
func exporterCurrent(ctx context.Context, e executor.Executor, x pgexporter.Exporter) bool {
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

// exporterWanted reports whether a member whose status is s gets an
// exporter: metrics are on and its server runs. One that stops later
// keeps its exporter, which reports pg_up 0.
func exporterWanted(p v1alpha1.DatabaseInstanceParameters, s v1alpha1.Member, m member) bool {
	return metricsEnabled(p) && s.Running && m.inst != nil && m.off == ""
}

// metricsShown reports whether the status names any member's metrics
// endpoint.
func metricsShown(ap v1alpha1.DatabaseInstanceObservation) bool {
	for _, m := range ap.Members {
		if m.MetricsEndpoint != "" {
			return true
		}
	}
	return false
}

// observeExporters names in the status the endpoint of each member whose
// exporter answers, and says the instance is not up to date while one
// that should run does not as installed (a new member, a new role label
// after a failover or switchover, a new port), or while exporters run
// that metrics turned off no longer want (had: the status named one
// before this look).
func (e *external) observeExporters(ctx context.Context, cr *v1alpha1.DatabaseInstance, had bool, o *managed.ExternalObservation) {
	p := cr.Spec.ForProvider
	if !metricsEnabled(p) {
		e.stopExporters = had
		o.ResourceUpToDate = o.ResourceUpToDate && !had
		return
	}
	for n := range cr.Status.AtProvider.Members {
		s := &cr.Status.AtProvider.Members[n]
		m, ok := e.memberOn(s.VirtualMachine)
		if !ok || !exporterWanted(p, *s, m) {
			continue
		}
		x := exporterOf(cr, m, s.Role)
		if !exporterCurrent(ctx, m.inst.Exec, x) {
			o.ResourceUpToDate = false
			continue
		}
		if answers(ctx, x.Endpoint()) {
			s.MetricsEndpoint = x.Endpoint()
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

// ensureExporters runs each wanted member's exporter with the role this
// reconcile's Observe saw, or stops them all when metrics were turned off.
func (e *external) ensureExporters(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	p := cr.Spec.ForProvider
	if !metricsEnabled(p) {
		if !e.stopExporters {
			return nil
		}
		for _, m := range e.present() {
			if err := stopExporter(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}
	var errs []error
	for _, s := range cr.Status.AtProvider.Members {
		m, ok := e.memberOn(s.VirtualMachine)
		if !ok || !exporterWanted(p, s, m) {
			continue
		}
		if _, err := steps.Run(ctx, m.inst.Exec, exporterOf(cr, m, s.Role).Steps(), nil); err != nil {
			errs = append(errs, errors.Wrapf(err, errEnsureExporter, m.vm))
		}
	}
	return errors.Join(errs...)
}

// stopExporter stops the member's exporter, if one runs: before its
// directory goes (a member removed, the instance deleted), or when
// metrics are turned off. The role and port do not matter to the stop.
func stopExporter(ctx context.Context, m member) error {
	if m.inst == nil || m.cut {
		return nil
	}
	x := pgexporter.Exporter{Dir: m.inst.Dir}
	if m.systemd {
		x.Unit = pgexporter.UnitName(unitMember(m.inst))
	}
	return errors.Wrapf(x.Stop(ctx, m.inst.Exec), errStopExporter, m.vm)
}
