package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// listTimeout bounds the read of the instances at a scrape; the reader is
// the manager's cache, so it is normally instant.
const listTimeout = 10 * time.Second

var (
	descMemberUp = prometheus.NewDesc("dbaas_instance_member_up",
		"1 when the member's server runs, as the DatabaseInstance status says; role is primary or replica.",
		[]string{"namespace", "database_instance", "member", "role"}, nil)
	descMemberStreaming = prometheus.NewDesc("dbaas_instance_member_streaming",
		"1 when a replica streams from the primary (status members[].streaming is streaming), 0 otherwise; replicas only.",
		[]string{"namespace", "database_instance", "member"}, nil)
	descMemberLag = prometheus.NewDesc("dbaas_instance_member_lag_bytes",
		"How far a replica's replay is behind the primary's WAL, in bytes (status members[].lagBytes).",
		[]string{"namespace", "database_instance", "member"}, nil)
	descWALArchiving = prometheus.NewDesc("dbaas_instance_wal_archiving_ok",
		"1 when the WALArchiving condition is True, 0 when False; absent for instances that do not archive.",
		[]string{"namespace", "database_instance"}, nil)
	descLastBackup = prometheus.NewDesc("dbaas_instance_last_backup_timestamp_seconds",
		"When the newest backup in the instance's store ended (status recoveryWindow.lastSuccessfulBackupTime), Unix seconds.",
		[]string{"namespace", "database_instance"}, nil)
	descLastFailover = prometheus.NewDesc("dbaas_instance_last_failover_timestamp_seconds",
		"When the provider last decided an automatic failover of the instance (status lastFailoverTime), Unix seconds.",
		[]string{"namespace", "database_instance"}, nil)
	descFencingToken = prometheus.NewDesc("dbaas_instance_fencing_token",
		"The instance's failover epoch (status fencingToken): it grows by one at each failover or switchover.",
		[]string{"namespace", "database_instance"}, nil)
)

// WatchInstances has the dbaas_instance_* gauges report the
// DatabaseInstances that r lists, at each scrape, until stop is called. r
// is the manager's cache: the status is what the controller observed, so
// the gauges agree with kubectl and survive a restart of the provider,
// which counters kept in memory do not. Each manager of a process (a
// test's restarts) watches with its own reader; two readers that list the
// same instance would report it twice, which a scrape rejects.
func WatchInstances(r client.Reader) (stop func()) {
	c := instanceCollector()
	key := new(int)
	c.mu.Lock()
	c.readers[key] = r
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.readers, key)
		c.mu.Unlock()
	}
}

// instances collects the gauges of the instances its readers list.
type instances struct {
	mu      sync.Mutex
	readers map[*int]client.Reader
}

var instanceCollector = sync.OnceValue(func() *instances {
	c := &instances{readers: map[*int]client.Reader{}}
	ctrlmetrics.Registry.MustRegister(c)
	return c
})

// Describe sends the gauges' descriptions.
func (c *instances) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMemberUp, descMemberStreaming, descMemberLag, descWALArchiving,
		descLastBackup, descLastFailover, descFencingToken} {
		ch <- d
	}
}

// Collect lists the instances and sends their samples.
func (c *instances) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	readers := make([]client.Reader, 0, len(c.readers))
	for _, r := range c.readers {
		readers = append(readers, r)
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	for _, r := range readers {
		l := &v1alpha1.DatabaseInstanceList{}
		if err := r.List(ctx, l); err != nil {
			ch <- prometheus.NewInvalidMetric(descMemberUp, err)
			continue
		}
		for i := range l.Items {
			for _, s := range instanceSamples(&l.Items[i]) {
				ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, s.value, s.labels...)
			}
		}
	}
}

// A sample is one gauge's value with its label values.
type sample struct {
	desc   *prometheus.Desc
	value  float64
	labels []string
}

// instanceSamples are the gauges of one instance, from its status alone.
func instanceSamples(di *v1alpha1.DatabaseInstance) []sample {
	ns, name := di.GetNamespace(), di.GetName()
	ap := di.Status.AtProvider
	var out []sample
	for _, m := range ap.Members {
		out = append(out, sample{descMemberUp, bit(m.Running), []string{ns, name, m.VirtualMachine, m.Role}})
		if m.Role != v1alpha1.RoleReplica {
			continue
		}
		out = append(out, sample{descMemberStreaming, bit(m.Streaming == "streaming"), []string{ns, name, m.VirtualMachine}})
		if m.LagBytes != nil {
			out = append(out, sample{descMemberLag, float64(*m.LagBytes), []string{ns, name, m.VirtualMachine}})
		}
	}
	if c := di.GetCondition(v1alpha1.TypeWALArchiving); c.Status != corev1.ConditionUnknown {
		out = append(out, sample{descWALArchiving, bit(c.Status == corev1.ConditionTrue), []string{ns, name}})
	}
	if w := ap.RecoveryWindow; w != nil && w.LastSuccessfulBackupTime != nil {
		out = append(out, sample{descLastBackup, unix(w.LastSuccessfulBackupTime.Time), []string{ns, name}})
	}
	if ap.LastFailoverTime != nil {
		out = append(out, sample{descLastFailover, unix(ap.LastFailoverTime.Time), []string{ns, name}})
	}
	if ap.FencingToken > 0 {
		out = append(out, sample{descFencingToken, float64(ap.FencingToken), []string{ns, name}})
	}
	return out
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
