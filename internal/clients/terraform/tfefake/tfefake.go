// Package tfefake is a small Terraform Cloud/Enterprise API v2 server for
// tests: the part of the JSON:API that go-tfe calls to run a machine as a
// workspace. State is kept in maps; responses are go-tfe's own structs
// marshalled with jsonapi. Runs move on one step each time they are read,
// and an applied run "executes the module": it writes state outputs
// computed from the workspace's variables.
package tfefake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	tfe "github.com/hashicorp/go-tfe"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

// Values the rig hands out.
const (
	Organization = "dbaas-test"
	Token        = "fake-tfe-token"
	ModuleSource = "app.terraform.io/dbaas-test/vm/fake"
	ModuleVer    = "1.0.0"
	FakeImage    = "ubuntu-24.04"
	SecretName   = "tfe-token"
)

// A Rig is a running fake Terraform Cloud. It implements machinetest.Rig.
type Rig struct {
	srv       *httptest.Server
	autoApply bool

	// Faults answers 429 and 503 as JSON:API errors.
	machinetest.Faults

	mu       sync.Mutex
	failNext bool
	seq      int
	byID     map[string]*workspace
	runs     map[string]*run
	cvs      map[string]*cv
}

var _ machinetest.Rig = (*Rig)(nil)

// Start runs a fake whose provider config applies runs automatically or,
// when autoApply is false, leaves them waiting for ApproveRuns.
func Start(t testing.TB, autoApply bool) *Rig {
	r := &Rig{autoApply: autoApply, byID: map[string]*workspace{}, runs: map[string]*run{}, cvs: map[string]*cv{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

// URL of the fake.
func (r *Rig) URL() string { return r.srv.URL }

// Backend is terraform.
func (r *Rig) Backend() apisv1alpha1.Backend { return apisv1alpha1.BackendTerraform }

// ProviderConfig reaches the fake; the caller fills in the namespace of the
// Secret named tfe-token.
func (r *Rig) ProviderConfig() apisv1alpha1.ProviderConfigSpec {
	auto := r.autoApply
	return apisv1alpha1.ProviderConfigSpec{
		Backend: apisv1alpha1.BackendTerraform,
		Credentials: &apisv1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Name: SecretName}, Key: "credentials"}},
		},
		Terraform: &apisv1alpha1.TerraformBackendConfig{
			Address:      r.srv.URL,
			Organization: Organization,
			Module:       apisv1alpha1.TerraformModule{Source: ModuleSource, Version: ModuleVer},
			AutoApply:    &auto,
		},
	}
}

// Credentials is the API token.
func (r *Rig) Credentials() []byte { return []byte(Token) }

// Image is any image: the fake module accepts every one.
func (r *Rig) Image() string { return FakeImage }

// Machines counts the workspaces named name.
func (r *Rig) Machines(name string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, w := range r.byID {
		if w.ws.Name == name {
			n++
		}
	}
	return n, nil
}

// Get reads a machine from its workspace's state outputs; nil when there is
// no workspace or no state.
func (r *Rig) Get(name string) (*machine.Machine, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.named(name)
	if w == nil || w.outputs == nil {
		return nil, nil
	}
	o := w.outputs
	m := &machine.Machine{
		ID:         o["id"].(string),
		Address:    o["address"].(string),
		CPU:        int32(o["cpu"].(int)),
		MemoryMiB:  int32(o["memory_mib"].(int)),
		PowerState: machine.PowerState(o["power_state"].(string)),
	}
	for _, d := range o["disks"].([]map[string]interface{}) {
		m.Disks = append(m.Disks, machine.Disk{Name: d["name"].(string), SizeGiB: int32(d["size_gib"].(int))})
	}
	m.Disks = machine.SortDisks(m.Disks)
	return m, nil
}

// Drift changes the workspace's cpu and memory_mib variables and its state
// outputs, as someone editing the workspace and applying it by hand would.
func (r *Rig) Drift(name string, cpu, memoryMiB int32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.named(name)
	if w == nil || w.outputs == nil {
		return fmt.Errorf("no workspace %q with state", name)
	}
	for _, v := range w.vars {
		switch v.Key {
		case "cpu":
			v.Value = strconv.Itoa(int(cpu))
		case "memory_mib":
			v.Value = strconv.Itoa(int(memoryMiB))
		}
	}
	w.outputs["cpu"] = int(cpu)
	w.outputs["memory_mib"] = int(memoryMiB)
	return nil
}

// Variable returns a workspace variable's value, for tests.
func (r *Rig) Variable(name, key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		for _, v := range w.vars {
			if v.Key == key {
				return v.Value, true
			}
		}
	}
	return "", false
}

// SetVariable changes a workspace variable's value and nothing else, as
// someone editing it in the UI without queuing a run would.
func (r *Rig) SetVariable(name, key, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		for _, v := range w.vars {
			if v.Key == key {
				v.Value = value
				return nil
			}
		}
	}
	return fmt.Errorf("workspace %q has no variable %q", name, key)
}

// Runs returns how many runs a workspace has had.
func (r *Rig) Runs(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		return len(w.runs)
	}
	return 0
}

// MainTF returns the main.tf of the workspace's latest uploaded
// configuration version.
func (r *Rig) MainTF(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		for i := len(w.cvs) - 1; i >= 0; i-- {
			if w.cvs[i].c.Status == tfe.ConfigurationUploaded {
				return w.cvs[i].mainTF
			}
		}
	}
	return ""
}

// ApproveRuns confirms every run that waits for approval, as someone
// pressing "Confirm & apply" would. It returns how many it approved.
func (r *Rig) ApproveRuns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.runs {
		if x.r.Status == tfe.RunPlanned && !x.r.AutoApply && !x.confirm {
			x.confirm = true
			n++
		}
	}
	return n
}

// FailNextRun makes the next run created error in its plan.
func (r *Rig) FailNextRun() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failNext = true
}

// Close stops the fake.
func (r *Rig) Close() { r.srv.Close() }
