// Package metrics holds the provider's own Prometheus metrics (dbaas_*),
// registered in controller-runtime's registry, which the manager serves on
// --metrics-address beside controller-runtime's and crossplane-runtime's.
// Code that does the measured work calls the small functions here, so a
// metric's name, labels and buckets are decided in one place.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Kinds of a change of primary, the kind label of the promotion metrics.
const (
	KindFailover   = "failover"
	KindSwitchover = "switchover"
)

// Outcomes of a play step, the outcome label of the step durations.
const (
	StepChanged   = "changed"
	StepUnchanged = "unchanged"
	StepFailed    = "failed"
)

// Results of a backend API call, the result label of the call counter.
const (
	CallOK        = "ok"
	CallError     = "error"
	CallThrottled = "throttled"
)

// slowBuckets span what a promotion or a play step takes: from a local
// reload (a fraction of a second) to a package install over SSH (minutes).
var slowBuckets = []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

var (
	promotions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dbaas_promotions_total",
		Help: "Completed promotions of a new primary, by instance and kind (failover or switchover).",
	}, []string{"namespace", "database_instance", "kind"})
	promotionSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dbaas_promotion_duration_seconds",
		Help:    "Time from the decision to fail over or switch over to the new primary's promotion.",
		Buckets: slowBuckets,
	}, []string{"namespace", "database_instance", "kind"})

	stepSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dbaas_step_duration_seconds",
		Help:    "Duration of each step of a play (local or over SSH), by step name and outcome.",
		Buckets: slowBuckets,
	}, []string{"step", "outcome"})
	stepFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dbaas_step_failures_total",
		Help: "Steps of a play that failed, by step name.",
	}, []string{"step"})

	sqlSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dbaas_sql_operation_duration_seconds",
		Help:    "Latency of the SQL controllers' operations (Database, User, Grant), by server and operation.",
		Buckets: prometheus.DefBuckets,
	}, []string{"server", "operation"})
	sqlErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dbaas_sql_operation_errors_total",
		Help: "SQL operations that returned an error, by server and operation.",
	}, []string{"server", "operation"})

	backendCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dbaas_backend_calls_total",
		Help: "Calls to machine backends (local, azure, gcp, vsphere, terraform), by backend, operation and result (ok, error, throttled).",
	}, []string{"backend", "operation", "result"})
	backendSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dbaas_backend_call_duration_seconds",
		Help:    "Latency of calls to machine backends, by backend and operation.",
		Buckets: slowBuckets,
	}, []string{"backend", "operation"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(promotions, promotionSeconds, stepSeconds, stepFailures,
		sqlSeconds, sqlErrors, backendCalls, backendSeconds)
}

// Promoted records a completed promotion of kind (KindFailover or
// KindSwitchover) that was decided at decided; a zero decided (a record
// that lost its time) counts the promotion without a duration.
func Promoted(namespace, instance, kind string, decided time.Time) {
	promotions.WithLabelValues(namespace, instance, kind).Inc()
	if !decided.IsZero() {
		promotionSeconds.WithLabelValues(namespace, instance, kind).Observe(time.Since(decided).Seconds())
	}
}

// Step records one play step that took took and ended in outcome
// (StepChanged, StepUnchanged or StepFailed).
func Step(step, outcome string, took time.Duration) {
	stepSeconds.WithLabelValues(step, outcome).Observe(took.Seconds())
	if outcome == StepFailed {
		stepFailures.WithLabelValues(step).Inc()
	}
}

// SQL records one operation on server that took took and returned err.
func SQL(server, operation string, took time.Duration, err error) {
	sqlSeconds.WithLabelValues(server, operation).Observe(took.Seconds())
	if err != nil {
		sqlErrors.WithLabelValues(server, operation).Inc()
	}
}

// BackendCall records one call to backend that took took and ended in
// result (CallOK, CallError or CallThrottled).
func BackendCall(backend, operation, result string, took time.Duration) {
	backendCalls.WithLabelValues(backend, operation, result).Inc()
	backendSeconds.WithLabelValues(backend, operation).Observe(took.Seconds())
}
