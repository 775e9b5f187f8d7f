package e2e

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

// TestNamesKubectlResolves asks the API server's discovery what kubectl
// resolves names to, with the same mappers kubectl uses: a team's
// `kubectl get database` means the platform's Database even with the claim
// path installed beside it, whose kinds are databaseclaim and xdatabase; the
// provider's
// managed kinds are reached by their short names, and `kubectl get
// dbaas-managed` lists every managed kind and nothing else.
func TestNamesKubectlResolves(t *testing.T) {
	t.Parallel()
	dc, err := discovery.NewDiscoveryClientForConfig(env.RestConfig)
	if err != nil {
		t.Fatal(err)
	}
	cached := memory.NewMemCacheClient(dc)
	mapper := restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(cached), cached, func(string) {})

	for name, want := range map[string]schema.GroupResource{
		"database":      {Group: "platform.dbaas.io", Resource: "databases"},
		"databases":     {Group: "platform.dbaas.io", Resource: "databases"},
		"databaseclaim": {Group: "claims.dbaas.io", Resource: "databaseclaims"},
		"xdatabase":     {Group: "claims.dbaas.io", Resource: "xdatabases"},
		"sqldatabase":   {Group: "sql.dbaas.io", Resource: "databases"},
		"sqluser":       {Group: "sql.dbaas.io", Resource: "users"},
		"sqlgrant":      {Group: "sql.dbaas.io", Resource: "grants"},
		"dbinstance":    {Group: "engine.dbaas.io", Resource: "databaseinstances"},
	} {
		got, err := mapper.ResourceFor(schema.GroupVersionResource{Resource: name})
		if err != nil {
			t.Errorf("kubectl get %s: %v", name, err)
			continue
		}
		if got.GroupResource() != want {
			t.Errorf("kubectl get %s resolves to %s, want %s", name, got.GroupResource(), want)
		}
	}

	managed, ok := restmapper.NewDiscoveryCategoryExpander(cached).Expand("dbaas-managed")
	if !ok {
		t.Fatal("kubectl get dbaas-managed: no such category")
	}
	got := map[schema.GroupResource]bool{}
	for _, gr := range managed {
		got[gr] = true
	}
	want := []schema.GroupResource{
		{Group: "compute.dbaas.io", Resource: "virtualmachines"},
		{Group: "compute.dbaas.io", Resource: "firewallrules"},
		{Group: "engine.dbaas.io", Resource: "databaseinstances"},
		{Group: "sql.dbaas.io", Resource: "databases"},
		{Group: "sql.dbaas.io", Resource: "users"},
		{Group: "sql.dbaas.io", Resource: "grants"},
		{Group: "ops.dbaas.io", Resource: "backupstores"},
		{Group: "ops.dbaas.io", Resource: "clusterbackupstores"},
		{Group: "ops.dbaas.io", Resource: "backups"},
	}
	for _, gr := range want {
		if !got[gr] {
			t.Errorf("kubectl get dbaas-managed does not list %s", gr)
		}
		delete(got, gr)
	}
	for gr := range got {
		t.Errorf("kubectl get dbaas-managed lists %s, which is not a managed kind", gr)
	}
}
