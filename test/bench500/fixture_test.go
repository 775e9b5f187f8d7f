/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package bench500

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

const (
	// namespace holds the benchmark's objects.
	namespace = "bench500"
	// providerConfig, a ClusterProviderConfig, points at the PostgreSQL
	// server under test: the platform's config is what sets a server's
	// limit (a namespaced one could only cap its own namespace below it).
	providerConfig = "bench-pg"
	// adminSecret holds the server's admin credentials.
	adminSecret = "bench-pg-admin"

	// serverOpsPerSecond is the ProviderConfig's maxOperationsPerSecond,
	// the API's maximum, so that the per-server limit is not what the
	// benchmark measures: at the default, 20 a second, and at least two
	// reconciles a Database (the create, and the observe that makes it
	// Ready), 500 Databases would take 50 s on that limit alone.
	serverOpsPerSecond = 1000

	// inUseFinalizer is what the provider config controller puts on a
	// ProviderConfig; seeing it shows the provider's controllers running.
	inUseFinalizer = "in-use.crossplane.io"

	// clientQPS lets the benchmark's own client create 500 objects and
	// list them every 200 ms without client-go's default limit (5 a
	// second) becoming the bottleneck.
	clientQPS   = 1000
	clientBurst = 2000
)

// A fixture is everything one benchmark run works with: an API server,
// PostgreSQL servers, a client, and the provider process.
type fixture struct {
	client client.Client
	// servers are the PostgreSQL servers; the i-th Database lives on the
	// (i mod len)-th.
	servers  []benchServer
	provider *provider
	cpu      *cpuMeter
}

// A benchServer is one PostgreSQL server under test and the
// ClusterProviderConfig that points at it.
type benchServer struct {
	// config names the ClusterProviderConfig.
	config string
	// admin is a connection to the server as its admin, for looking at
	// it from outside the provider.
	admin *pgx.Conn
}

// setUpServers starts the API server and n PostgreSQL servers, makes the
// namespace and, for each server, an admin Secret and a
// ClusterProviderConfig, and starts the provider binary.
func setUpServers(b *testing.B, f providerFlags, n int) *fixture {
	b.Helper()
	env := testenv.Start(b)

	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = clientQPS, clientBurst
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	create(b, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
	servers := make([]benchServer, n)
	ports := make([]int, n)
	for i := range servers {
		pg := pgtest.Start(b)
		name, secret := providerConfig, adminSecret
		if n > 1 {
			name, secret = fmt.Sprintf("%s-%d", providerConfig, i), fmt.Sprintf("%s-%d", adminSecret, i)
		}
		create(b, c, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: secret},
			Data:       map[string][]byte{"username": []byte(pg.User), "password": []byte(pg.Password)},
		})
		create(b, c, &apisv1alpha1.ClusterProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Server: &apisv1alpha1.ExistingServer{
				Engine:                    apisv1alpha1.ServerEnginePostgreSQL,
				Host:                      pg.Host,
				Port:                      int32(pg.Port),
				AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: namespace, Name: secret},
				TLS:                       &apisv1alpha1.ServerTLS{Mode: "disable"},
				MaxOperationsPerSecond:    serverOpsPerSecond,
				MaxConnections:            int32(*maxConns),
			}},
		})
		servers[i] = benchServer{config: name, admin: pg.Admin(b)}
		ports[i] = pg.Port
	}

	dir := b.TempDir()
	f.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(env.Config, f.kubeconfig); err != nil {
		b.Fatal(err)
	}
	f.localDir = filepath.Join(dir, "machines")
	logPath := filepath.Join(dir, "provider.log")
	// Registered before startProvider's own cleanup, so it runs after the
	// provider has stopped.
	b.Cleanup(func() { keepLog(b, logPath) })
	p := startProvider(b, providerBinary(b), logPath, f)
	b.Logf("provider: pid %d, --max-reconcile-rate=%d --workers=%d (0: the provider's default) --poll=%v --debug=%v; %d server(s), ProviderConfig maxOperationsPerSecond=%d maxConnections=%d (0: the CRD's default); log %s",
		p.PID(), f.maxRate, f.workers, f.poll, f.debug, n, serverOpsPerSecond, *maxConns, logPath)

	cpu, err := newCPUMeter(p.PID(), ports...)
	if err != nil {
		b.Fatal(err)
	}
	fx := &fixture{client: c, servers: servers, provider: p, cpu: cpu}
	fx.waitControllersRunning(b)
	return fx
}

// keepLog copies the provider log into -bench500.keep-logs, if set.
func keepLog(b *testing.B, logPath string) {
	if *keepLogs == "" {
		return
	}
	data, err := os.ReadFile(logPath)
	if err == nil {
		err = os.MkdirAll(*keepLogs, 0o755)
	}
	if err == nil {
		dst := filepath.Join(*keepLogs, fmt.Sprintf("provider-%s.log", time.Now().Format("20060102-150405")))
		err = os.WriteFile(dst, data, 0o644)
		b.Logf("provider log kept in %s", dst)
	}
	if err != nil {
		b.Errorf("cannot keep the provider log: %v", err)
	}
}

// waitControllersRunning waits until the provider config controller has
// put its finalizer on the ClusterProviderConfig: /readyz only says the process
// serves HTTP, not that its caches have synced and its controllers run.
func (f *fixture) waitControllersRunning(b *testing.B) {
	b.Helper()
	pc := &apisv1alpha1.ClusterProviderConfig{}
	for deadline := time.Now().Add(providerStartTimeout); ; time.Sleep(100 * time.Millisecond) {
		err := f.client.Get(context.Background(), client.ObjectKey{Name: f.servers[0].config}, pc)
		if err == nil && slices.Contains(pc.GetFinalizers(), inUseFinalizer) {
			return
		}
		if f.provider.exited() || time.Now().After(deadline) {
			b.Fatalf("the provider's controllers did not start (last error: %v): %s", err, tail(f.provider.log))
		}
	}
}

// counters scrapes the provider's counters.
func (f *fixture) counters(b *testing.B) counters {
	b.Helper()
	c, err := scrapeCounters(f.provider.metricsPort)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func create(b *testing.B, c client.Client, o client.Object) {
	b.Helper()
	if err := c.Create(context.Background(), o); err != nil {
		b.Fatalf("cannot create %s: %v", o.GetName(), err)
	}
}
